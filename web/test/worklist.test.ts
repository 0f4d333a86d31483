import { describe, expect, test } from "bun:test";
import { images, users } from "@db/schema";
import { login } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { insertImage, insertJob, postResult, succeededResult } from "@scripts/testing/job-fixtures";
import { getReview, postReviewActions } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { dropFiles } from "./app-steps";
import { chromiumMissing, inPage, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const worker = useTestWorker({ vars: BROWSER_TEST_VARS });
/** Holds back the page's handling of every PNG upload's answer until `releaseUploads()`. */
const HOLD_PNG_UPLOADS = `() => {
  const held = new Promise((resolve) => { window.releaseUploads = resolve; });
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    const onload = this.onload;
    if (body instanceof Blob && body.type === "image/png") this.onload = (event) => held.then(() => onload.call(this, event));
    return send.call(this, body);
  };
}`;

/** A succeeded job (two pending detections) on a real 640×480 film with the given identity. */
async function filmJob(ownerId: string, film: { filename: string; weldId?: string }) {
  const image = await insertImage(worker.current, ownerId, {
    bytes: new Uint8Array(await imageFixtures.png(640, 480)),
  });
  await worker.current.db
    .update(images)
    .set({ filename: film.filename, weldId: film.weldId ?? null })
    .where(eq(images.id, image.id));
  const jobId = await insertJob(worker.current, ownerId, image.id);
  expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
  return { jobId, imageId: image.id };
}

const shownJobs = (page: Page) =>
  page.locator("tr[data-job-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-job-id")));

describe.skipIf(chromiumMissing)("the worklist in Chromium", () => {
  test("jobs: film identity, thumbnails, search, needs review, sorting; the image page lists its jobs", async () => {
    const { context, page } = await newPage(browser.current, worker.current.origin);
    try {
      const credentials = await registerThroughUi(page);
      const [user] = await worker.current.db.select().from(users).where(eq(users.email, credentials.email));
      const ownerId = user?.id as string;
      const open = await filmJob(ownerId, { filename: "weld-0042.png", weldId: "W-17" });
      const done = await filmJob(ownerId, { filename: "another-film.png", weldId: "W-3" });
      const auth = `Bearer ${(await login(worker.current, credentials)).accessToken}`;
      const { review, etag } = await getReview(worker.current, auth, done.jobId);
      const accepted = review.items.map((item) => ({ type: "accept", itemId: item.id }));
      expect((await postReviewActions(worker.current, auth, done.jobId, accepted, etag)).status).toBe(200);

      await page.getByRole("link", { name: "Jobs", exact: true }).click();
      await page.locator(`tr[data-job-id="${open.jobId}"]`).waitFor();
      expect(await page.title()).toBe("Jobs · Defect inspector");
      const row = page.locator(`tr[data-job-id="${open.jobId}"]`);
      expect(await row.textContent()).toContain("weld-0042.png");
      expect(await row.textContent()).toContain("Weld W-17");
      expect(await row.getByTestId("job-review").getAttribute("data-pending")).toBe("2");
      await row.locator('[data-thumbnail="ready"]').waitFor();

      await page.getByLabel("Film, weld or part").fill("w-17");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL("**/app/jobs?q=w-17");
      await page.locator(`tr[data-job-id="${done.jobId}"]`).waitFor({ state: "detached" });
      await page.locator(`tr[data-job-id="${open.jobId}"]`).waitFor();
      expect(await shownJobs(page)).toEqual([open.jobId]);

      await page.goto("/app/jobs?needsReview=true");
      await page.locator(`tr[data-job-id="${open.jobId}"]`).waitFor();
      expect(await shownJobs(page)).toEqual([open.jobId]);
      expect(await page.getByLabel("Needs review").isChecked()).toBe(true);

      await page.goto("/app/jobs");
      await page.getByLabel("Sort").selectOption("filename");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL("**/app/jobs?sort=filename");
      await page.locator("tr[data-job-id]").nth(1).waitFor();
      expect(await shownJobs(page)).toEqual([done.jobId, open.jobId]);

      // The film's page: what it is, and its jobs.
      await page.getByRole("link", { name: "Image page of weld-0042.png · Weld W-17" }).click();
      await page.waitForURL(`**/app/images/${open.imageId}`);
      await page.getByTestId("film-name").filter({ hasText: "weld-0042.png" }).waitFor();
      await page.locator(`tr[data-job-id="${open.jobId}"]`).waitFor();
      // The title follows the page's data once it has loaded, a frame after the film's name.
      await page.waitForFunction(`document.title.includes("weld-0042.png")`);
      expect(await page.title()).toContain("weld-0042.png");
      await page.getByRole("link", { name: "Open viewer" }).click();
      await page.waitForURL(`**/app/jobs/${open.jobId}`);
      await page.getByTestId("film-name").filter({ hasText: "weld-0042.png" }).waitFor();
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  test("uploads keep the weld id; a refused file shows no full progress bar", async () => {
    const { context, page } = await newPage(browser.current, worker.current.origin);
    try {
      await registerThroughUi(page);
      // The API takes a while to check a large file once its bytes are sent: the answer to the PNG's
      // upload is held back in the page until released, and meanwhile its row says so.
      await page.addInitScript(`(${HOLD_PNG_UPLOADS})()`);
      await page.reload();
      await page.getByTestId("drop-zone").waitFor();
      await page.getByLabel("Weld id").fill("W-99");
      const png = await imageFixtures.png(64, 48);
      await dropFiles(page, [
        { name: "weld-7.png", type: "image/png", bytes: png },
        { name: "drawing.svg", type: "image/svg+xml", bytes: await imageFixtures.svg() },
      ]);
      const checking = page.locator('li[data-upload-state="checking"]');
      await checking.waitFor();
      expect(await checking.getByTestId("upload-state").textContent()).toBe("checking…");
      expect(await checking.locator("progress").getAttribute("value")).toBe("1");
      await inPage(page, "() => window.releaseUploads()");
      await page.locator('li[data-upload-state="done"]').waitFor();
      const refused = page.locator('li[data-upload-state="refused"]');
      await refused.waitFor();
      expect(await refused.locator("progress").count()).toBe(0);
      await page.locator("tr[data-image-id]", { hasText: "Weld W-99" }).waitFor();
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
