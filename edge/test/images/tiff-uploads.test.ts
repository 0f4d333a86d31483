import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { images } from "@db/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { type TiffLayout, writeTiff } from "@generator/tiff";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

/**
 * TIFF files whose directory follows the pixel data (libtiff's layout, so most scanners' and
 * digitisers'), beyond what the upload holds in memory: stored, then their directory read back from
 * storage by ranged reads. `MAX_IMAGE_HEADER_BYTES` is small here, so nothing passes by buffering.
 */
const worker = useTestWorker({
  vars: { MAX_IMAGE_HEADER_BYTES: "100000", RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" },
});

/** Noise, which no compressor shrinks below the head the upload reads from the stream. */
function noise(width: number, height: number) {
  let state = width * 31 + height;
  const values = Uint16Array.from({ length: width * height }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 16;
  });
  return { width, height, values };
}

async function uploadTiff(auth: string, file: Uint8Array) {
  return worker.current.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/tiff", "Content-Length": String(file.length) },
    body: file,
  });
}

async function expectStoredExactly(id: string, file: Uint8Array) {
  const [row] = await worker.current.db.select().from(images).where(eq(images.id, id));
  const object = await (await worker.current.mf.getR2Bucket("IMAGES")).get(row?.objectKey as string);
  const stored = new Uint8Array(await (object as unknown as Response).arrayBuffer());
  expect(stored.length).toBe(file.length);
  expect(Buffer.from(stored).equals(Buffer.from(file))).toBe(true);
}

const layouts: TiffLayout[] = (["II", "MM"] as const).flatMap((byteOrder) =>
  (["none", "lzw", "deflate"] as const).flatMap((compression) =>
    (["strips", "tiles"] as const).map((organisation) => ({ byteOrder, compression, organisation })),
  ),
);

describe("upload: a TIFF directory after the pixels", () => {
  test.each(layouts.map((l) => [`${l.byteOrder} ${l.compression} ${l.organisation}`, l] as const))(
    "%s is stored with its size and depth",
    async (_, layout) => {
      const { auth } = await signedInUser(worker.current);
      const file = writeTiff(noise(520, 300), layout);
      const directory = new DataView(file.buffer).getUint32(4, layout.byteOrder === "II");
      expect(directory).toBeGreaterThan(100_000);
      const response = await uploadTiff(auth, file);
      expect(response.status).toBe(201);
      const image = await readBody(response, ImageSchema);
      expect(image).toMatchObject({
        format: "tiff",
        width: 520,
        height: 300,
        bitDepth: 16,
        bytes: file.length,
      });
      expect(image.sha256).toBe(createHash("sha256").update(file).digest("hex"));
      await expectStoredExactly(image.id, file);
    },
  );

  test("a 3840 × 3840 16-bit film of 29 MB, uncompressed in strips (the issue's file)", async () => {
    const { auth } = await signedInUser(worker.current);
    const file = writeTiff(noise(3840, 3840));
    expect(file.length).toBeGreaterThan(29_000_000);
    const response = await uploadTiff(auth, file);
    expect(response.status).toBe(201);
    const image = await readBody(response, ImageSchema);
    expect(image).toMatchObject({
      format: "tiff",
      width: 3840,
      height: 3840,
      bitDepth: 16,
      bytes: file.length,
    });
    await expectStoredExactly(image.id, file);
  }, 60_000);
});
