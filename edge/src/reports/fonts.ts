import fontkit from "@pdf-lib/fontkit";
import type { PDFDocument } from "pdf-lib";
import type { Fonts } from "./pdf-layout";

/**
 * The TrueType files a report is set in: DejaVu Sans, which covers Latin, Greek, Cyrillic and
 * more, so inspectors', customers' and places' names print as written. Each runtime reads them
 * its own way (the Worker bundles them as data modules, `./font-files-worker.ts`; Node and Bun
 * read them from the package), so the renderer takes the bytes.
 */
export type ReportFontFiles = { regular: Uint8Array; bold: Uint8Array };

/** The package and paths of the files, for the runtimes that read them from disk. */
export const REPORT_FONT_PATHS = {
  regular: "dejavu-fonts-ttf/ttf/DejaVuSans.ttf",
  bold: "dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf",
} as const;

/**
 * Embeds the fonts, subset: the PDF carries only the glyphs it prints (a few kB), not the 700 kB
 * files.
 */
export async function embedReportFonts(doc: PDFDocument, files: ReportFontFiles): Promise<Fonts> {
  doc.registerFontkit(fontkit);
  const [regular, bold] = await Promise.all([
    doc.embedFont(files.regular, { subset: true }),
    doc.embedFont(files.bold, { subset: true }),
  ]);
  return { regular, bold };
}
