import { describe, expect, test } from "bun:test";
import type { ErrorCode } from "@edge/errors";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { datasetObjects, datasetRows, film, postArchive, postDataset, zip } from "./dataset-fixtures";

const MiB = 1024 * 1024;
const worker = useTestWorker({
  vars: {
    RATE_LIMIT_WRITE: "1000/60s",
    RATE_LIMIT_READ: "1000/60s",
    DATASET_MAX_ARCHIVE_BYTES: String(4 * MiB),
    DATASET_MAX_UNCOMPRESSED_BYTES: String(2 * MiB),
    DATASET_MAX_ENTRIES: "20",
    DATASET_MAX_COMPRESSION_RATIO: "100",
  },
});

const { png } = await film(51);
const { png: other } = await film(52);
const yaml = "names: [porosity, crack]\n";

/** Patches a little-endian u32 of the central directory entry of `name`, at `field` bytes from its start. */
function patchCentral(archive: Uint8Array, name: string, field: number, value: number): Uint8Array {
  const out = archive.slice();
  const view = new DataView(out.buffer);
  const encoded = new TextEncoder().encode(name);
  for (let at = out.length - 46; at >= 0; at -= 1) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const length = view.getUint16(at + 28, true);
    if (length === encoded.length && encoded.every((b, i) => out[at + 46 + i] === b)) {
      view.setUint32(at + field, value, true);
      return out;
    }
  }
  throw new Error(`no central entry ${name}`);
}

function localOffset(archive: Uint8Array, name: string): number {
  const view = new DataView(archive.buffer, archive.byteOffset);
  const encoded = new TextEncoder().encode(name);
  for (let at = 0; at < archive.length - 30; at += 1) {
    if (view.getUint32(at, true) === 0x04034b50 && encoded.every((b, i) => archive[at + 30 + i] === b))
      return at;
  }
  throw new Error(`no local entry ${name}`);
}

const zeros = (n: number) => new Uint8Array(n);
const noise = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
};

