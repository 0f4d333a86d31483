import { expect } from "bun:test";
import { JobSchema } from "@edge/routes/jobs/schema";
import { uploadAndDetect } from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import type { TestWorker } from "@scripts/testing/test-worker";
import type { Page } from "playwright-core";
import { inPage } from "./browser";

/**
 * Steps the browser tests take through the app as a user does (signing in at a deep link, opening
 * a job's viewer, dropping files), and the finished job they open, made as a scanner makes one.
 */

type Credentials = { email: string; password: string };
type Job = ReturnType<typeof JobSchema.parse>;

/** Uploads a film through the API, creates its job and waits until the job has succeeded. */
export async function finishedJob(
  worker: Pick<TestWorker, "fetch">,
  auth: string,
  file: Uint8Array,
): Promise<Job> {
  const jobId = await uploadAndDetect(worker, auth, file);
  const done = await worker.fetch(`/v1/jobs/${jobId}?wait=30`, { headers: { Authorization: auth } });
  const job = await readBody(done, JobSchema);
  expect(job.status).toBe("succeeded");
  return job;
}

/** Goes to a page of the app signed out and signs in through the form it shows there. */
export async function signInAt(page: Page, path: string, user: Credentials): Promise<void> {
  await page.goto(path);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * Signs in at the job's deep link and waits until the film is drawn and, unless `reviewable` is
 * false, its review is loaded.
 */
export async function openViewer(
  page: Page,
  user: Credentials,
  jobId: string,
  { reviewable = true }: { reviewable?: boolean } = {},
): Promise<void> {
  await signInAt(page, `/app/jobs/${jobId}`, user);
  const film = '[data-testid="film"][data-image-ready="true"]';
  await page.locator(reviewable ? `${film}[data-reviewable="true"]` : film).waitFor();
}

/** Drops files on the drop zone as a user's drag and drop does (a real DataTransfer of Files). */
export async function dropFiles(page: Page, files: Array<{ name: string; type: string; bytes: Buffer }>) {
  await inPage(
    page,
    `(files) => {
      const transfer = new DataTransfer();
      for (const file of files) {
        const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], file.name, { type: file.type }));
      }
      const zone = document.querySelector('[data-testid="drop-zone"]');
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }`,
    files.map((file) => ({ name: file.name, type: file.type, base64: file.bytes.toString("base64") })),
  );
}
