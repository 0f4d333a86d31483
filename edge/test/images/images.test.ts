import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { images } from "@db/schema";
import { DATABASE_RETRY_AFTER_SECONDS } from "@edge/db-errors";
import { ImagePageSchema, ImageSchema } from "@edge/routes/images/schema";
import { TRANSFER_SYNTAX_UIDS, writeDiconde } from "@generator/diconde";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import { DICOM_FIXTURE_SPACING, type ImageFixture, imageFixtures } from "@scripts/testing/image-fixtures";
import { expectError, readBody, readError } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

const worker = useTestWorker({
  vars: {
    MAX_IMAGE_BYTES: String(2 * 1024 * 1024),
    RATE_LIMIT_WRITE: "1000/60s",
    RATE_LIMIT_READ: "1000/60s",
  },
});

const upload = (auth: string, body: BodyInit, headers: Record<string, string> = {}, query = "") =>
  worker.current.fetch(`/v1/images${query}`, {
    method: "POST",
    headers: { Authorization: auth, ...headers },
    body,
  });

/** Neither a row nor an object of `userId`'s: what a refused upload must leave behind. */
async function expectNothingStored(userId: string) {
  expect(await worker.current.db.select().from(images).where(eq(images.ownerId, userId))).toEqual([]);
  const listed = await (await worker.current.mf.getR2Bucket("IMAGES")).list({ prefix: `images/${userId}/` });
  expect(listed.objects).toEqual([]);
}

const uploadRaw = async (auth: string, bytes: Buffer, type = "image/png", query = "") =>
  upload(auth, bytes, { "Content-Type": type, "Content-Length": String(bytes.length) }, query);

describe("upload: accepted", () => {
  test.each([
    ["png", "png", 8],
    ["png16", "png", 16],
    ["jpeg", "jpeg", 8],
    ["tiff16", "tiff", 16],
    ["webp", "webp", 8],
    ["dicom", "dicom", 16],
  ] as const)(
    "%s is stored with its metadata, whatever the client claims its type is",
    async (fixture, format, bitDepth) => {
      const { auth } = await signedInUser(worker.current);
      const bytes = await imageFixtures[fixture as ImageFixture]();
      const response = await uploadRaw(auth, bytes, "image/jpeg");
      const body = await readBody(response, ImageSchema);
      expect(response.status).toBe(201);
      expect(response.headers.get("location")).toBe(`/v1/images/${body.id}`);
      expect(body).toMatchObject({ format, width: 64, height: 48, bitDepth, bytes: bytes.length });
      expect(body.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));

      const [row] = await worker.current.db.select().from(images).where(eq(images.id, body.id));
      const object = await (await worker.current.mf.getR2Bucket("IMAGES")).get(row?.objectKey as string);
      expect(Buffer.from(await (object as unknown as Response).arrayBuffer()).equals(bytes)).toBe(true);
      expect(row?.objectKey).toMatch(/^images\/[0-9a-f-]{36}\/[\w-]{22}$/);
    },
  );

  test("multipart upload keeps the file name", async () => {
    const { auth } = await signedInUser(worker.current);
    const form = new FormData();
    form.set("file", new File([await imageFixtures.jpeg()], "weld-0042.jpg", { type: "image/jpeg" }));
    const response = await upload(auth, form);
    expect(response.status).toBe(201);
    expect(await readBody(response, ImageSchema)).toMatchObject({
      format: "jpeg",
      filename: "weld-0042.jpg",
    });
  });

  test("an API key with images:write can upload", async () => {
    const { auth } = await signedInUser(worker.current);
    const { key } = await createApiKey(worker.current, auth, ["images:write"]);
    expect((await uploadRaw(`Bearer ${key}`, await imageFixtures.png())).status).toBe(201);
  });
});

describe("upload: refused", () => {
  test.each([
    ["zero bytes", async () => Buffer.alloc(0), 400, "empty_body"],
    ["a truncated JPEG", imageFixtures.truncatedJpeg, 400, "image_corrupt"],
    [
      "wrong magic bytes",
      async () => Buffer.from("this is just text, not an image at all"),
      415,
      "unsupported_image_type",
    ],
    ["SVG", imageFixtures.svg, 415, "unsupported_image_type"],
    ["HTML", imageFixtures.html, 415, "unsupported_image_type"],
    ["PDF", imageFixtures.pdf, 415, "unsupported_image_type"],
    ["a JPEG/HTML polyglot", imageFixtures.polyglotJpeg, 415, "image_polyglot"],
    ["a tiny PNG declaring 50 000 × 50 000 pixels", imageFixtures.pixelFlood, 422, "image_too_many_pixels"],
    [
      "a body over the byte limit",
      async () => Buffer.alloc(2 * 1024 * 1024 + 1, 0xff),
      413,
      "payload_too_large",
    ],
  ] as const)("%s", async (_, make, status, code) => {
    const { user, auth } = await signedInUser(worker.current);
    const bytes = await make();
    // Over a real HTTP connection, as a client sends it.
    const response = await fetch(`${worker.current.origin}/v1/images`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(bytes.length) },
      body: bytes,
    });
    expect(response.status).toBe(status);
    expect((await readError(response)).code).toBe(code);
    await expectNothingStored(user.id);
  });

  test("a key without images:write gets 403", async () => {
    const { auth } = await signedInUser(worker.current);
    const { key } = await createApiKey(worker.current, auth, ["images:read"]);
    const response = await uploadRaw(`Bearer ${key}`, await imageFixtures.png());
    expect(response.status).toBe(403);
  });

  test("database unreachable mid-upload: 503 database_unavailable, and neither row nor object remains", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const { pg } = await sharedServices();
    const bytes = await imageFixtures.png(400, 400);
    let stopped: Promise<void> | undefined;
    // The body arrives in two parts; the database goes away between them, after authentication.
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes.subarray(0, 1024));
        await Bun.sleep(300);
        stopped = pg.stop();
        await stopped;
        controller.enqueue(bytes.subarray(1024));
        controller.close();
      },
    });
    try {
      const response = await worker.current.fetch("/v1/images", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(bytes.length) },
        body: stream,
        duplex: "half",
      } as RequestInit);
      await expectError(response, 503, "database_unavailable");
      expect(response.headers.get("retry-after")).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    } finally {
      await stopped;
      await pg.start();
    }
    await expectNothingStored(user.id);
  });
});

