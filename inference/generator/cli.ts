/**
 * Generates a synthetic weld-radiograph dataset.
 *
 *   bun inference/generator/cli.ts --out <dir> --seed 1 --train 4000 --val 300 --test 0 \
 *     [--imgsz 320] [--bit-depth 16] [--large] [--style a|b] [--format png|tiff|dicom] [--pixel-size-mm 0.1]
 *
 * `--large` draws 4,000–8,000 px strips at the model's resolution with defects all along them (for
 * tiled detection); 16-bit strips then hold detector counts. `--style b` draws a second film look
 * (3,000–6,000 × 400–900 px strips at the model's resolution, other grain, contrast curve, bead and
 * defect looks, mostly small pores) for measuring fine-tuning; style A is the default. `--format tiff` writes LZW-compressed,
 * tiled TIFF; `--format dicom` DICONDE files (`.dcm`, Explicit VR Little Endian) whose Pixel
 * Spacing is `--pixel-size-mm` and, at 16 bits, whose window covers the film's values. Ultralytics
 * does not read DICOM: DICONDE sets are for evaluation and the full-stack tests, not for training.
 */

import { parseArgs } from "node:util";
import { writeDataset } from "./dataset";
import { FILM_STYLES, type FilmStyle } from "./film";
import { DEFAULT_PIXEL_SIZE_MM } from "./png";

const USAGE = `Usage: bun inference/generator/cli.ts --out <dir> [options]

Writes a synthetic weld-radiograph dataset (images, YOLO labels, data.yaml) to <dir>.

Options:
  --out <dir>            where to write (required)
  --seed <n>             random seed (default 1); the same seed draws the same films
  --train <n>            training films (default 0)
  --val <n>              validation films (default 0)
  --test <n>             test films (default 0)
  --imgsz <px>           the model's input size the films are drawn for (default 320)
  --bit-depth 8|16       sample depth (default 8)
  --large                4,000-8,000 px strips with defects all along them (tiled detection)
  ${`--style ${FILM_STYLES.join("|")}`.padEnd(22)} film look (default a; b: other grain, contrast, bead, small pores)
  --format png|tiff|dicom  file format (default png; dicom: DICONDE with Pixel Spacing)
  --pixel-size-mm <mm>   DICONDE Pixel Spacing (default ${DEFAULT_PIXEL_SIZE_MM})
  -h, --help             print this and exit
`;

/** A mistake in the command line: said in one line with the usage, not as a stack trace. */
function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parsedArgs() {
  try {
    return parseArgs({
      options: {
        out: { type: "string" },
        seed: { type: "string", default: "1" },
        train: { type: "string", default: "0" },
        val: { type: "string", default: "0" },
        test: { type: "string", default: "0" },
        imgsz: { type: "string", default: "320" },
        "bit-depth": { type: "string", default: "8" },
        large: { type: "boolean", default: false },
        style: { type: "string", default: "a" },
        format: { type: "string", default: "png" },
        "pixel-size-mm": { type: "string", default: String(DEFAULT_PIXEL_SIZE_MM) },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
}

const values = parsedArgs();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function count(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) usageError(`--${name} must be a non-negative integer, got ${text}`);
  return n;
}

if (!values.out) usageError("--out <dir> is required");
const out = values.out;
const bitDepth = Number(values["bit-depth"]);
if (bitDepth !== 8 && bitDepth !== 16) usageError("--bit-depth must be 8 or 16");
const format = values.format;
if (format !== "png" && format !== "tiff" && format !== "dicom") {
  usageError("--format must be png, tiff or dicom");
}
const style = values.style as FilmStyle;
if (!FILM_STYLES.includes(style)) usageError(`--style must be one of ${FILM_STYLES.join(", ")}`);
const pixelSizeMm = Number(values["pixel-size-mm"]);
if (!(pixelSizeMm > 0 && pixelSizeMm <= 100)) usageError("--pixel-size-mm must be in (0, 100]");
const counts = {
  train: count("train", values.train),
  val: count("val", values.val),
  test: count("test", values.test),
};
const started = performance.now();
await writeDataset({
  out,
  seed: count("seed", values.seed),
  counts,
  imgsz: count("imgsz", values.imgsz),
  bitDepth,
  large: values.large,
  style,
  format,
  pixelSizeMm,
  onProgress: (done, total) => {
    if (done % (values.large || style === "b" ? 10 : 100) === 0 || done === total) {
      const rate = done / ((performance.now() - started) / 1000);
      console.log(`${done}/${total} images (${rate.toFixed(1)}/s)`);
    }
  },
});
console.log(`dataset written to ${out}`);
