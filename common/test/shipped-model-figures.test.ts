import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  SHIPPED_MODEL_FIGURES,
  type ShippedClassFigures,
  shippedModelFigures,
} from "@common/models/shipped-model-figures";

const models = join(import.meta.dir, "..", "..", "inference", "models");

/** The card's "Measured" table rows: class | objects | AP@0.5 | AP@0.5:0.95 | P | R. */
function measuredRows(card: string) {
  const measured = card.slice(card.indexOf("## Measured"));
  const table = measured.slice(measured.indexOf("| class |"), measured.indexOf("| **all**"));
  return table
    .split("\n")
    .slice(2)
    .filter((line) => line.startsWith("|"))
    .map((line) => {
      const [name = "", ...numbers] = line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
      const [objects, ap50, ap, precision, recall] = numbers.map(Number);
      return { name, objects, ap50, ap, precision, recall } as ShippedClassFigures;
    });
}

describe("the shipped models' figures", () => {
  const card = Bun.file(join(models, "MODEL_CARD.md")).text();

  test("are the model card's, for the file the card describes", async () => {
    const text = await card;
    const [figures] = SHIPPED_MODEL_FIGURES;
    if (!figures) throw new Error("no shipped model figures");
    expect(figures.perClass).toEqual(measuredRows(text));
    expect(text).toContain(`| sha256 | \`${figures.sha256}\` |`);
    expect(text).toContain(`| version | ${figures.version} `);
    expect(text).toContain(`precision and recall at the service's default confidence ${figures.threshold}`);
    const onnx = await Bun.file(join(models, `${figures.name}.onnx`)).arrayBuffer();
    expect(createHash("sha256").update(Buffer.from(onnx)).digest("hex")).toBe(figures.sha256);
  });

  test("belong to one file only: another build of the model gets none", () => {
    const [figures] = SHIPPED_MODEL_FIGURES;
    expect(shippedModelFigures(figures?.sha256 ?? null)).toBe(figures ?? null);
    expect(shippedModelFigures("0".repeat(64))).toBeNull();
    expect(shippedModelFigures(null)).toBeNull();
  });
});
