import { describe, expect, test } from "bun:test";
import { type ExportItem, toCoco } from "@edge/jobs/exports";
import { CocoExportSchema } from "@scripts/testing/coco-export";

const box = { x1: 1, y1: 2, x2: 11, y2: 12 };
const item = (name: string, detections: Array<[number, string]>): ExportItem => ({
  jobId: crypto.randomUUID(),
  image: { id: crypto.randomUUID(), width: 100, height: 100, filename: `${name}.png` },
  detections: detections.map(([classId, label]) => ({
    classId,
    label,
    score: 0.9,
    box,
    boxNormalized: { x1: 0.01, y1: 0.02, x2: 0.11, y2: 0.12 },
  })),
  pixelSizeMm: null,
});

describe("COCO categories across jobs", () => {
  test("each label keeps its class id when the jobs agree", () => {
    const coco = CocoExportSchema.parse(
      toCoco(
        [
          item("a", [
            [0, "porosity"],
            [1, "crack"],
          ]),
          item("b", [[1, "crack"]]),
        ],
        "reviewed",
      ),
    );
    expect(coco.categories).toEqual([
      { id: 0, name: "porosity", supercategory: "defect" },
      { id: 1, name: "crack", supercategory: "defect" },
    ]);
    expect(coco.annotations.map((a) => a.category_id)).toEqual([0, 1, 1]);
  });

  test("two labels under one class id never rename each other: the second gets a fresh id", () => {
    const coco = CocoExportSchema.parse(
      toCoco(
        [
          item("a", [
            [0, "porosity"],
            [2, "slag_inclusion"],
          ]),
          item("b", [
            [0, "defect"],
            [0, "porosity"],
          ]),
        ],
        "reviewed",
      ),
    );
    expect(coco.categories).toEqual([
      { id: 0, name: "porosity", supercategory: "defect" },
      { id: 2, name: "slag_inclusion", supercategory: "defect" },
      { id: 3, name: "defect", supercategory: "defect" },
    ]);
    expect(coco.annotations.map((a) => a.category_id)).toEqual([0, 2, 3, 0]);
  });
});
