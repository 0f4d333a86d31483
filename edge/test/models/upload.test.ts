import { describe, expect, test } from "bun:test";
import {
  ModelListSchema,
  ModelSchema,
  ModelVersionPageSchema,
  ModelVersionSchema,
} from "@edge/routes/models/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import {
  complete,
  modelFile,
  modelObjects,
  putFile,
  sha256Hex,
  startUpload,
  uploadRow,
  uploadVersion,
  versionRows,
} from "./model-fixtures";

const worker = useTestWorker({
  vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s", MAX_MODEL_BYTES: "20000" },
});

describe("upload → verify → version", () => {
  test("a signed upload, completed, becomes name@1 with the file's facts and a card", async () => {
    const { auth, user } = await signedInUser(worker.current);
    const bytes = await modelFile();
    const version = await uploadVersion(worker.current, auth, "welds", {
      bytes,
      metrics: { val: { map50: 0.61 } },
    });
    expect(version).toMatchObject({
      name: "welds",
      version: 1,
      ref: "welds@1",
      production: false,
      sha256: await sha256Hex(bytes),
      bytes: bytes.length,
      inputSize: { height: 64, width: 64 },
      layout: "ultralytics",
      metrics: { val: { map50: 0.61 } },
      datasetId: null,
      baseModel: null,
      createdBy: user.id,
    });
    expect(version.classes).toHaveLength(2);
    expect(version.metadata.names).toBeDefined();
    expect(await modelObjects(worker.current, user.id)).toHaveLength(1);

    const second = await uploadVersion(worker.current, auth, "welds", { bytes, metrics: undefined });
    expect(second.version).toBe(2);
    const got = await worker.current.fetch("/v1/models/welds/versions/1", {
      headers: { Authorization: auth },
    });
    expect(await readBody(got, ModelVersionSchema)).toEqual(version);
    const page = await worker.current.fetch("/v1/models/welds/versions?limit=1", {
      headers: { Authorization: auth },
    });
    const first = await readBody(page, ModelVersionPageSchema);
    expect(first.items.map((v) => v.version)).toEqual([2]);
    const rest = await worker.current.fetch(`/v1/models/welds/versions?limit=1&cursor=${first.nextCursor}`, {
      headers: { Authorization: auth },
    });
    expect((await readBody(rest, ModelVersionPageSchema)).items.map((v) => v.version)).toEqual([1]);

    const card = await worker.current.fetch(version.cardUrl, { headers: { Authorization: auth } });
    expect(card.status).toBe(200);
    expect(card.headers.get("content-type")).toContain("text/markdown");
    const text = await card.text();
    expect(text).toContain("# welds@1");
    expect(text).toContain(version.sha256);
    expect(text).toContain("0.6100");

    const listed = await readBody(
      await worker.current.fetch("/v1/models", { headers: { Authorization: auth } }),
      ModelListSchema,
    );
    expect(listed.items).toContainEqual({
      name: "welds",
      source: "registry",
      productionVersion: null,
      latestVersion: 2,
      versions: 2,
    });
    expect(listed.items[0]).toMatchObject({ name: "weld-defects", source: "shipped" });
    const model = await worker.current.fetch("/v1/models/welds", { headers: { Authorization: auth } });
    expect((await readBody(model, ModelSchema)).versions).toBe(2);
  });

  test("a URL takes one upload, and a shipped model's name is reserved", async () => {
    const { auth } = await signedInUser(worker.current);
    const bytes = await modelFile();
    const upload = await startUpload(worker.current, auth, "once");
    expect((await putFile(worker.current, upload.uploadUrl, bytes)).status).toBe(200);
    await expectError(await putFile(worker.current, upload.uploadUrl, bytes), 409, "conflict");
    const forged = upload.uploadUrl.replace(/sig=[0-9a-f]{4}/, "sig=0000");
    await expectError(await putFile(worker.current, forged, bytes), 403, "signature_invalid");
    await expectError(
      await worker.current.fetch("/v1/models/weld-defects/versions", {
        method: "POST",
        headers: { Authorization: auth },
      }),
      400,
      "validation_failed",
    );
  });
});

describe("a failed verification leaves nothing behind", () => {
  async function failedUpload(bytes: Uint8Array, claimed: { sha256?: string; bytes?: number } = {}) {
    const { auth, user } = await signedInUser(worker.current);
    const upload = await startUpload(worker.current, auth, "broken");
    const put = await putFile(worker.current, upload.uploadUrl, bytes);
    const response = put.ok
      ? await complete(worker.current, auth, "broken", upload.uploadId, {
          sha256: claimed.sha256 ?? (await sha256Hex(bytes)),
          bytes: claimed.bytes ?? bytes.length,
        })
      : put;
    return { response, user, upload };
  }

  async function expectNothingLeft(user: { id: string }, uploadId: string) {
    expect(await versionRows(worker.current, user.id)).toEqual([]);
    expect(await modelObjects(worker.current, user.id)).toEqual([]);
    expect((await uploadRow(worker.current, uploadId))?.status).toBe("failed");
  }

  test("another sha256 than the stored file's: model_checksum_mismatch", async () => {
    const { response, user, upload } = await failedUpload(await modelFile(), { sha256: "0".repeat(64) });
    await expectError(response, 422, "model_checksum_mismatch");
    await expectNothingLeft(user, upload.uploadId);
  });

  test("another size than the stored file's: model_checksum_mismatch", async () => {
    const bytes = await modelFile();
    const { response, user, upload } = await failedUpload(bytes, { bytes: bytes.length + 1 });
    await expectError(response, 422, "model_checksum_mismatch");
    await expectNothingLeft(user, upload.uploadId);
  });

  test("over MAX_MODEL_BYTES: model_too_large, refused before a byte is stored", async () => {
    const { auth, user } = await signedInUser(worker.current);
    const upload = await startUpload(worker.current, auth, "huge");
    await expectError(
      await putFile(worker.current, upload.uploadUrl, new Uint8Array(20_001)),
      413,
      "model_too_large",
    );
    expect(await modelObjects(worker.current, user.id)).toEqual([]);
    expect(await versionRows(worker.current, user.id)).toEqual([]);
  });

  test("bytes that are no ONNX model: model_invalid", async () => {
    const { response, user, upload } = await failedUpload(new TextEncoder().encode("definitely not a model"));
    await expectError(response, 422, "model_invalid");
    await expectNothingLeft(user, upload.uploadId);
  });

  test("a model without class names, or not a detector: model_invalid", async () => {
    for (const fixture of ["v8", "classifier"]) {
      const { response, user, upload } = await failedUpload(await modelFile(fixture));
      const error = await expectError(response, 422, "model_invalid");
      expect(error.message).toMatch(fixture === "v8" ? /names/ : /not detection/);
      await expectNothingLeft(user, upload.uploadId);
    }
  });
});
