import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderReportPdf } from "@edge/reports/render-pdf";
import type { ReportImage, ReportInput } from "@edge/reports/report-input";
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
) {
  const input: ReportInput = {
    number: "RPT-00007",
    createdAt: new Date("2026-11-30T12:00:00Z"),
    header,
    verdict: "accept",
    images,
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
      inspector: "Zoë Ünal",
      partId: "Дмитрий Шостакович · Ελένη Παπαδοπούλου ≤ 3 mm",
    });
    const text = out.text();
    expect(text).toContain("Zoë Ünal");
    expect(text).toContain("Šťastný Svařování ??");
    expect(text).toContain("Дмитрий Шостакович · Ελένη Παπαδοπούλου ≤ 3 mm");
    // Subset: the two DejaVu files are 1.4 MB; the page carries only the glyphs it prints.
    expect(out.rendered.pdf.length).toBeLessThan(200_000);
  });
});
