import { describe, expect, test } from "bun:test";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { jobs } from "@db/schema";
import type { Scope } from "@edge/auth/scopes";
import { QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { ModelListSchema, ModelVersionPageSchema, PromotionPageSchema } from "@edge/routes/models/schema";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import { insertImage, serviceAuth } from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { complete, modelFile, post, putFile, sha256Hex, startUpload, uploadVersion } from "./model-fixtures";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

/** An owner with `other@1` in production. */
async function othersModel() {
  const owner = await signedInUser(worker.current);
  const version = await uploadVersion(worker.current, owner.auth, "other");
  expect(
    (await post(worker.current, owner.auth, "/v1/models/other/promote", { version: 1, reason: "go" })).status,
  ).toBe(200);
  return { owner, version };
}

const createJob = (auth: string, imageId: string, model?: string) =>
  post(worker.current, auth, "/v1/jobs", { imageId, ...(model === undefined ? {} : { model }) });

describe("an owner's models are theirs alone", () => {
  test("another owner's model is 404 on every route, and never listed", async () => {
    const { owner } = await othersModel();
    const { auth } = await signedInUser(worker.current);
    const get = (path: string) => worker.current.fetch(path, { headers: { Authorization: auth } });
    for (const path of [
      "/v1/models/other",
      "/v1/models/other/versions/1",
      "/v1/models/other/versions/1/card",
    ]) {
      await expectError(await get(path), 404, "not_found");
    }
    expect((await readBody(await get("/v1/models/other/versions"), ModelVersionPageSchema)).items).toEqual(
      [],
    );
    expect((await readBody(await get("/v1/models/other/history"), PromotionPageSchema)).items).toEqual([]);
    expect(
      (await readBody(await get("/v1/models"), ModelListSchema)).items.map((m) => m.source),
    ).not.toContain("registry");
    await expectError(
      await post(worker.current, auth, "/v1/models/other/promote", { version: 1, reason: "x" }),
      404,
      "not_found",
    );
    await expectError(
      await post(worker.current, auth, "/v1/models/other/rollback", { reason: "x" }),
      404,
      "not_found",
    );

    // Another owner's upload cannot be completed, even with the right hash.
    const bytes = await modelFile();
    const upload = await startUpload(worker.current, owner.auth, "other");
    expect((await putFile(worker.current, upload.uploadUrl, bytes)).status).toBe(200);
    const stolen = await complete(worker.current, auth, "other", upload.uploadId, {
      sha256: await sha256Hex(bytes),
      bytes: bytes.length,
    });
    await expectError(stolen, 404, "not_found");
  });

  test("a job naming another owner's version is 404; a job cannot run it by name either", async () => {
    await othersModel();
    const { auth, user } = await signedInUser(worker.current);
    const image = await insertImage(worker.current, user.id);
    await expectError(await createJob(auth, image.id, "other@1"), 404, "not_found");
    await expectError(await createJob(auth, image.id, "other"), 400, "unknown_model");
    expect(await worker.current.db.select().from(jobs).where(eq(jobs.ownerId, user.id))).toEqual([]);
  });

  test("without credentials 401", async () => {
    await expectError(await worker.current.fetch("/v1/models"), 401, "unauthorized");
  });

  test("an API key needs models:read to read and models:write to change; datasets scopes are not enough", async () => {
    const { owner } = await othersModel();
    const withScopes = async (scopes: Scope[]) =>
      `Bearer ${(await createApiKey(worker.current, owner.auth, scopes)).key}`;
    const datasetsOnly = await withScopes(["datasets:read", "datasets:write"]);
    const reader = await withScopes(["models:read"]);
    const writer = await withScopes(["models:write"]);
    const get = (auth: string) =>
      worker.current.fetch("/v1/models/other", { headers: { Authorization: auth } });
    const promote = (auth: string) =>
      post(worker.current, auth, "/v1/models/other/promote", { version: 1, reason: "again" });

    await expectError(await get(datasetsOnly), 403, "insufficient_scope");
    await expectError(await promote(datasetsOnly), 403, "insufficient_scope");
    await expectError(
      await post(worker.current, datasetsOnly, "/v1/models/other/versions"),
      403,
      "insufficient_scope",
    );
    const read = await get(reader);
    expect(read.status).toBe(200);
    await read.body?.cancel();
    await expectError(await promote(reader), 403, "insufficient_scope");
    // The writer may change the model: promoting its production version again is a conflict, not 403.
    await expectError(await promote(writer), 409, "conflict");
    const upload = await post(worker.current, writer, "/v1/models/other/versions");
    expect(upload.status).toBe(201);
    await upload.body?.cancel();
  });
});

describe("jobs run versions", () => {
  test("`name` resolves the production alias at creation; the claim names the owner's version with a signed URL", async () => {
    const { auth, user } = await signedInUser(worker.current);
    const v1 = await uploadVersion(worker.current, auth, "mine");
    await uploadVersion(worker.current, auth, "mine");
    await post(worker.current, auth, "/v1/models/mine/promote", { version: 1, reason: "go" });
    const image = await insertImage(worker.current, user.id);

    const created = await readBody(await createJob(auth, image.id, "mine"), QueuedJobsSchema);
    const job = created.jobs[0];
    expect(job?.model.requested).toBe("mine@1");
    const pinned = await readBody(await createJob(auth, image.id, "mine@2"), QueuedJobsSchema);
    expect(pinned.jobs[0]?.model.requested).toBe("mine@2");
    const shipped = await readBody(await createJob(auth, image.id), QueuedJobsSchema);
    expect(shipped.jobs[0]?.model.requested).toBe("weld-defects");
    await expectError(await createJob(auth, image.id, "mine@9"), 404, "not_found");

    const claim = await worker.current.fetch(`/internal/v1/jobs/${job?.id}/claim`, {
      method: "POST",
      headers: await serviceAuth(),
      body: JSON.stringify({ version: 1, attempt: 1 }),
    });
    const answer = await readBody(claim, JobClaimSchema);
    if (answer.outcome !== "claimed") throw new Error("expected a claim");
    expect(answer.registryModel).toMatchObject({
      name: "mine",
      version: 1,
      sha256: v1.sha256,
      bytes: v1.bytes,
    });
    const file = await worker.current.fetch(answer.registryModel?.url as string);
    expect(await sha256Hex(new Uint8Array(await file.arrayBuffer()))).toBe(v1.sha256);

    const plain = await worker.current.fetch(`/internal/v1/jobs/${shipped.jobs[0]?.id}/claim`, {
      method: "POST",
      headers: await serviceAuth(),
      body: JSON.stringify({ version: 1, attempt: 1 }),
    });
    const shippedClaim = await readBody(plain, JobClaimSchema);
    expect(shippedClaim.outcome === "claimed" && shippedClaim.registryModel).toBeUndefined();
  });
});
