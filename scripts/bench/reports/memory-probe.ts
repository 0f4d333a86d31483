/**
 * Peak memory of rendering one report, measured in V8 (the engine Workers run) under Node:
 * `bench:reports` bundles this file for Node and runs it with `--expose-gc`. Reads a spec
 * written by run.ts (images on disk, their indications, the limits) and prints one JSON line.
 * The figure is heap plus ArrayBuffers above a collected baseline, sampled after each image is
 * read and after the PDF is written, uncollected garbage included: an upper bound.
 */
import { readFileSync } from "node:fs";
import { renderReportPdf } from "@edge/reports/render-pdf";
import type { RenderLimits, ReportInput } from "@edge/reports/report-input";
import { readReportFonts } from "@scripts/testing/report-fonts";

type Spec = {
  input: ReportInput & { createdAt: string };
  files: Record<string, string>;
  limits: RenderLimits;
};

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const spec = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as Spec;
const input: ReportInput = { ...spec.input, createdAt: new Date(spec.input.createdAt) };
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const fonts = readReportFonts();
gc();
const baseline = used();
let peak = 0;
const sample = () => {
  peak = Math.max(peak, used() - baseline);
};
const rendered = await renderReportPdf(
  input,
  async (image) => {
    sample();
    // A view, not a copy: the Worker reads each object into one buffer too.
    const file = readFileSync(spec.files[image.imageId] as string);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    sample();
    return bytes;
  },
  spec.limits,
  fonts,
);
sample();
console.log(JSON.stringify({ peakBytes: peak, pdfBytes: rendered.pdf.length, pages: rendered.pageCount }));
