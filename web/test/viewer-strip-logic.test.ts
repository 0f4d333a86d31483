import { describe, expect, test } from "bun:test";
import { histogramOf } from "@common/imaging/intensity";
import type { ModelVersion } from "../src/api/models";
import type { Job } from "../src/api/types";
import { CAPTION_HEIGHT, placeCaptions } from "../src/viewer/caption-layout";
import { fitTransform, initialFit, STEP_OVERLAP, stepTransform, visibleRegion } from "../src/viewer/geometry";
import { figuresSource, shippedFigures, versionFigures } from "../src/viewer/model-figures";
import { keyLabel, SHORTCUTS, shortcutFor } from "../src/viewer/shortcuts";
import {
  clampWindow,
  dragWindow,
  filmValueRange,
  presetWindows,
  sliderStep,
} from "../src/viewer/window-presets";

const STRIP = { width: 7579, height: 424 };
const CANVAS = { width: 1000, height: 600 };

describe("fitting and stepping along a weld strip", () => {
  test("a strip opens at fit height; a film of ordinary shape opens whole", () => {
    expect(initialFit(STRIP, CANVAS)).toBe("height");
    expect(initialFit({ width: 424, height: 7579 }, CANVAS)).toBe("width");
    expect(initialFit({ width: 1280, height: 640 }, CANVAS)).toBe("page");
  });

  test("fit height starts at the strip's start; each step moves one screen less the overlap, to the end", () => {
    const page = fitTransform("page", STRIP, CANVAS, { scale: 1, tx: 0, ty: 0 });
    let t = fitTransform("height", STRIP, CANVAS, page);
    expect(t.scale).toBeCloseTo(600 / 424);
    const start = visibleRegion(t, STRIP, CANVAS);
    expect(start.x1).toBe(0);
    expect(start.y2).toBe(424);
    const screen = start.x2 - start.x1;
    t = stepTransform(t, 1, STRIP, CANVAS);
    expect(visibleRegion(t, STRIP, CANVAS).x1).toBeCloseTo((1 - STEP_OVERLAP) * screen);
    for (let i = 0; i < 20; i++) t = stepTransform(t, 1, STRIP, CANVAS);
    expect(visibleRegion(t, STRIP, CANVAS).x2).toBeCloseTo(STRIP.width);
    for (let i = 0; i < 20; i++) t = stepTransform(t, -1, STRIP, CANVAS);
    expect(visibleRegion(t, STRIP, CANVAS).x1).toBe(0);
  });

  test("a vertical strip steps down its length", () => {
    const image = { width: 424, height: 7579 };
    const t = fitTransform("width", image, CANVAS, { scale: 1, tx: 0, ty: 0 });
    const stepped = stepTransform(t, 1, image, CANVAS);
    expect(stepped.tx).toBe(t.tx);
    expect(stepped.ty).toBeCloseTo(t.ty - 600 * (1 - STEP_OVERLAP));
  });
});