describe("upload: DICONDE", () => {
  const film = (overrides: Parameters<typeof writeDiconde>[0]["overrides"] = {}, transferSyntax?: string) =>
    Buffer.from(
      writeDiconde({
        width: 300,
        height: 200,
        values: Uint16Array.from({ length: 300 * 200 }, (_, i) => (i * 13) % 16384),
        bitsAllocated: 16,
        bitsStored: 14,
        pixelSpacing: [0.08, 0.08],
        ...(transferSyntax ? { transferSyntax, encapsulatedFrame: new Uint8Array(256).fill(1) } : {}),
        overrides,
      }),
    );

  test("the file's Pixel Spacing wins over ?pixelSizeMm, and its header facts are kept", async () => {
    const { auth } = await signedInUser(worker.current);
    const bytes = await imageFixtures.dicom();
    const response = await uploadRaw(auth, bytes, "application/dicom", "?pixelSizeMm=0.2");
    expect(response.status).toBe(201);
    const image = ImageSchema.parse(await response.json());
    expect(image).toMatchObject({
      format: "dicom",
      width: 64,
      height: 48,
      bitDepth: 16,
      pixelSizeMm: { ...DICOM_FIXTURE_SPACING, source: "dicom_pixel_spacing" },
      metadata: {
        bitsStored: 12,
        window: { center: 2048, width: 4096 },
        identifiers: { componentId: "P-2026-0042", componentName: "PIPE^SPOOL-17" },
      },
    });
    const again = ImageSchema.parse(
      await (
        await worker.current.fetch(`/v1/images/${image.id}`, { headers: { Authorization: auth } })
      ).json(),
    );
    expect(again.pixelSizeMm).toEqual(image.pixelSizeMm);
    expect(again.metadata).toEqual(image.metadata);
    const download = await worker.current.fetch(`/v1/images/${image.id}/content`, {
      headers: { Authorization: auth },
    });
    expect(download.headers.get("content-type")).toBe("application/dicom");
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  test("without calibration in the file, ?pixelSizeMm is used", async () => {
    const { auth } = await signedInUser(worker.current);
    const bytes = film({ PixelSpacing: undefined });
    const response = await uploadRaw(auth, bytes, "application/dicom", "?pixelSizeMm=0.2");
    expect(response.status).toBe(201);
    expect(ImageSchema.parse(await response.json()).pixelSizeMm).toEqual({
      x: 0.2,
      y: 0.2,
      source: "upload",
    });
  });

  test("a header holding 200 KB before the pixels is read up to them", async () => {
    const { auth } = await signedInUser(worker.current);
    const bytes = film({ ImageComments: "x".repeat(200_000) });
    const response = await uploadRaw(auth, bytes, "application/dicom");
    expect(response.status).toBe(201);
    expect(ImageSchema.parse(await response.json())).toMatchObject({
      format: "dicom",
      width: 300,
      height: 200,
    });
  });

  test.each([
    ["JPEG 2000 pixel data", () => film({}, "1.2.840.10008.1.2.4.90"), 415, "unsupported_transfer_syntax"],
    ["a header without Rows", () => film({ Rows: undefined }), 400, "image_corrupt"],
    ["a file cut inside its header", () => film().subarray(0, 400), 400, "image_corrupt"],
    ["a file cut inside its pixel data", () => film().subarray(0, 50_000), 400, "image_corrupt"],
    [
      "an RLE file cut before its delimiter",
      () => {
        const rle = Buffer.from(
          writeDiconde({
            width: 300,
            height: 200,
            values: new Uint16Array(300 * 200).fill(9),
            bitsAllocated: 16,
            transferSyntax: TRANSFER_SYNTAX_UIDS.rle,
          }),
        );
        return rle.subarray(0, rle.length - 8);
      },
      400,
      "image_corrupt",
    ],
    [
      "a preamble that is also a Windows executable",
      () => {
        const file = film();
        file.write("MZ", 0, "latin1");
        return file;
      },
      415,
      "image_polyglot",
    ],
    [
      // Encapsulated, so the header's size is not bounded by the bytes that follow it.
      "an RLE file declaring more pixels than MAX_IMAGE_PIXELS",
      () =>
        Buffer.from(
          writeDiconde({
            width: 300,
            height: 200,
            values: new Uint16Array(300 * 200),
            bitsAllocated: 16,
            transferSyntax: TRANSFER_SYNTAX_UIDS.rle,
            overrides: { Rows: 20_000, Columns: 20_000 },
          }),
        ),
      422,
      "image_too_many_pixels",
    ],
  ] as const)("%s is refused and nothing is stored", async (_, make, status, code) => {
    const { user, auth } = await signedInUser(worker.current);
    const bytes = make();
    const response = await fetch(`${worker.current.origin}/v1/images`, {
      method: "POST",
      headers: {
        Authorization: auth,
        "Content-Type": "application/dicom",
        "Content-Length": String(bytes.length),
      },
      body: bytes,
    });
    expect(response.status).toBe(status);
    expect((await readError(response)).code).toBe(code);
    await expectNothingStored(user.id);
  });
});

describe("reading images", () => {
  test("list pages newest first and filters by format", async () => {
    const { auth } = await signedInUser(worker.current);
    const ids: string[] = [];
    for (const fixture of ["png", "jpeg", "png"] as const) {
      ids.push((await readBody(await uploadRaw(auth, await imageFixtures[fixture]()), ImageSchema)).id);
    }
    const page = async (query: string) =>
      readBody(
        await worker.current.fetch(`/v1/images?${query}`, { headers: { Authorization: auth } }),
        ImagePageSchema,
      );
    const first = await page("limit=2");
    expect(first.items.map((i) => i.id)).toEqual([ids[2] as string, ids[1] as string]);
    const second = await page(`limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((i) => i.id)).toEqual([ids[0] as string]);
    expect(second.nextCursor).toBeNull();
    const pngs = await page("format=png");
    expect(pngs.items.map((i) => i.id)).toEqual([ids[2] as string, ids[0] as string]);
  });

  test("a page size over the limit is refused", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/images?limit=1000", {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(400);
  });

  test("download returns the original bytes with an ETag, and 304 when unchanged", async () => {
    const { auth } = await signedInUser(worker.current);
    const bytes = await imageFixtures.jpeg();
    const image = await readBody(await uploadRaw(auth, bytes), ImageSchema);
    const response = await worker.current.fetch(`/v1/images/${image.id}/content`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("content-disposition")).toStartWith("attachment;");
    expect(response.headers.get("etag")).toBe(`"${image.sha256}"`);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    const again = await worker.current.fetch(`/v1/images/${image.id}/content`, {
      headers: { Authorization: auth, "If-None-Match": `"${image.sha256}"` },
    });
    expect(again.status).toBe(304);
  });

  test("delete removes the row and the object", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await readBody(await uploadRaw(auth, await imageFixtures.png()), ImageSchema);
    const [row] = await worker.current.db.select().from(images).where(eq(images.id, image.id));
    const response = await worker.current.fetch(`/v1/images/${image.id}`, {
      method: "DELETE",
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(204);
    expect(await worker.current.db.select().from(images).where(eq(images.id, image.id))).toEqual([]);
    expect(await (await worker.current.mf.getR2Bucket("IMAGES")).head(row?.objectKey as string)).toBeNull();
  });
});

describe("tenant isolation", () => {
  test("another user gets 404 for metadata, download and delete, and never sees the image listed", async () => {
    const owner = await signedInUser(worker.current);
    const other = await signedInUser(worker.current);
    const image = await readBody(await uploadRaw(owner.auth, await imageFixtures.png()), ImageSchema);
    for (const [method, path] of [
      ["GET", `/v1/images/${image.id}`],
      ["GET", `/v1/images/${image.id}/content`],
      ["DELETE", `/v1/images/${image.id}`],
    ]) {
      const response = await worker.current.fetch(path as string, {
        method,
        headers: { Authorization: other.auth },
      });
      expect(response.status).toBe(404);
    }
    const list = await readBody(
      await worker.current.fetch("/v1/images", { headers: { Authorization: other.auth } }),
      ImagePageSchema,
    );
    expect(list.items).toEqual([]);
    expect(
      (await worker.current.fetch(`/v1/images/${image.id}`, { headers: { Authorization: owner.auth } }))
        .status,
    ).toBe(200);
  });
});

// Last in the file: answering before a chunked body is read makes workerd drop connections,
// which would break the next request of the test client's pool.
describe("upload: no length", () => {
  test("a raw upload without Content-Length", async () => {
    const { auth } = await signedInUser(worker.current);
    const bytes = await imageFixtures.png();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const response = await fetch(`${worker.current.origin}/v1/images`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "image/png" },
      body: stream,
    });
    await expectError(response, 411, "length_required");
  });
});
