import regular from "dejavu-fonts-ttf/ttf/DejaVuSans.ttf";
import bold from "dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf";
import type { ReportFontFiles } from "./fonts";

/**
 * The report fonts in the Worker: wrangler bundles `.ttf` imports as data modules (the `[[rules]]`
 * in wrangler.toml), which arrive as ArrayBuffers.
 */
export const WORKER_REPORT_FONTS: ReportFontFiles = {
  regular: new Uint8Array(regular),
  bold: new Uint8Array(bold),
};
