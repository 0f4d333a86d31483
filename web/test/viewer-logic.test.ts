import { describe, expect, test } from "bun:test";
import { parseEventBlocks } from "../src/api/event-stream";
import { classColour, classesOf, isShown } from "../src/viewer/detections";
import { boxFromCorners, handleAt, resizeBox } from "../src/viewer/geometry";
import { shortcutFor } from "../src/viewer/shortcuts";

const size = { width: 320, height: 240 };

describe("boxes", () => {
  test("two corners in any order give the same box, kept inside the image", () => {
    expect(boxFromCorners({ x: 300.4, y: 10 }, { x: 20, y: 400 }, size)).toEqual({
      x1: 20,
      y1: 10,
      x2: 300,
      y2: 240,
    });
    expect(boxFromCorners({ x: -5, y: -5 }, { x: 10, y: 10 }, size)).toEqual({
      x1: 0,
      y1: 0,
      x2: 10,
      y2: 10,
    });
  });

  test("a corner handle is found within the tolerance only", () => {
    const box = { x1: 10, y1: 10, x2: 50, y2: 60 };
    expect(handleAt(box, { x: 12, y: 9 }, 4)).toBe("nw");
    expect(handleAt(box, { x: 49, y: 61 }, 4)).toBe("se");
    expect(handleAt(box, { x: 30, y: 10 }, 4)).toBeNull();
  });

  test("dragging a corner moves it and keeps the opposite corner", () => {
    const box = { x1: 10, y1: 10, x2: 50, y2: 60 };
    expect(resizeBox(box, "se", { x: 80, y: 90 }, size)).toEqual({ x1: 10, y1: 10, x2: 80, y2: 90 });
    // Dragged past the opposite corner: the box flips rather than going negative.
    expect(resizeBox(box, "nw", { x: 70, y: 5 }, size)).toEqual({ x1: 50, y1: 5, x2: 70, y2: 60 });
  });
});

describe("detection filters", () => {
  test("a detection is shown at or above the threshold and only when its class is on", () => {
    expect(isShown({ score: 0.6, classId: 1 }, 0.6, new Set())).toBe(true);
    expect(isShown({ score: 0.59, classId: 1 }, 0.6, new Set())).toBe(false);
    expect(isShown({ score: 0.9, classId: 1 }, 0, new Set([1]))).toBe(false);
  });

  test("classes are listed once each with counts, and keep a colour by id", () => {
    const list = classesOf([
      { classId: 1, label: "crack" },
      { classId: 0, label: "porosity" },
      { classId: 1, label: "crack" },
    ]);
    expect(list).toEqual([
      { classId: 0, label: "porosity", count: 1 },
      { classId: 1, label: "crack", count: 2 },
    ]);
    expect(classColour(0)).not.toBe(classColour(1));
    expect(classColour(9)).toBe(classColour(1));
  });
});

describe("keyboard shortcuts", () => {
  const key = (k: string, target: object = { tagName: "CANVAS" }, extra = {}) =>
    shortcutFor({
      key: k,
      ctrlKey: false,
      metaKey: false,
      altKey: false,
      target: target as EventTarget,
      ...extra,
    });

  test("keys map to their actions", () => {
    expect(key("+")).toBe("zoom-in");
    expect(key("ArrowLeft")).toBe("pan-left");
    expect(key("a")).toBe("accept");
    expect(key("q")).toBeNull();
  });

  test("typing in a field or with a modifier never triggers a shortcut", () => {
    expect(key("a", { tagName: "INPUT", type: "text" })).toBeNull();
    expect(key("r", { tagName: "TEXTAREA" })).toBeNull();
    expect(key("a", { tagName: "CANVAS" }, { ctrlKey: true })).toBeNull();
    // A focused slider keeps its arrow keys; its other keys still work.
    expect(key("ArrowLeft", { tagName: "INPUT", type: "range" })).toBeNull();
    expect(key("]", { tagName: "INPUT", type: "range" })).toBe("confidence-up");
  });
});

describe("event stream parsing", () => {
  test("complete events are returned, comments skipped, a partial event kept for the next chunk", () => {
    const { events, rest } = parseEventBlocks(
      ': keep-alive\n\nevent: job.running\nid: 1\ndata: {"a":1}\n\nevent: job.succeeded\ndata: {"b"',
    );
    expect(events).toEqual(['{"a":1}']);
    expect(parseEventBlocks(`${rest}:2}\n\n`).events).toEqual(['{"b":2}']);
  });
});