describe("strip shortcuts", () => {
  const press = (key: string, target: unknown = null) =>
    shortcutFor({ key, ctrlKey: false, metaKey: false, altKey: false, target });

  test("page keys and . , step along the strip; f and h fit; a focused slider keeps its page keys", () => {
    expect([press("PageDown"), press("."), press("PageUp"), press(",")]).toEqual([
      "step-forward",
      "step-forward",
      "step-back",
      "step-back",
    ]);
    expect([press("f"), press("h"), press("0")]).toEqual(["fit-width", "fit-height", "fit"]);
    const slider = { tagName: "INPUT", type: "range" };
    expect([press("PageDown", slider), press("Home", slider), press("ArrowLeft", slider)]).toEqual([
      null,
      null,
      null,
    ]);
    expect(press(".", slider)).toBe("step-forward");
    // A caption mode's radio button keeps its arrows but passes other keys on.
    const radio = { tagName: "INPUT", type: "radio" };
    expect([press("ArrowDown", radio), press("n", radio)]).toEqual([null, "next"]);
    expect(press("5", { tagName: "INPUT", type: "number" })).toBeNull();
  });

  test("the help writes keys short enough for the panel, each key once", () => {
    expect(keyLabel("ArrowLeft")).toBe("←");
    expect(keyLabel("PageDown")).toBe("PgDn");
    const keys = SHORTCUTS.flatMap((shortcut) => shortcut.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("captions", () => {
  const caption = (x: number, y: number) => ({ box: { x, y, width: 20, height: 20 }, width: 80 });

  test("captions that would cover one already placed are left out, not stacked", () => {
    // Ten boxes side by side, 10 px apart: their 80 px captions would overlap each other.
    const places = placeCaptions(
      Array.from({ length: 10 }, (_, i) => caption(100 + i * 10, 100)),
      CANVAS,
    );
    const drawn = places.filter((place) => place !== null);
    expect(drawn.length).toBeLessThan(10);
    expect(places[0]).toEqual({ x: 100, y: 100 - CAPTION_HEIGHT, width: 80, height: CAPTION_HEIGHT });
    // The second goes below its box; a third finds no room.
    expect(places[1]?.y).toBe(120);
    expect(places[2]).toBeNull();
  });

  test("a box at the top edge is captioned below it, a box taller than the canvas inside it", () => {
    expect(placeCaptions([caption(10, 5)], CANVAS)[0]?.y).toBe(25);
    const tall = { box: { x: 0, y: -50, width: 40, height: 800 }, width: 60 };
    expect(placeCaptions([tall], CANVAS)[0]?.y).toBe(0);
  });
});

describe("window/level on 16-bit films", () => {
  // Detector counts: 1,000 to 13,000 in a 16-bit file.
  const values = Uint16Array.from({ length: 10_000 }, (_, i) => 1000 + ((i * 7919) % 12_001));
  const histogram = histogramOf(values, 65536);
  const range = filmValueRange(histogram);

  test("the controls span the film's own values, in steps of about a thousandth", () => {
    expect(range).toEqual({ min: 1000, max: 13_000 });
    expect(sliderStep(range)).toBe(20);
    expect(sliderStep({ min: 0, max: 255 })).toBe(1);
    expect(sliderStep({ min: 0, max: 65535 })).toBe(100);
    expect(filmValueRange(histogram, { slope: 0.5, intercept: -100 })).toEqual({ min: 400, max: 6400 });
  });

  test("presets come from the film's histogram; windows stay within the film's values", () => {
    const full = presetWindows(histogram).find((preset) => preset.id === "full");
    expect(full?.window).toEqual({ center: 7000.5, width: 12_001 });
    expect(clampWindow({ center: 99_999, width: 0 }, range)).toEqual({ center: 13_000, width: 1 });
  });

  test("right-drag: the whole canvas across is the whole range of width, down raises the level", () => {
    const start = { center: 7000, width: 2000 };
    const dragged = dragWindow(start, { dx: 100, dy: -60 }, CANVAS, range);
    expect(dragged.width).toBeCloseTo(2000 + 0.1 * 12_001, 1);
    expect(dragged.center).toBeCloseTo(7000 - 0.1 * 12_001, 1);
    expect(dragWindow(start, { dx: -5000, dy: 5000 }, CANVAS, range)).toEqual({ center: 13_000, width: 1 });
  });
});

describe("what a confidence score is worth", () => {
  const model = (requested: string, sha256: string | null): Job["model"] => ({
    requested,
    version: "1.1.0",
    sha256,
    classes: null,
  });

  test("a shipped model's figures are its card's, for its own file only", () => {
    const sha = "3b18f4a15b464b949f000ffbdb48ebcaadf4e80314874f71636f9d53f2dee4c3";
    const figures = shippedFigures(model("weld-defects", sha));
    expect(figures?.threshold).toBe(0.25);
    expect(figures?.trainedOn).toContain("synthetic");
    expect(figures?.perClass.find((row) => row.name === "crack")).toEqual({
      name: "crack",
      precision: 0.653,
      recall: 0.781,
    });
    expect(shippedFigures(model("weld-defects", "b".repeat(64)))).toBeNull();
    expect(figuresSource(model("weld-defects", sha))).toEqual({ kind: "shipped" });
    expect(figuresSource(model("my-welds@3", sha))).toEqual({
      kind: "registry",
      name: "my-welds",
      version: 3,
    });
  });

  test("a registry version's figures are its evaluation's, at the threshold it recorded", () => {
    const version = {
      classes: ["porosity", "crack"],
      datasetId: "0f6c1a4e-0000-4000-8000-000000000000",
      baseModel: "weld-defects",
      metrics: {
        val: {
          map50: 0.8,
          perClass: [
            { classId: 0, name: "porosity", precision: 0.9, recall: 0.8 },
            { classId: 1, name: "crack", precision: 0.5, recall: 0.4 },
          ],
        },
        evaluation: { images: 40, threshold: 0.25 },
      },
    } as unknown as ModelVersion;
    const figures = versionFigures(version);
    expect(figures.threshold).toBe(0.25);
    expect(figures.evaluatedOn).toContain("40 validation films of dataset 0f6c1a4e");
    expect(figures.trainedOn).toBe("the films of dataset 0f6c1a4e, fine-tuned from weld-defects");
    expect(figures.perClass).toEqual([
      { name: "porosity", precision: 0.9, recall: 0.8 },
      { name: "crack", precision: 0.5, recall: 0.4 },
    ]);
    const reported = versionFigures({ ...version, metrics: { val: version.metrics?.val } } as ModelVersion);
    expect(reported.threshold).toBeNull();
  });
});
