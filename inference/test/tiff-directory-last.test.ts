import { describe, expect, test } from "bun:test";
import { encodePng, encodeTiff } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { type TiffLayout, writeTiff } from "@generator/tiff";
import { decodeToSize, probeImage } from "../src/image/decode";

/**
 * TIFF films whose directory follows the pixel data (libtiff's layout, so most scanners' and
 * digitisers'), in either byte order, strips or tiles, compressed or not: libvips reads them from
 * the whole buffer, and they decode to exactly what the same film as a 16-bit PNG does.
 */
const LIMIT = 100_000_000;

const layouts: TiffLayout[] = (["II", "MM"] as const).flatMap((byteOrder) =>
  (["none", "lzw", "deflate"] as const).flatMap((compression) =>
    (["strips", "tiles"] as const).map((organisation) => ({ byteOrder, compression, organisation })),
  ),
);

describe("TIFF with its directory after the pixels", () => {
  const { image } = renderSample(deriveSeed(24, "directory-last", 0), { imgsz: 320 });

  test.each(layouts.map((l) => [`${l.byteOrder} ${l.compression} ${l.organisation}`, l] as const))(
    "%s decodes as the same film in PNG does",
    async (_, layout) => {
      const tiff = await encodeTiff(image, 16, "detector", layout);
      const little = layout.byteOrder === "II";
      expect(little ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4)).toBeGreaterThan(tiff.length / 2);
      const png = await encodePng(image, 16, "detector");
      expect(await probeImage(tiff, LIMIT)).toMatchObject({
        format: "tiff",
        width: image.width,
        height: image.height,
        channels: 1,
        depth: "ushort",
      });
      const fromTiff = await decodeToSize(tiff, image.width, image.height, LIMIT, true);
      const fromPng = await decodeToSize(png, image.width, image.height, LIMIT, true);
      expect(Buffer.from(fromTiff.data).equals(Buffer.from(fromPng.data))).toBe(true);
    },
  );

  test("a 3840 × 3840 16-bit film of 29 MB, uncompressed in strips, decodes", async () => {
    const values = new Uint16Array(3840 * 3840);
    for (let i = 0; i < values.length; i++) values[i] = 1000 + ((i % 3840) + Math.floor(i / 3840)) * 2;
    const file = writeTiff({ width: 3840, height: 3840, values });
    expect(file.length).toBeGreaterThan(29_000_000);
    expect(await probeImage(file, LIMIT)).toMatchObject({ width: 3840, height: 3840, depth: "ushort" });
    const raster = await decodeToSize(file, 3840, 3840, LIMIT, true);
    // A diagonal ramp: darkest top left, brightest bottom right.
    expect(raster.data[0]).toBeLessThan(raster.data[raster.data.length - 1] as number);
  }, 60_000);
});
