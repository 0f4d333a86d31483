import { PDFDocument } from "pdf-lib";
import { assessmentSection } from "./assessment-section";
import { coverPage } from "./cover-page";
import { EMBEDDABLE_FORMATS, type Embedded, embedImage, type NotEmbedded } from "./embed-image";
import { embedReportFonts, type ReportFontFiles } from "./fonts";
import { imageSection } from "./image-section";
import { footers, Writer } from "./pdf-layout";
import type { ImageSource, RenderLimits, ReportInput } from "./report-input";

export type RenderedReport = {
  pdf: Uint8Array;
  pageCount: number;
  embeddedBytes: number;
  decodedPixels: number;
};

/**
 * Renders a report: a cover page (header fields, acceptance criterion, weld and technique, model
 * identity, per-class counts of the reviewed set, verdict, signatures), the acceptance assessment
 * per film, then one section per image with the radiograph, its reviewed boxes and its table.
 * Images are read one at a time and embedded within the limits (`RenderLimits`).
 */
export async function renderReportPdf(
  input: ReportInput,
  source: ImageSource,
  limits: RenderLimits,
  fontFiles: ReportFontFiles,
): Promise<RenderedReport> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Inspection report ${input.number}`);
  doc.setProducer("defect-detection");
  doc.setCreationDate(input.createdAt);
  doc.setModificationDate(input.createdAt);
  const fonts = await embedReportFonts(doc, fontFiles);
  const w = new Writer(doc, fonts);
  coverPage(w, input);
  if (input.assessment) assessmentSection(w, input.assessment);
  let embeddedBytes = 0;
  let decodedPixels = 0;
  for (const [index, image] of input.images.entries()) {
    let embedded: Embedded | NotEmbedded | null = null;
    let missing: string | null = null;
    if (!EMBEDDABLE_FORMATS.has(image.format)) {
      // Decided from the stored format, before the object is read.
      missing = `${image.format.toUpperCase()} images cannot be embedded by the edge (no codec in Workers)`;
    } else if (embeddedBytes + image.storedBytes > limits.maxEmbeddedBytes) {
      missing = `the report's image budget is spent (REPORT_MAX_EMBEDDED_BYTES ${limits.maxEmbeddedBytes})`;
    } else {
      const bytes = await source(image);
      if (!bytes) missing = "the stored image is gone";
      else {
        embedded = await embedImage(doc, bytes, image.format, limits.maxDecodedPixels - decodedPixels);
        if ("ref" in embedded) {
          embeddedBytes += embedded.bytes;
          decodedPixels += embedded.decodedPixels;
        }
      }
    }
    imageSection(w, image, index + 1, input.images.length, embedded, missing);
  }
  footers(doc, fonts, input);
  // Object streams would compress the small objects a little but cost a second copy in memory.
  const pdf = await doc.save({ useObjectStreams: false });
  return { pdf, pageCount: doc.getPageCount(), embeddedBytes, decodedPixels };
}
