import { deflateSync } from "node:zlib";
import { writeDiconde } from "@generator/diconde";
import sharp from "sharp";

/** A small greyscale test card with some structure (so encoders produce real data). */
function greyCard(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[y * width + x] = (x * 7 + y * 3) % 256;
  }
  return pixels;
}

const raw = (width: number, height: number) =>
  sharp(greyCard(width, height), { raw: { width, height, channels: 1 } });

/**
 * An uncompressed 16-bit greyscale TIFF, written by hand: sharp writes TIFF as 8-bit only.
 * The directory is placed after the pixel data, as libtiff does, so readers must seek to it.
 */
function tiff16(width: number, height: number, littleEndian: boolean): Buffer {
  const pixels = Buffer.alloc(width * height * 2);
  for (let i = 0; i < width * height; i++) {
    if (littleEndian) pixels.writeUInt16LE((i * 257) % 65536, i * 2);
    else pixels.writeUInt16BE((i * 257) % 65536, i * 2);
  }
  const entries: Array<[number, number, number]> = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 16],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 8],
    [277, 3, 1],
    [278, 4, height],
    [279, 4, pixels.length],
  ];
  const ifdOffset = 8 + pixels.length;
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  const u16 = (value: number, at: number) =>
    littleEndian ? ifd.writeUInt16LE(value, at) : ifd.writeUInt16BE(value, at);
  const u32 = (value: number, at: number) =>
    littleEndian ? ifd.writeUInt32LE(value, at) : ifd.writeUInt32BE(value, at);
  u16(entries.length, 0);
  entries.forEach(([tag, type, value], n) => {
    const at = 2 + n * 12;
    u16(tag, at);
    u16(type, at + 2);
    u32(1, at + 4);
    if (type === 3) u16(value, at + 8);
    else u32(value, at + 8);
  });
  const header = Buffer.alloc(8);
  header.write(littleEndian ? "II" : "MM", 0, "latin1");
  if (littleEndian) {
    header.writeUInt16LE(42, 2);
    header.writeUInt32LE(ifdOffset, 4);
  } else {
    header.writeUInt16BE(42, 2);
    header.writeUInt32BE(ifdOffset, 4);
  }
  return Buffer.concat([header, pixels, ifd]);
}

/** A JPEG with `segments` APP2 (ICC-style) blocks of `bytes` bytes each before its frame header. */
async function jpegWithMetadata(bytes = 60_000, segments = 1): Promise<Buffer> {
  const jpeg = await raw(64, 48).jpeg({ quality: 90 }).toBuffer();
  const app = Buffer.alloc(bytes + 4, 0x20);
  app[0] = 0xff;
  app[1] = 0xe2;
  app.writeUInt16BE(bytes + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), ...Array<Buffer>(segments).fill(app), jpeg.subarray(2)]);
}

/** Pixel Spacing of the DICONDE fixture: rows 0.06 mm apart, columns 0.05 mm (non-square on purpose). */
export const DICOM_FIXTURE_SPACING = { x: 0.05, y: 0.06 } as const;

/** A 12-bit DICONDE radiograph (Explicit VR Little Endian) with calibration, window and identifiers. */
function dicom(width = 64, height = 48): Buffer {
  const card = greyCard(width, height);
  return Buffer.from(
    writeDiconde({
      width,
      height,
      values: Uint16Array.from(card, (v) => v * 16),
      bitsAllocated: 16,
      bitsStored: 12,
      pixelSpacing: [DICOM_FIXTURE_SPACING.y, DICOM_FIXTURE_SPACING.x],
      window: { center: 2048, width: 4096 },
      componentName: "PIPE^SPOOL-17",
      componentId: "P-2026-0042",
      examinationId: "RT-7",
    }),
  );
}

export const imageFixtures = {
  dicom: async (width = 64, height = 48) => dicom(width, height),
  jpegWithMetadata,
  png: (width = 64, height = 48) => raw(width, height).png().toBuffer(),
  png16: (width = 64, height = 48) => raw(width, height).toColourspace("grey16").png().toBuffer(),
  jpeg: (width = 64, height = 48) => raw(width, height).jpeg({ quality: 90 }).toBuffer(),
  tiff16: async (width = 64, height = 48) => tiff16(width, height, true),
  tiff16BigEndian: async (width = 64, height = 48) => tiff16(width, height, false),
  tiff: (width = 64, height = 48) => raw(width, height).tiff().toBuffer(),
  webp: (width = 64, height = 48) => raw(width, height).webp().toBuffer(),
  svg: async () =>
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
    ),
  html: async () => Buffer.from("<!doctype html><html><body><script>alert(1)</script></body></html>"),
  pdf: async () =>
    Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
  gif: async () =>
    Buffer.from(
      "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
      "latin1",
    ),
  /** A valid JPEG whose comment segment carries HTML: an image and a page at once. */
  polyglotJpeg: async () => {
    const jpeg = await imageFixtures.jpeg();
    const payload = Buffer.from("<html><script>alert(document.domain)</script></html>");
    const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, payload.length + 2]), payload]);
    return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
  },
  /** The first half of a JPEG: header intact, scan data and end marker missing. */
  truncatedJpeg: async () => {
    const jpeg = await imageFixtures.jpeg(256, 256);
    return jpeg.subarray(0, Math.floor(jpeg.length / 2));
  },
  /** A few hundred bytes that declare 50 000 × 50 000 pixels: a decompression bomb's header. */
  pixelFlood: async () => {
    const chunk = (type: string, data: Buffer) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      return Buffer.concat([length, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(50_000, 0);
    ihdr.writeUInt32BE(50_000, 4);
    ihdr[8] = 8;
    ihdr[9] = 0;
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", deflateSync(Buffer.alloc(1024))),
      Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]),
    ]);
  },
};

export type ImageFixture = keyof typeof imageFixtures;
