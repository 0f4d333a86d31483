import { describe, expect, test } from "bun:test";
import { images } from "@db/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { DICOM_FIXTURE_SPACING, imageFixtures } from "@scripts/testing/image-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { parse as parseDisposition } from "content-disposition";
import { eq } from "drizzle-orm";
import { unzipSync } from "fflate";

/**
 * Hostile image uploads: decompression bombs in every accepted format, headers a format does not
 * allow, headers hidden behind huge metadata, hostile forms, and a burst from one caller. Each is
 * a specific 4xx (never a 5xx), and nothing refused is stored.
 */

const worker = useTestWorker({
  vars: { ...GENEROUS_AUTH_LIMITS, MAX_IMAGE_HEADER_BYTES: "150000", RATE_LIMIT_WRITE: "20/60s" },
});

/** The declared type does not matter (the bytes decide), as long as it is an image type. */
async function upload(auth: string, body: Uint8Array, type = "image/png") {
  return worker.current.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": type },
    body,
  });
}

async function stored(userId: string) {
  const rows = await worker.current.db.select().from(images).where(eq(images.ownerId, userId));
  const objects = await (await worker.current.mf.getR2Bucket("IMAGES")).list({ prefix: `images/${userId}/` });
  return { rows: rows.length, objects: objects.objects.length };
}

/** Sets the dimensions a header declares, leaving the (small) pixel data as it is. */
const bombs: Array<[string, () => Promise<Buffer>]> = [
  [
    "PNG declaring 50000×50000",
    async () => {
      const png = Buffer.from(await imageFixtures.png());
      png.writeUInt32BE(50_000, 16);
      png.writeUInt32BE(50_000, 20);
      return png;
    },
  ],
  [
    "JPEG declaring 65000×65000",
    async () => {
      const jpeg = Buffer.from(await imageFixtures.jpeg());
      let i = 2;
      while ((jpeg[i + 1] as number) < 0xc0 || (jpeg[i + 1] as number) > 0xc3)
        i += 2 + jpeg.readUInt16BE(i + 2);
      jpeg.writeUInt16BE(65_000, i + 5);
      jpeg.writeUInt16BE(65_000, i + 7);
      return jpeg;
    },
  ],
  [
    "WebP (extended) declaring 16384×16384",
    async () => {
      const header = Buffer.alloc(30);
      header.write("RIFF", 0, "latin1");
      header.writeUInt32LE(22, 4);
      header.write("WEBPVP8X", 8, "latin1");
      header.writeUInt32LE(10, 16);
      header.writeUIntLE(16_383, 24, 3);
      header.writeUIntLE(16_383, 27, 3);
      return header;
    },
  ],
  [
    "TIFF declaring 100000×100000",
    async () => {
      const tiff = Buffer.from(await imageFixtures.tiff16());
      const ifd = tiff.readUInt32LE(4);
      tiff.writeUInt32LE(100_000, ifd + 2 + 8);
      tiff.writeUInt32LE(100_000, ifd + 2 + 12 + 8);
      return tiff;
    },
  ],
];

describe("decompression bombs are refused from their header", () => {
  test.each(bombs)("%s → 422 image_too_many_pixels", async (_, make) => {
    const { user, auth } = await signedInUser(worker.current);
    const response = await upload(auth, await make());
    await expectError(response, 422, "image_too_many_pixels");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });
});

describe("headers a format does not allow", () => {
  test.each([
    [
      "a PNG with bit depth 7",
      async () => {
        const png = Buffer.from(await imageFixtures.png());
        png[24] = 7;
        return png;
      },
    ],
    [
      "a TIFF with a field type that does not exist",
      async () => {
        const tiff = Buffer.from(await imageFixtures.tiff16());
        tiff.writeUInt16LE(99, tiff.readUInt32LE(4) + 2 + 2);
        return tiff;
      },
    ],
    [
      "a JPEG with 12 components",
      async () => {
        const jpeg = Buffer.from(await imageFixtures.jpeg());
        let i = 2;
        while ((jpeg[i + 1] as number) < 0xc0 || (jpeg[i + 1] as number) > 0xc3)
          i += 2 + jpeg.readUInt16BE(i + 2);
        jpeg[i + 9] = 12;
        return jpeg;
      },
    ],
  ])("%s → 400 image_corrupt, nothing stored", async (_, make) => {
    const { user, auth } = await signedInUser(worker.current);
    const response = await upload(auth, await make());
    await expectError(response, 400, "image_corrupt");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });
});

/**
 * A DICOM that is a ZIP archive too (CVE-2019-11687): the preamble holds a stored entry's local
 * header and data, and the central directory and its end record are appended after the pixel data,
 * where a ZIP reader looks first.
 */
function dicomZipPolyglot(dicom: Buffer): Buffer {
  const name = Buffer.from("payload.txt");
  const data = Buffer.from("not a radiograph");
  const crc = Bun.hash.crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const preamble = Buffer.concat([local, name, data]);
  const file = Buffer.from(dicom);
  preamble.copy(file, 0);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(file.length, 16);
  return Buffer.concat([file, central, name, end]);
}

