import { describe, expect, test } from "bun:test";
import { images } from "@db/schema";
import { ImagePageSchema, ImageSchema } from "@edge/routes/images/schema";
import { JobPageSchema } from "@edge/routes/jobs/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { insertImage, insertJob } from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { getReview, postReviewActions, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

type Film = { filename?: string | null; weldId?: string | null; partId?: string | null };

/** A succeeded job (porosity and crack, both pending) on a film with the given identity. */
async function filmJob(ownerId: string, film: Film) {
  const job = await succeededJob(worker.current, ownerId);
  await worker.current.db.update(images).set(film).where(eq(images.id, job.imageId));
  return job;
}

const listJobs = async (auth: string, query: string) =>
  readBody(
    await worker.current.fetch(`/v1/jobs?${query}`, { headers: { Authorization: auth } }),
    JobPageSchema,
  );

describe("GET /v1/jobs: search, worklist and sorting", () => {
  test("q finds a film by file name, weld id or part id, ignoring case; % and _ match themselves", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const a = await filmJob(user.id, { filename: "weld-0042.png", weldId: "W-17", partId: "P-2231" });
    const b = await filmJob(user.id, { filename: "plate_100%.tif", weldId: null, partId: "P-9" });
    await filmJob(user.id, { filename: "other.png" });
    const ids = async (q: string) =>
      (await listJobs(auth, `q=${encodeURIComponent(q)}`)).items.map((job) => job.id);
    expect(await ids("LD-0042")).toEqual([a.jobId]);
    expect(await ids("w-17")).toEqual([a.jobId]);
    expect(await ids("p-2231")).toEqual([a.jobId]);
    expect(await ids("100%")).toEqual([b.jobId]);
    expect(await ids("e_1")).toEqual([b.jobId]);
    expect(await ids("d_0")).toEqual([]);
    const [found] = (await listJobs(auth, "q=W-17")).items;
    expect(found?.image).toMatchObject({ filename: "weld-0042.png", weldId: "W-17", partId: "P-2231" });
  });

  test("needsReview lists films with pending indications, with their counts, until all are decided", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const open = await filmJob(user.id, { filename: "open.png" });
    const done = await filmJob(user.id, { filename: "done.png" });
    const queued = await insertJob(worker.current, user.id, (await insertImage(worker.current, user.id)).id);
    const { review, etag } = await getReview(worker.current, auth, done.jobId);
    const decided = await postReviewActions(
      worker.current,
      auth,
      done.jobId,
      review.items.map((item) => ({ type: "accept", itemId: item.id })),
      etag,
    );
    expect(decided.status).toBe(200);

    const worklist = await listJobs(auth, "needsReview=true");
    expect(worklist.items.map((job) => job.id)).toEqual([open.jobId]);
    expect(worklist.items[0]?.review).toEqual({ pending: 2, accepted: 0, rejected: 0 });
    const rest = await listJobs(auth, "needsReview=false");
    expect(rest.items.map((job) => job.id).sort()).toEqual([done.jobId, queued].sort());
    const finished = rest.items.find((job) => job.id === done.jobId);
    expect(finished?.review).toEqual({ pending: 0, accepted: 2, rejected: 0 });
    expect(rest.items.find((job) => job.id === queued)?.review).toBeUndefined();
  });

  test("sort=filename and sort=weld page A to Z by the film, films without one last", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const c = await filmJob(user.id, { filename: "c.png", weldId: "W-1" });
    const a = await filmJob(user.id, { filename: "A.png", weldId: null });
    const none = await filmJob(user.id, { filename: null, weldId: "W-3" });
    const b = await filmJob(user.id, { filename: "b.png", weldId: "w-2" });
    const pages = async (sort: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await listJobs(auth, `sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((job) => job.id));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    expect(await pages("filename")).toEqual([a.jobId, b.jobId, c.jobId, none.jobId]);
    expect(await pages("weld")).toEqual([c.jobId, b.jobId, none.jobId, a.jobId]);
    expect(await pages("oldest")).toEqual([c.jobId, a.jobId, none.jobId, b.jobId]);
    expect(await pages("newest")).toEqual([b.jobId, none.jobId, a.jobId, c.jobId]);
  });

  test("bad query parameters answer 400 validation_failed", async () => {
    const { auth } = await signedInUser(worker.current);
    for (const query of [
      "sort=size",
      "needsReview=yes",
      "q=",
      `q=${"x".repeat(101)}`,
      "createdAfter=yesterday",
      "cursor=not-a-uuid",
      "imageId=42",
    ]) {
      const response = await worker.current.fetch(`/v1/jobs?${query}`, { headers: { Authorization: auth } });
      await expectError(response, 400, "validation_failed");
    }
  });

  test("another owner's films are never found, by search, image or cursor", async () => {
    const owner = await signedInUser(worker.current);
    const theirs = await filmJob(owner.user.id, { filename: "secret-weld.png", weldId: "W-99" });
    const other = await signedInUser(worker.current);
    await filmJob(other.user.id, { filename: "mine.png" });
    expect((await listJobs(other.auth, "q=secret")).items).toEqual([]);
    expect((await listJobs(other.auth, "q=W-99&needsReview=true")).items).toEqual([]);
    expect((await listJobs(other.auth, `imageId=${theirs.imageId}`)).items).toEqual([]);
    expect((await listJobs(other.auth, `sort=filename&cursor=${theirs.jobId}`)).items).toEqual([]);
  });
});

describe("weld and part ids at upload", () => {
  const upload = async (query: string) => {
    const { auth } = await signedInUser(worker.current);
    const bytes = await imageFixtures.png(32, 24);
    return worker.current.fetch(`/v1/images?${query}`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(bytes.length) },
      body: bytes,
    });
  };

  test("are kept with the image, trimmed", async () => {
    const image = await readBody(await upload("weldId=%20W-17%20&partId=P-2231"), ImageSchema);
    expect(image).toMatchObject({ weldId: "W-17", partId: "P-2231" });
  });

  test("control characters, empty or overlong ids are refused (400 validation_failed)", async () => {
    for (const query of ["weldId=W%0A17", "partId=", `weldId=${"9".repeat(101)}`, "weldId=%E2%80%AEgnp"]) {
      await expectError(await upload(query), 400, "validation_failed");
    }
  });
});

describe("GET /v1/images?q=", () => {
  test("finds the owner's films by name, weld or part id, and nobody else's", async () => {
    const owner = await signedInUser(worker.current);
    const job = await filmJob(owner.user.id, { filename: "weld-0042.png", weldId: "W-17" });
    const other = await signedInUser(worker.current);
    const find = async (auth: string, q: string) =>
      (
        await readBody(
          await worker.current.fetch(`/v1/images?q=${q}`, { headers: { Authorization: auth } }),
          ImagePageSchema,
        )
      ).items.map((image) => image.id);
    expect(await find(owner.auth, "w-17")).toEqual([job.imageId]);
    expect(await find(owner.auth, "0042")).toEqual([job.imageId]);
    expect(await find(other.auth, "w-17")).toEqual([]);
    await expectError(
      await worker.current.fetch("/v1/images?q=", { headers: { Authorization: owner.auth } }),
      400,
      "validation_failed",
    );
  });
});
