import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assessReport } from "@edge/reports/assessment";
import { renderReportPdf } from "@edge/reports/render-pdf";
import type { ReportImage, ReportInput } from "@edge/reports/report-input";
import type { ReviewItem } from "@edge/reviews/reviewed-set";
import { TECHNIQUE } from "@scripts/testing/report-fixtures";
import { readReportFonts } from "@scripts/testing/report-fonts";
import sharp, { type Sharp } from "sharp";

/** The renderer on its own (no Worker): how each kind of stored image ends up in the PDF. */

const poppler = ["pdftotext", "pdfimages", "pdftoppm"].every((tool) => Bun.which(tool) !== null);
if (!poppler)
  console.warn("render-pdf.test.ts: pdftotext/pdfimages/pdftoppm not found; these checks are skipped");

const scratch = await mkdtemp(join(tmpdir(), "render-pdf-test-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const fonts = readReportFonts();
const W = 320;
const H = 240;
const grey = (): Sharp => sharp(Buffer.alloc(W * H, 100), { raw: { width: W, height: H, channels: 1 } });
const bytesOf = async (image: Sharp) => new Uint8Array(await image.toBuffer());

function image(name: string, format: string, bytes: Uint8Array): ReportImage & { bytes: Uint8Array } {
  return {
    bytes,
    jobId: crypto.randomUUID(),
    imageId: crypto.randomUUID(),
    objectKey: name,
    filename: name,
    format,
    width: W,
    height: H,
    storedBytes: bytes.length,
    model: { name: "weld-defects", version: "1.0.0", sha256: "b".repeat(64) },
    reviewVersion: 0,
    pixelSizeMm: null,
    pixelSizeSource: null,
    items: [],
  };
}

async function render(
  images: Array<ReturnType<typeof image>>,
  limits = { maxEmbeddedBytes: 1 << 24, maxDecodedPixels: 1 << 24 },
  header: ReportInput["header"] = {},
  document: Partial<ReportInput> = {},
) {
  const input: ReportInput = {
    number: "RPT-00007",
    createdAt: new Date("2026-11-30T12:00:00Z"),
    header,
    verdict: "accept",
    derivedVerdict: null,
    verdictOverride: null,
    acceptance: null,
    weld: null,
    technique: null,
    personnel: null,
    assessment: null,
    images,
    ...document,
  };
  const rendered = await renderReportPdf(
    input,
    async (img) => (img as ReturnType<typeof image>).bytes,
    limits,
    fonts,
  );
  const path = join(scratch, `${crypto.randomUUID()}.pdf`);
  await Bun.write(path, rendered.pdf);
  const run = (command: string[]) => Bun.spawnSync(command).stdout.toString();
  return {
    rendered,
    text: () => run(["pdftotext", "-layout", path, "-"]),
    /** The colour at a point of a page rendered at 72 dpi (1 px per point). */
    pixel: async (page: number, x: number, y: number) => {
      const prefix = join(scratch, crypto.randomUUID());
      run([
        "pdftoppm",
        "-f",
        String(page),
        "-l",
        String(page),
        "-r",
        "72",
        "-png",
        "-singlefile",
        path,
        prefix,
      ]);
      const { data, info } = await sharp(`${prefix}.png`)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const i = (y * info.width + x) * 3;
      return [data[i], data[i + 1], data[i + 2]];
    },
    /** `pdfimages -list` rows: [page, type, width, height, color, bpc, encoding]. */
    images: () =>
      run(["pdfimages", "-list", path])
        .split("\n")
        .slice(2)
        .filter(Boolean)
        .map((line) => line.trim().split(/\s+/))
        .map((f) => [f[0], f[2], f[3], f[4], f[5], f[7], f[8]]),
  };
}

describe.skipIf(!poppler)("embedding stored images", () => {
  test("JPEG and plain 8- and 16-bit PNGs are embedded without decoding; PNGs with alpha are decoded", async () => {
    const out = await render([
      image("a.jpg", "jpeg", await bytesOf(grey().toColourspace("b-w").jpeg())),
      image("b.png", "png", await bytesOf(grey().toColourspace("b-w").png())),
      image("c.png", "png", await bytesOf(grey().toColourspace("grey16").png())),
      image("d.png", "png", await bytesOf(grey().png())),
      image("e.png", "png", await bytesOf(grey().ensureAlpha().png())),
      image("f.png", "png", await bytesOf(grey().png({ palette: true }))),
    ]);
    expect(out.images()).toEqual([
      ["2", "image", "320", "240", "gray", "8", "jpeg"],
      ["3", "image", "320", "240", "gray", "8", "image"],
      ["4", "image", "320", "240", "gray", "16", "image"],
      ["5", "image", "320", "240", "rgb", "8", "image"],
      ["6", "image", "320", "240", "rgb", "8", "image"],
      ["7", "image", "320", "240", "index", "8", "image"],
    ]);
    // Grey and palette colour spaces prove the PNGs went in as stored: pdf-lib's decoder always
    // writes RGB. Only the PNG with alpha was decoded (its alpha, all opaque, is dropped).
    expect(out.rendered.decodedPixels).toBe(W * H);
    expect(out.rendered.pageCount).toBe(7);
    // The predictor-encoded streams decode to the stored grey (100) in a reader: 8-bit, 16-bit, palette.
    for (const page of [3, 4, 7]) expect(await out.pixel(page, 150, 150)).toEqual([100, 100, 100]);
  });

  test("images past the byte or decoding budget, and formats without a codec, are framed with the reason", async () => {
    const png = await bytesOf(grey().png());
    const overBytes = await render([image("first.png", "png", png), image("second.png", "png", png)], {
      maxEmbeddedBytes: png.length + 1,
      maxDecodedPixels: 1 << 24,
    });
    expect(overBytes.images().map((row) => row[0])).toEqual(["2"]);
    expect(overBytes.text().replace(/\s+/g, " ")).toContain(
      `Image not embedded: the report's image budget is spent (REPORT_MAX_EMBEDDED_BYTES ${png.length + 1})`,
    );
    expect(overBytes.rendered.embeddedBytes).toBeLessThanOrEqual(png.length);

    const framed = await render(
      [
        image("alpha.png", "png", await bytesOf(grey().ensureAlpha().png())),
        image("scan.tiff", "tiff", await bytesOf(grey().tiff())),
      ],
      { maxEmbeddedBytes: 1 << 24, maxDecodedPixels: W * H - 1 },
    );
    expect(framed.images()).toEqual([]);
    const text = framed.text().replace(/\s+/g, " ");
    expect(text).toContain("Image not embedded: a PNG with alpha or interlacing must be decoded");
    expect(text).toContain("Image not embedded: TIFF images cannot be embedded by the edge");
    expect(framed.rendered.decodedPixels).toBe(0);
  });

  test("names in Latin, Cyrillic and Greek print as written; glyphs the font lacks as ?; the font is subset", async () => {
    const out = await render([image("a.png", "png", await bytesOf(grey().png()))], undefined, {
      customer: "Šťastný Svařování 溶接",
      partId: "Дмитрий Шостакович · Ελένη Παπαδοπούλου ≤ 3 mm",
    });
    const text = out.text();
    expect(text).toContain("Šťastný Svařování ??");
    expect(text).toContain("Дмитрий Шостакович · Ελένη Παπαδοπούλου ≤ 3 mm");
    // Subset: the two DejaVu files are 1.4 MB; the page carries only the glyphs it prints.
    expect(out.rendered.pdf.length).toBeLessThan(200_000);
  });
});

const reviewItem = (
  classId: number,
  label: string,
  box: ReviewItem["box"],
  decision: ReviewItem["decision"] = "accepted",
): ReviewItem => ({
  id: crypto.randomUUID(),
  source: "model",
  original: { classId, label, score: 0.9, box },
  rowId: null,
  decision,
  classId,
  label,
  box,
  note: null,
  updatedAt: null,
  updatedBy: null,
});

describe.skipIf(!poppler)("indication sizes in the image table", () => {
  test("a measured extent prints its own length × width; a resized box its sides, marked *", async () => {
    // A slanted crack: its box is 30 × 40 px, its measured line (0,0)-(30,40) is 50 px long.
    const crackBox = { x1: 100, y1: 50, x2: 130, y2: 90 };
    const crack: ReviewItem = {
      ...reviewItem(1, "crack", crackBox),
      original: {
        classId: 1,
        label: "crack",
        score: 0.9,
        box: crackBox,
        extent: { line: { x1: 100, y1: 50, x2: 130, y2: 90 }, widthPx: 4, method: "segmented" },
      },
    };
    // Resized in review: the measurement described the model's box, so the new box's sides stand in.
    const resized: ReviewItem = {
      ...crack,
      id: crypto.randomUUID(),
      box: { x1: 200, y1: 50, x2: 230, y2: 70 },
    };
    const film = image("weld-18.png", "png", await bytesOf(grey().png()));
    const out = await render([
      { ...film, items: [crack, resized], pixelSizeMm: { x: 0.1, y: 0.1 }, pixelSizeSource: "report" },
    ]);
    const text = out.text().replace(/\s+/g, " ");
    expect(text).toContain("L×W mm");
    expect(text).toContain("5.00×0.40 ");
    expect(text).toContain("3.00×2.00*");
    expect(text).toContain("L×W: the indication's longest extent and its width across it");
  });
});

describe.skipIf(!poppler)("a report an auditor signs", () => {
  test("pdftotext finds the criterion, weld, technique, assessment table, override, warning and signatures", async () => {
    const items = [
      reviewItem(0, "porosity", { x1: 100, y1: 50, x2: 125, y2: 75 }),
      reviewItem(2, "crack", { x1: 200, y1: 40, x2: 260, y2: 45 }, "rejected"),
      reviewItem(0, "porosity", { x1: 250, y1: 50, x2: 285, y2: 85 }),
    ];
    const acceptance = { standard: "en-iso-10675-1", level: 2 } as const;
    const weld = { thicknessMm: 10, lengthMm: 100, widthMm: 12, passes: "multiple", axis: "x" } as const;
    const film = image("weld-17.png", "png", await bytesOf(grey().png()));
    const pixel = { x: 0.1, y: 0.1 };
    const assessment = assessReport(acceptance, weld, "W-17", [
      {
        ...film,
        pixelSizeMm: pixel,
        calibrationOverridden: { x: 0.2, y: 0.2, source: "dicom_pixel_spacing" },
        items,
      },
    ]);
    expect(assessment.verdict).toBe("reject");
    const out = await render(
      [{ ...film, items, pixelSizeMm: pixel, pixelSizeSource: "report" }],
      undefined,
      { weldId: "W-17", customer: "Acme Pipelines" },
      {
        verdict: "accept",
        derivedVerdict: assessment.verdict,
        verdictOverride: { verdict: "accept", reason: "Pore 3 re-measured at 2.9 mm on the original film." },
        acceptance,
        weld,
        technique: TECHNIQUE,
        personnel: {
          inspector: {
            name: "Zoë Ünal",
            certificationScheme: "EN ISO 9712",
            level: "2",
            certificateNumber: "12345",
          },
          reviewer: {
            name: "Дмитрий Шостакович",
            certificationScheme: "ASNT SNT-TC-1A",
            level: "3",
            certificateNumber: "R-99",
          },
        },
        assessment,
      },
    );
    const text = out.text().replace(/\s+/g, " ");
    for (const expected of [
      "Standard: EN ISO 10675-1:2016, acceptance level 2",
      "Thickness t: 10 mm",
      "Weld length per film: 100 mm",
      "Weld width: 12 mm",
      "Passes: multiple",
      "Weld axis: along the film's width (datum: the film's left edge)",
      "Technique (EN ISO 17636-2, ASME V Article 2)",
      "Testing class: class B",
      "Arrangement: SWSI",
      "Source: X-ray tube, 250 kV, focal spot 3 mm",
      "SFD: 700 mm",
      "Film system: EN ISO 11699-1 C5, Pb 0.1 mm",
      "Optical density: 2.8",
      "IQI: ISO 19232-1 wire IQI, source side",
      "IQI sensitivity: W13",
      "VERDICT: ACCEPT",
      "Derived verdict: reject, from the assessment of 2 reviewed indication(s) against EN ISO 10675-1:2016, acceptance level 2",
      "Reviewer's override: accept instead of reject",
      "Reason: Pore 3 re-measured at 2.9 mm on the original film.",
      "Inspector: Zoë Ünal, EN ISO 9712 level 2, certificate 12345",
      "Reviewer: Дмитрий Шостакович, ASNT SNT-TC-1A level 3, certificate R-99",
      "ACCEPTANCE ASSESSMENT",
      "Film 1 of 1: weld-17.png: reject",
      "Location: mm along the weld from the film's left edge (the indication's position in pixels × the pixel size)",
      "WARNING: the stated pixel size 0.1×0.1 mm overrides the film's own calibration 0.2×0.2 mm (dicom_pixel_spacing)",
      "# ISO 6520-1 Class Along weld mm Length mm Width mm Review Assessment",
      "1 2011 0 porosity 10.00–12.50 2.50 2.50 accepted accept",
      "3 2011 0 porosity 25.00–28.50 3.50 3.50 accepted reject",
      "Rule: EN ISO 10675-1:2016, Table 1, porosity and gas pores (2011, 2012): single pore d (en-iso-10675-1.single-pore): pore diameter d 3.5 mm beyond the limit (<= 3 mm)",
    ]) {
      expect(text).toContain(expected);
    }
    expect(text.match(/Signature:/g)).toHaveLength(2);
    expect(text.match(/Date:/g)).toHaveLength(2);
  });

  test("a digital detector prints its SRb, an isotope its name; ASME and a missing input are stated", async () => {
    const acceptance = { standard: "asme-viii-1", level: "uw-51" } as const;
    const weld = { thicknessMm: 12, axis: "y" } as const;
    const film = image("dda.png", "png", await bytesOf(grey().png()));
    const items = [reviewItem(0, "porosity", { x1: 100, y1: 50, x2: 125, y2: 75 })];
    const assessment = assessReport(acceptance, weld, undefined, [
      { ...film, pixelSizeMm: { x: 0.1, y: 0.1 }, calibrationOverridden: null, items },
    ]);
    const out = await render(
      [{ ...film, items }],
      undefined,
      {},
      {
        verdict: assessment.verdict,
        derivedVerdict: assessment.verdict,
        acceptance,
        weld,
        technique: {
          source: { kind: "isotope", isotope: "Se-75" },
          sfdMm: 500,
          detector: { kind: "digital", detector: "DDA 200 µm", srbUm: 130 },
          iqi: { type: "astm-e1025-hole", position: "film-side", sensitivity: "2-2T" },
        },
        personnel: {
          inspector: {
            name: "J. Smith",
            certificationScheme: "ASNT SNT-TC-1A",
            level: "2",
            certificateNumber: "A-1",
          },
        },
        assessment,
      },
    );
    const text = out.text().replace(/\s+/g, " ");
    for (const expected of [
      "Standard: ASME BPVC Section VIII, Division 1, UW-51(b) with Mandatory Appendix 4",
      "Appendix 4 charts: not given",
      "Weld axis: along the film's height (datum: the film's top edge)",
      "Source: Se-75",
      "SFD: 500 mm",
      "Detector: DDA 200 µm",
      "SRb: 130 µm",
      "IQI: ASTM E1025 hole IQI, film side",
      "IQI sensitivity: 2-2T",
      "Testing class: not stated",
      "VERDICT: CANNOT BE EVALUATED",
      "Missing inputs: roundedIndicationCharts",
      "Location: mm along the weld from the film's top edge",
      "Reviewer: none named",
    ]) {
      expect(text).toContain(expected);
    }
    expect(text.match(/Signature:/g)).toHaveLength(1);
  });
});