describe("DICOM files that are something else too", () => {
  test("a DICOM whose preamble and tail make it a ZIP archive is 415 image_polyglot", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const polyglot = dicomZipPolyglot(await imageFixtures.dicom());
    expect(Object.keys(unzipSync(new Uint8Array(polyglot)))).toEqual(["payload.txt"]);
    await expectError(await upload(auth, polyglot, "application/dicom"), 415, "image_polyglot");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });

  test("a Pixel Spacing that is not a Decimal String (0x10) is 400 image_corrupt, not 16 mm", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const file = await imageFixtures.dicom();
    const spacing = Buffer.from(`${DICOM_FIXTURE_SPACING.y}\\${DICOM_FIXTURE_SPACING.x}`);
    const at = file.indexOf(spacing);
    expect(at).toBeGreaterThan(0);
    Buffer.from("0x10\\0x10").copy(file, at);
    await expectError(await upload(auth, file, "application/dicom"), 400, "image_corrupt");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });
});

describe("headers behind large metadata", () => {
  test("a JPEG whose frame header follows 120 KB of ICC data is read and stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const response = await upload(auth, await imageFixtures.jpegWithMetadata(60_000, 2));
    expect(response.status).toBe(201);
    expect(await readBody(response, ImageSchema)).toMatchObject({ format: "jpeg", width: 64, height: 48 });
    expect(await stored(user.id)).toEqual({ rows: 1, objects: 1 });
  });

  test("one beyond MAX_IMAGE_HEADER_BYTES is 422 image_header_too_large", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const response = await upload(auth, await imageFixtures.jpegWithMetadata(60_000, 4));
    const error = await expectError(response, 422, "image_header_too_large");
    expect(error.message).toContain("150000");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });
});

describe("hostile forms", () => {
  function form(boundary: string, parts: string[], file: Buffer): Buffer {
    return Buffer.concat([
      Buffer.from(parts.map((part) => `--${boundary}\r\n${part}\r\n`).join("")),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
  }

  test("thousands of small parts within the size limit are parsed and the file is stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const parts = Array.from(
      { length: 3000 },
      (_, n) => `Content-Disposition: form-data; name="f${n}"\r\n\r\nx`,
    );
    const response = await upload(
      auth,
      form("b0", parts, await imageFixtures.png()),
      "multipart/form-data; boundary=b0",
    );
    expect(response.status).toBe(201);
    expect(await stored(user.id)).toEqual({ rows: 1, objects: 1 });
  });

  test("a 1 MiB part header is parsed like any other, and the file stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const huge = `Content-Disposition: form-data; name="note"\r\nX-Padding: ${"p".repeat(1024 * 1024)}\r\n\r\nx`;
    const response = await upload(
      auth,
      form("b1", [huge], await imageFixtures.png()),
      "multipart/form-data; boundary=b1",
    );
    expect(response.status).toBe(201);
    expect(await stored(user.id)).toEqual({ rows: 1, objects: 1 });
  });

  test("a form whose boundary never closes is 400, not 500", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const body = Buffer.from(
      `--b2\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc`,
    );
    const response = await upload(auth, body, "multipart/form-data; boundary=b2");
    expect(response.status).toBe(400);
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });
});

describe("a burst from one caller", () => {
  test("40 concurrent uploads: the write limit answers 429 with Retry-After, every accepted one is stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const png = await imageFixtures.png();
    const responses = await Promise.all(Array.from({ length: 40 }, () => upload(auth, png)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
    const accepted = statuses.filter((s) => s === 201).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(20);
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    await Promise.all(responses.map((r) => r.body?.cancel()));
    expect(await stored(user.id)).toEqual({ rows: accepted, objects: accepted });
  });
});

describe("file names", () => {
  test.each([
    ["a NUL byte", "a%00b.png"],
    ["a line break (header injection)", "a%0D%0AX-Evil:%201.png"],
    ["a right-to-left override", "%E2%80%AEgnp.exe"],
    ["an empty name", ""],
  ])("a name with %s is 400 validation_failed, nothing stored", async (_, encoded) => {
    const { user, auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch(`/v1/images?filename=${encoded}`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "image/png" },
      body: await imageFixtures.png(),
    });
    await expectError(response, 400, "validation_failed");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });

  test("a form's file name is held to the same rule", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const form = new FormData();
    form.append("file", new File([await imageFixtures.png()], "weld\u202Egnp.exe"));
    const response = await worker.current.fetch("/v1/images", {
      method: "POST",
      headers: { Authorization: auth },
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });

  test.each([["Schweißnaht Ø12 – Nr. 7.png"], ['report"; filename=evil.html'], ["back\\slash.png"]])(
    "%s comes back byte for byte in the download's Content-Disposition",
    async (name) => {
      const { auth } = await signedInUser(worker.current);
      const response = await worker.current.fetch(`/v1/images?filename=${encodeURIComponent(name)}`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "image/png" },
        body: await imageFixtures.png(),
      });
      expect(response.status).toBe(201);
      const { id } = await readBody(response, ImageSchema);
      const download = await worker.current.fetch(`/v1/images/${id}/content`, {
        headers: { Authorization: auth },
      });
      await download.body?.cancel();
      const header = download.headers.get("Content-Disposition") ?? "";
      // The header itself is plain ASCII (an escaped fallback plus RFC 8187 filename*), and a
      // client that reads it gets the name back exactly.
      expect(header).toMatch(/^attachment; [\x20-\x7e]+$/);
      const { type, parameters } = parseDisposition(header);
      expect(type).toBe("attachment");
      expect(parameters.filename).toBe(name);
    },
  );
});
