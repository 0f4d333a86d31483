import { describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDicomFile } from "@common/imaging/dicom-part10";
import { windowBounds } from "@common/imaging/intensity";
import sharp from "sharp";
import { MIN_BOX_INPUT_PX } from "./classes";
import { writeDataset } from "./dataset";
import { DETECTOR_COUNTS, encodeDiconde, encodeTiff } from "./png";
import { renderSample } from "./sample";

describe("large films (issue #15)", () => {
  const sample = renderSample(4242, { imgsz: 320, large: true });

  test("are 4,000–8,000 px strips at the model's resolution with small defects all along them", () => {
    const { width, height } = sample.image;
    expect(width).toBeGreaterThanOrEqual(4000);
    expect(width).toBeLessThanOrEqual(8000);
    expect(height).toBeGreaterThanOrEqual(320);
    expect(height).toBeLessThanOrEqual(720);
    // About 0.4–0.9 defect events per 320 × 320 area, each label at least 5 px at scale 1.
    expect(sample.labels.length).toBeGreaterThan((width * height) / 320 ** 2 / 4);
    for (const { box } of sample.labels) {
      expect(box.x2 - box.x1).toBeGreaterThanOrEqual(MIN_BOX_INPUT_PX - 1e-9);
      expect(box.y2 - box.y1).toBeGreaterThanOrEqual(MIN_BOX_INPUT_PX - 1e-9);
      expect(box.x1).toBeGreaterThanOrEqual(0);
      expect(box.x2).toBeLessThanOrEqual(width);
    }
    // Spread along the weld, not bunched at one end.
    const xs = sample.labels.map((l) => l.box.x1);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(width / 2);
    // Letterboxed whole into 320 px, most labels would shrink below two pixels.
    const shrink = 320 / width;
    const vanishing = sample.labels.filter(
      (l) => Math.min(l.box.x2 - l.box.x1, l.box.y2 - l.box.y1) * shrink < 2,
    );
    expect(vanishing.length / sample.labels.length).toBeGreaterThan(0.8);
  });

  test("are the same for the same seed", () => {
    const again = renderSample(4242, { imgsz: 320, large: true });
    expect(again.labels).toEqual(sample.labels);
    expect(again.image.data.subarray(0, 5000)).toEqual(sample.image.data.subarray(0, 5000));
  });

  test("16-bit TIFF holds detector counts, LZW-compressed in tiles", async () => {
    const tiff = await encodeTiff(sample.image, 16, "detector");
    const meta = await sharp(tiff).metadata();
    expect(meta).toMatchObject({ format: "tiff", depth: "ushort", channels: 1 });
    // sharp does not report compression or tiling; the first directory does (TIFF 6.0 §2).
    const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
    const little = view.getUint16(0) === 0x4949;
    const ifd = view.getUint32(4, little);
    const tags = new Map<number, number>();
    for (let n = 0; n < view.getUint16(ifd, little); n++) {
      const at = ifd + 2 + n * 12;
      const type = view.getUint16(at + 2, little);
      tags.set(
        view.getUint16(at, little),
        type === 3 ? view.getUint16(at + 8, little) : view.getUint32(at + 8, little),
      );
    }
    expect(tags.get(259)).toBe(5); // Compression: LZW
    expect(tags.get(322)).toBe(256); // TileWidth
    expect(tags.get(323)).toBe(256); // TileLength
    const { data } = await sharp(tiff)
      .toColourspace("grey16")
      .raw({ depth: "ushort" })
      .toBuffer({ resolveWithObject: true });
    const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    let [min, max] = [65535, 0];
    for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
    expect(min).toBeGreaterThanOrEqual(DETECTOR_COUNTS.offset);
    expect(max).toBeLessThanOrEqual(DETECTOR_COUNTS.offset + DETECTOR_COUNTS.gain);
  });

  test("DICONDE films hold the counts, their Pixel Spacing and a window over their values", () => {
    const file = encodeDiconde(sample.image, 16, "detector", 0.07);
    const read = readDicomFile(file, file.length, { headerOnly: false });
    if (!read.ok) throw new Error(`generated DICONDE unreadable: ${JSON.stringify(read)}`);
    const { image, pixelData } = read;
    expect(image).toMatchObject({
      width: sample.image.width,
      height: sample.image.height,
      bitsAllocated: 16,
      bitsStored: 14,
      photometric: "MONOCHROME2",
      pixelSizeMm: { x: 0.07, y: 0.07, source: "dicom_pixel_spacing" },
    });
    const values = new Uint16Array(
      file.slice(pixelData.dataOffset, pixelData.dataOffset + pixelData.length).buffer,
    );
    expect(values).toHaveLength(sample.image.width * sample.image.height);
    expect(values[1234]).toBe(
      Math.round(DETECTOR_COUNTS.offset + (sample.image.data[1234] as number) * DETECTOR_COUNTS.gain),
    );
    // The window spans (nearly) all values, as the percentile mapping of a film without one would.
    const window = image.metadata.window;
    if (!window) throw new Error("no window written");
    const { low, high } = windowBounds(window);
    const inside = values.filter((v) => v >= low && v <= high).length;
    expect(inside / values.length).toBeGreaterThan(0.999);
    const [min, max] = values.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [65535, 0]);
    expect(low).toBeGreaterThan(min - 1);
    expect(high).toBeLessThan(max + 1);
  });

  test("`format: dicom` datasets are written as .dcm files with the asked pixel size", async () => {
    const out = await mkdtemp(join(tmpdir(), "diconde-set-"));
    try {
      await writeDataset({
        out,
        seed: 3,
        counts: { train: 0, val: 1, test: 0 },
        imgsz: 320,
        bitDepth: 8,
        format: "dicom",
        pixelSizeMm: 0.2,
      });
      const names = await readdir(join(out, "images", "val"));
      expect(names).toEqual(["val-00000.dcm"]);
      const bytes = new Uint8Array(await readFile(join(out, "images", "val", "val-00000.dcm")));
      expect(readDicomFile(bytes, bytes.length, { headerOnly: true })).toMatchObject({
        ok: true,
        image: { bitsAllocated: 8, pixelSizeMm: { x: 0.2, y: 0.2 } },
      });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