const cases: Array<[string, () => Uint8Array, number, ErrorCode]> = [
  ["not a zip", () => png, 400, "archive_invalid"],
  ["neither data.yaml nor COCO JSON", () => zip({ "images/a.png": png }), 400, "archive_invalid"],
  [
    "data.yaml without names",
    () => zip({ "data.yaml": "nc: 2\n", "images/a.png": png }),
    400,
    "archive_invalid",
  ],
  [
    "names with a gap in its ids",
    () => zip({ "data.yaml": "names:\n  0: a\n  2: b\n", "images/a.png": png }),
    400,
    "archive_invalid",
  ],
  [
    "more entries than allowed",
    () => zip(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`labels/${i}.txt`, ""]))),
    413,
    "archive_too_large",
  ],
  [
    "more bytes than the budget",
    () => zip({ "data.yaml": yaml, "images/a.bin": noise(MiB), "images/b.bin": noise(MiB + 1) }, 0),
    413,
    "archive_too_large",
  ],
  [
    "an entry inflating a thousandfold",
    () => zip({ "data.yaml": yaml, "images/a.png": zeros(MiB) }),
    422,
    "archive_bomb",
  ],
  [
    "an entry that inflates past its declared size",
    () =>
      patchCentral(
        zip({ "data.yaml": yaml, "images/a.png": png, "labels/a.txt": "0 0.5 0.5 0.1 0.1\n".repeat(50) }),
        "labels/a.txt",
        24,
        20,
      ),
    422,
    "archive_bomb",
  ],
  [
    "entries sharing their bytes",
    () => {
      const archive = zip({ "data.yaml": yaml, "images/a.png": png, "images/b.png": other }, 0);
      return patchCentral(archive, "images/b.png", 42, localOffset(archive, "images/a.png"));
    },
    422,
    "archive_bomb",
  ],
  ["a `..` path", () => zip({ "data.yaml": yaml, "images/../../evil.png": png }), 422, "archive_unsafe_path"],
  ["an absolute path", () => zip({ "data.yaml": yaml, "/etc/evil.png": png }), 422, "archive_unsafe_path"],
  [
    "a backslash path",
    () => zip({ "data.yaml": yaml, "images\\..\\evil.png": png }),
    422,
    "archive_unsafe_path",
  ],
  [
    "coordinates outside [0, 1]",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "labels/a.txt": "0 0.5 0.5 1.2 0.1\n" }),
    422,
    "dataset_label_invalid",
  ],
  [
    "a box past the edge",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "labels/a.txt": "0 0.95 0.5 0.2 0.1\n" }),
    422,
    "dataset_label_invalid",
  ],
  [
    "a non-numeric coordinate",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "labels/a.txt": "0 0.5 abc 0.1 0.1\n" }),
    422,
    "dataset_label_invalid",
  ],
  [
    "a wrong field count",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "labels/a.txt": "0 0.5 0.5 0.1\n" }),
    422,
    "dataset_label_invalid",
  ],
  [
    "a class beyond names",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "labels/a.txt": "2 0.5 0.5 0.1 0.1\n" }),
    422,
    "dataset_class_unknown",
  ],
  [
    "a label without its image",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "labels/b.txt": "0 0.5 0.5 0.1 0.1\n" }),
    422,
    "dataset_image_missing",
  ],
  [
    "an unsupported image type",
    () =>
      zip({ "data.yaml": yaml, "images/a.png": png, "images/b.gif": new TextEncoder().encode("GIF89a....") }),
    415,
    "unsupported_image_type",
  ],
  [
    "a truncated image",
    () => zip({ "data.yaml": yaml, "images/a.png": png.subarray(0, png.length - 20) }),
    400,
    "image_corrupt",
  ],
  [
    "the same image twice",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "images/b.png": png }),
    422,
    "dataset_duplicate",
  ],
  [
    "two images for one label file",
    () => zip({ "data.yaml": yaml, "images/a.png": png, "images/a.tif": other }),
    422,
    "dataset_duplicate",
  ],
  [
    "COCO: an annotation of an unlisted image",
    () =>
      zip({
        "c.json": JSON.stringify({
          images: [{ id: 1, file_name: "a.png" }],
          categories: [{ id: 1, name: "x" }],
          annotations: [{ image_id: 2, category_id: 1, bbox: [1, 1, 2, 2] }],
        }),
        "a.png": png,
      }),
    422,
    "dataset_image_missing",
  ],
  [
    "COCO: an image missing from the archive",
    () =>
      zip({
        "c.json": JSON.stringify({
          images: [{ id: 1, file_name: "b.png" }],
          categories: [{ id: 1, name: "x" }],
        }),
        "a.png": png,
      }),
    422,
    "dataset_image_missing",
  ],
  [
    "COCO: an unknown category",
    () =>
      zip({
        "c.json": JSON.stringify({
          images: [{ id: 1, file_name: "a.png" }],
          categories: [{ id: 1, name: "x" }],
          annotations: [{ image_id: 1, category_id: 9, bbox: [1, 1, 2, 2] }],
        }),
        "a.png": png,
      }),
    422,
    "dataset_class_unknown",
  ],
  [
    "COCO: a box outside the image",
    () =>
      zip({
        "c.json": JSON.stringify({
          images: [{ id: 1, file_name: "a.png" }],
          categories: [{ id: 1, name: "x" }],
          annotations: [{ image_id: 1, category_id: 1, bbox: [1, 1, 5000, 2] }],
        }),
        "a.png": png,
      }),
    422,
    "dataset_label_invalid",
  ],
];

describe("POST /v1/datasets refuses a bad archive and keeps nothing", () => {
  for (const [name, archive, status, code] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const { user, auth } = await signedInUser(worker.current);
      await expectError(await postArchive(worker.current, auth, archive()), status, code);
      expect(await datasetRows(worker.current, user.id)).toEqual([]);
      expect(await datasetObjects(worker.current, user.id)).toEqual([]);
    });
  }

  test("an archive over DATASET_MAX_ARCHIVE_BYTES: 413 before it is stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    await expectError(await postArchive(worker.current, auth, noise(4 * MiB + 1)), 413, "payload_too_large");
    expect(await datasetObjects(worker.current, user.id)).toEqual([]);
  });

  test("an archive without a name, or a body neither JSON nor zip", async () => {
    const { auth } = await signedInUser(worker.current);
    await expectError(
      await postArchive(worker.current, auth, zip({ "data.yaml": yaml }), ""),
      400,
      "validation_failed",
    );
    const text = await worker.current.fetch("/v1/datasets", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "text/plain" },
      body: "hello",
    });
    await expectError(text, 415, "unsupported_media_type");
  });

  test("from reviews: an invalid body, seed with from, unknown jobs", async () => {
    const { auth } = await signedInUser(worker.current);
    await expectError(
      await postDataset(worker.current, auth, { fromJobs: [crypto.randomUUID()] }),
      400,
      "validation_failed",
    );
    await expectError(
      await postDataset(worker.current, auth, {
        from: crypto.randomUUID(),
        fromJobs: [crypto.randomUUID()],
        seed: "x",
      }),
      400,
      "validation_failed",
    );
    await expectError(
      await postDataset(worker.current, auth, { name: "n", fromJobs: [crypto.randomUUID()] }),
      404,
      "not_found",
    );
  });
});
