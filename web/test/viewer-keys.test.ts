import { describe, expect, test } from "bun:test";
import { type KeyTargets, keyActions } from "../src/viewer/key-actions";

/** Targets that record what each shortcut did. */
function targets(overrides: Partial<KeyTargets> = {}) {
  const log: string[] = [];
  let minScore = 0.5;
  let drawing = false;
  const view = {
    zoomBy: (factor: number) => void log.push(`zoom ${factor}`),
    fit: () => void log.push("fit"),
    fitWidth: () => void log.push("fit width"),
    fitHeight: () => void log.push("fit height"),
    step: (direction: 1 | -1) => void log.push(`step ${direction}`),
    panBy: (x: number, y: number) => void log.push(`pan ${x} ${y}`),
  };
  const base: KeyTargets = {
    view: { current: view },
    order: ["a", "b", "c"],
    selected: "c",
    select: (key) => void log.push(`select ${key}`),
    setMinScore: (change) => {
      minScore = change(minScore);
    },
    autoWindow: () => void log.push("auto"),
    setDrawing: (change) => {
      drawing = change(drawing);
    },
    decide: (decision) => void log.push(decision),
    reviewable: true,
    ...overrides,
  };
  return { actions: keyActions(view, base), log, minScore: () => minScore, drawing: () => drawing };
}

describe("viewer shortcuts", () => {
  test("next and previous wrap around the indications shown", () => {
    const { actions, log } = targets();
    actions.next();
    actions.previous();
    expect(log).toEqual(["select a", "select b"]);
  });

  test("the confidence threshold moves in steps of 0.05 and stays within 0 and 1", () => {
    const up = targets({});
    for (let n = 0; n < 15; n++) up.actions["confidence-up"]();
    expect(up.minScore()).toBe(1);
    const down = targets();
    down.actions["confidence-down"]();
    expect(down.minScore()).toBe(0.45);
  });

  test("drawing and decisions need a review; Escape deselects and stops drawing", () => {
    const reviewing = targets();
    reviewing.actions.draw();
    expect(reviewing.drawing()).toBe(true);
    reviewing.actions.accept();
    reviewing.actions.deselect();
    expect(reviewing.drawing()).toBe(false);
    expect(reviewing.log).toEqual(["accept", "select null"]);

    const notYet = targets({ reviewable: false, decide: null });
    notYet.actions.draw();
    notYet.actions.reject();
    expect(notYet.drawing()).toBe(false);
    expect(notYet.log).toEqual([]);
  });

  test("zoom and pan act on the film view", () => {
    const { actions, log } = targets();
    actions["zoom-in"]();
    actions["pan-left"]();
    actions.fit();
    expect(log).toEqual(["zoom 1.25", "pan 60 0", "fit"]);
  });

  test("a strip is fitted by its height and stepped through a screen at a time", () => {
    const { actions, log } = targets();
    actions["fit-height"]();
    actions["step-forward"]();
    actions["step-back"]();
    actions["fit-width"]();
    expect(log).toEqual(["fit height", "step 1", "step -1", "fit width"]);
  });
});
