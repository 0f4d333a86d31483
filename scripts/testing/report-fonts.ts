import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPORT_FONT_PATHS, type ReportFontFiles } from "@edge/reports/fonts";

// From the working directory (the repository root): the memory bench runs a bundled copy of this
// module from a scratch folder, where the package cannot be found relative to the file.
const require = createRequire(join(process.cwd(), "package.json"));

/** The report fonts read from their package, for renders outside the Worker (tests, the memory bench). */
export function readReportFonts(): ReportFontFiles {
  const read = (path: string) => new Uint8Array(readFileSync(require.resolve(path)));
  return { regular: read(REPORT_FONT_PATHS.regular), bold: read(REPORT_FONT_PATHS.bold) };
}
