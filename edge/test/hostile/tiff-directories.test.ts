import { describe, expect, test } from "bun:test";
import { images } from "@db/schema";
import { writeTiff } from "@generator/tiff";
import { GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

/**
 * Hostile TIFF directories placed after the pixel data, so the upload is stored before its
 * directory is read back by ranged reads: each is a specific 4xx, and the stored object is deleted.
 */
const worker = useTestWorker({ vars: { ...GENEROUS_AUTH_LIMITS, RATE_LIMIT_WRITE: "100/60s" } });

async function upload(auth: string, body: Uint8Array) {
  return worker.current.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/tiff", "Content-Length": String(body.length) },
    body,
  });
}

async function stored(userId: string) {
  const rows = await worker.current.db.select().from(images).where(eq(images.ownerId, userId));
  const objects = await (await worker.current.mf.getR2Bucket("IMAGES")).list({ prefix: `images/${userId}/` });
  return { rows: rows.length, objects: objects.objects.length };
}

/** A 16-bit film of 160 KB (beyond the 64 KiB head) with its directory last, then `change`d. */
function film(change: (view: DataView, ifd: number, little: boolean) => void, byteOrder: "II" | "MM" = "II") {
  const values = Uint16Array.from({ length: 400 * 200 }, (_, i) => (i * 40503) & 0xffff);
  const file = writeTiff({ width: 400, height: 200, values }, { byteOrder });
  const view = new DataView(file.buffer);
  const little = byteOrder === "II";
  change(view, view.getUint32(4, little), little);
  return file;
}

/** Entry `n`'s value field (strips: 256, 257, 258, 259, 262, 273, 277, 278, 279, 284). */
const value = (ifd: number, n: number) => ifd + 2 + n * 12 + 8;

describe("hostile TIFF directories after the pixels", () => {
  test.each([
    [
      "its offset past the end of the file",
      (v: DataView) => v.setUint32(4, 0x7fff_fff0, true),
      400,
      "image_corrupt",
    ],
    ["its offset inside the TIFF header", (v: DataView) => v.setUint32(4, 2, true), 400, "image_corrupt"],
    ["65535 entries", (v: DataView, ifd: number) => v.setUint16(ifd, 0xffff, true), 400, "image_corrupt"],
    [
      "entries running past the end",
      (v: DataView, ifd: number) => v.setUint16(ifd, 900, true),
      400,
      "image_corrupt",
    ],
    [
      "StripOffsets out of bounds",
      (v: DataView, ifd: number) => v.setUint32(value(ifd, 5) - 4, 0x4000_0000, true),
      400,
      "image_corrupt",
    ],
    [
      "StripByteCounts beyond the file's end",
      (v: DataView, ifd: number) => v.setUint32(value(ifd, 8), v.byteLength - 8, true),
      400,
      "image_corrupt",
    ],
    [
      "100000 × 100000 pixels",
      (v: DataView, ifd: number) => {
        v.setUint32(value(ifd, 0), 100_000, true);
        v.setUint32(value(ifd, 1), 100_000, true);
      },
      422,
      "image_too_many_pixels",
    ],
    [
      "a compression nothing decodes",
      (v: DataView, ifd: number) => v.setUint16(value(ifd, 3), 50_000, true),
      415,
      "unsupported_image_type",
    ],
  ] as const)("%s → %i %s, nothing left stored", async (_, change, status, code) => {
    const { user, auth } = await signedInUser(worker.current);
    await expectError(await upload(auth, film(change)), status, code);
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });

  test("big-endian: a field type that does not exist → 400 image_corrupt, nothing left stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const file = film((v, ifd, little) => v.setUint16(ifd + 2 + 2, 99, little), "MM");
    await expectError(await upload(auth, file), 400, "image_corrupt");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });

  test("BigTIFF → 415 unsupported_image_type naming it", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const file = film(() => {});
    file.set([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0]);
    const error = await expectError(await upload(auth, file), 415, "unsupported_image_type");
    expect(error.message).toContain("BigTIFF");
    expect(await stored(user.id)).toEqual({ rows: 0, objects: 0 });
  });
});
