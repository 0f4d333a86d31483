import { describe, expect, test } from "bun:test";
import { DatasetPageSchema } from "@edge/routes/datasets/schema";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import { FIXTURE_IMAGE } from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { getReview, review, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import {
  createDataset,
  datasetObjects,
  datasetRows,
  film,
  postArchive,
  postDataset,
  zip,
} from "./dataset-fixtures";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

/** Another owner's reviewed job and a dataset made from it. */
async function othersDataset() {
  const owner = await signedInUser(worker.current);
  const bytes = new Uint8Array([...FIXTURE_IMAGE, ...crypto.getRandomValues(new Uint8Array(16))]);
  const { jobId } = await succeededJob(worker.current, owner.user.id, { bytes });
  const items = (await getReview(worker.current, owner.auth, jobId)).review.items;
  await review(
    worker.current,
    owner.auth,
    jobId,
    items.map((item) => ({ type: "accept", itemId: item.id })),
  );
  const dataset = await createDataset(worker.current, owner.auth, { name: "theirs", fromJobs: [jobId] });
  return { owner, jobId, dataset };
}

describe("datasets are their owner's alone", () => {
  test("another owner's dataset is 404 on every route, and never listed", async () => {
    const { dataset } = await othersDataset();
    const { auth } = await signedInUser(worker.current);
    for (const path of [`/v1/datasets/${dataset.id}`, `/v1/datasets/${dataset.id}/items`]) {
      await expectError(
        await worker.current.fetch(path, { headers: { Authorization: auth } }),
        404,
        "not_found",
      );
    }
    const listed = await worker.current.fetch("/v1/datasets", { headers: { Authorization: auth } });
    expect((await readBody(listed, DatasetPageSchema)).items).toEqual([]);
    await expectError(
      await postDataset(worker.current, auth, { from: dataset.id, fromJobs: { reviewed: true } }),
      404,
      "not_found",
    );
  });

  test("another owner's job is 404 like a job that does not exist, and nothing is written", async () => {
    const { jobId } = await othersDataset();
    const { user, auth } = await signedInUser(worker.current);
    const error = await expectError(
      await postDataset(worker.current, auth, { name: "stolen", fromJobs: [jobId] }),
      404,
      "not_found",
    );
    expect(error.details).toEqual({ jobIds: [jobId] });
    // A filter matches the caller's jobs only: none here.
    await expectError(
      await postDataset(worker.current, auth, { name: "stolen", fromJobs: { reviewed: false } }),
      422,
      "dataset_empty",
    );
    expect(await datasetRows(worker.current, user.id)).toEqual([]);
    expect(await datasetObjects(worker.current, user.id)).toEqual([]);
  });

  test("without credentials 401; an API key needs datasets:read / datasets:write", async () => {
    const { dataset, owner } = await othersDataset();
    await expectError(await worker.current.fetch("/v1/datasets"), 401, "unauthorized");
    const { key } = await createApiKey(worker.current, owner.auth, ["jobs:read", "jobs:write"]);
    const bearer = `Bearer ${key}`;
    await expectError(
      await worker.current.fetch(`/v1/datasets/${dataset.id}`, { headers: { Authorization: bearer } }),
      403,
      "insufficient_scope",
    );
    const { png } = await film(61);
    const archive = zip({ "data.yaml": "names: [a]", "images/a.png": png });
    await expectError(await postArchive(worker.current, bearer, archive), 403, "insufficient_scope");
    const { key: reader } = await createApiKey(worker.current, owner.auth, ["datasets:read"]);
    const ok = await worker.current.fetch(`/v1/datasets/${dataset.id}`, {
      headers: { Authorization: `Bearer ${reader}` },
    });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  test("a JSON body keeps the ordinary body limit; only an archive may be large", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/datasets", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(200_000), fromJobs: [crypto.randomUUID()] }),
    });
    await expectError(response, 413, "payload_too_large");
  });
});
