/**
 * Generates a synthetic weld-radiograph dataset.
 *
 *   bun inference/training/generator/cli.ts --out <dir> --seed 1 --train 4000 --val 300 --test 0 \
 *     [--imgsz 320] [--bit-depth 16] [--large] [--format png|tiff]
 *
 * `--large` draws 4,000–8,000 px strips at the model's resolution with defects all along them (for
 * tiled detection); 16-bit strips then hold detector counts. `--format tiff` writes LZW-compressed,
 * tiled TIFF.
 */

import { parseArgs } from "node:util";
import { writeDataset } from "./dataset";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    seed: { type: "string", default: "1" },
    train: { type: "string", default: "0" },
    val: { type: "string", default: "0" },
    test: { type: "string", default: "0" },
    imgsz: { type: "string", default: "320" },
    "bit-depth": { type: "string", default: "8" },
    large: { type: "boolean", default: false },
    format: { type: "string", default: "png" },
  },
});

function count(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${text}`);
  return n;
}

if (!values.out) throw new Error("--out <dir> is required");
const bitDepth = Number(values["bit-depth"]);
if (bitDepth !== 8 && bitDepth !== 16) throw new Error("--bit-depth must be 8 or 16");
const format = values.format;
if (format !== "png" && format !== "tiff") throw new Error("--format must be png or tiff");
const counts = {
  train: count("train", values.train),
  val: count("val", values.val),
  test: count("test", values.test),
};
const started = performance.now();
await writeDataset({
  out: values.out,
  seed: count("seed", values.seed),
  counts,
  imgsz: count("imgsz", values.imgsz),
  bitDepth,
  large: values.large,
  format,
  onProgress: (done, total) => {
    if (done % (values.large ? 10 : 100) === 0 || done === total) {
      const rate = done / ((performance.now() - started) / 1000);
      console.log(`${done}/${total} images (${rate.toFixed(1)}/s)`);
    }
  },
});
console.log(`dataset written to ${values.out}`);
