import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { REPORT_FONT_PATHS, type ReportFontFiles } from "@edge/reports/fonts";

const require = createRequire(import.meta.url);

/** The report fonts read from their package, for renders outside the Worker (tests, the memory bench). */
export function readReportFonts(): ReportFontFiles {
  const read = (path: string) => new Uint8Array(readFileSync(require.resolve(path)));
  return { regular: read(REPORT_FONT_PATHS.regular), bold: read(REPORT_FONT_PATHS.bold) };
}
