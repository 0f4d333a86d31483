import { describe, expect, test } from "bun:test";
import { JobReviewSchema } from "@edge/routes/reviews/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import type { Page } from "playwright-core";
import { DECODE_MEASURE } from "../src/viewer/film-format";
import { finishedJob, openViewer } from "./app-steps";
import { chromiumMissing, inPage, newPage, pageErrors, useBrowser } from "./browser";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const stack = useWorkerWithStubInference({ vars: BROWSER_TEST_VARS });

/** A user with one finished job, made through the API as a scanner would. */
async function userWithJob(width: number, height: number) {
  const { user, auth } = await signedInUser(stack.worker);
  const job = await finishedJob(stack.worker, auth, await imageFixtures.png(width, height));
  return { user, auth, jobId: job.id };
}

/**
 * Counts the calls that decode or copy pixels, from before the app's first script: zooming and
 * panning must not make any. `films` counts the viewer's own decodes (its "film decode" user-timing
 * entries: JavaScript decoders and the browser's alike), `decode` the browser's.
 */
const COUNT_PIXEL_WORK = `() => {
  window.pixelWork = { decode: 0, read: 0, write: 0 };
  const wrap = (target, name, counter) => {
    const original = target[name];
    target[name] = function (...args) { window.pixelWork[counter]++; return original.apply(this, args); };
  };
  wrap(window, "createImageBitmap", "decode");
  wrap(CanvasRenderingContext2D.prototype, "getImageData", "read");
  wrap(CanvasRenderingContext2D.prototype, "putImageData", "write");
}`;

const pixelWork = (page: Page) =>
  inPage<{ films: number; decode: number; read: number; write: number }>(
    page,
    `() => ({ ...window.pixelWork, films: performance.getEntriesByName("${DECODE_MEASURE}").length })`,
  );
const nextFrame = (page: Page) =>
  inPage(page, "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))");

describe.skipIf(chromiumMissing)("the viewer in Chromium", () => {
  test("zoom and pan on a large film only move the view: no decoding or pixel copies per frame", async () => {
    const { user, jobId } = await userWithJob(4000, 3000);
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await page.addInitScript(`(${COUNT_PIXEL_WORK})()`);
      await openViewer(page, user, jobId);
      await nextFrame(page);
      const loaded = await pixelWork(page);
      // A PNG is decoded once, in JavaScript (no browser decode, no pixels read back from a
      // canvas), and written once (the first window).
      expect(loaded).toEqual({ films: 1, decode: 0, read: 0, write: 1 });

      const film = page.getByTestId("film");
      const box = (await film.boundingBox()) as { x: number; y: number; width: number; height: number };
      const before = JSON.parse((await film.getAttribute("data-transform")) as string) as { scale: number };
      const started = performance.now();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      for (let step = 0; step < 10; step++) await page.mouse.wheel(0, -120);
      await page.mouse.down();
      for (let step = 1; step <= 10; step++)
        await page.mouse.move(box.x + box.width / 2 - step * 15, box.y + box.height / 2);
      await page.mouse.up();
      for (const key of ["ArrowLeft", "ArrowUp", "+", "-"]) await page.keyboard.press(key);
      await nextFrame(page);
      const after = JSON.parse((await film.getAttribute("data-transform")) as string) as {
        scale: number;
        tx: number;
      };
      console.log(
        `viewer: 24 view changes of a 4000×3000 film in ${(performance.now() - started).toFixed(0)} ms`,
      );
      expect(after.scale).toBeGreaterThan(before.scale * 2);
      expect(await pixelWork(page)).toEqual(loaded);

      // A window/level change re-maps the pixels once, from the stored values already decoded.
      await inPage(
        page,
        `() => { const input = document.querySelector("#window-width"); input.value = "64"; input.dispatchEvent(new Event("input", { bubbles: true })); }`,
      );
      await nextFrame(page);
      expect(await pixelWork(page)).toEqual({ ...loaded, write: loaded.write + 1 });
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  test("a review changed elsewhere meanwhile is reported and reloaded, not overwritten", async () => {
    const { user, auth, jobId } = await userWithJob(320, 240);
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await openViewer(page, user, jobId);
      await page.getByRole("button", { name: /^porosity 0\.90/ }).click();
      await page
        .getByTestId("decision")
        .filter({ hasText: /^pending$/ })
        .waitFor();

      // Another reviewer accepts it through the API while this page still shows version 0.
      const review = await readBody(
        await stack.worker.fetch(`/v1/jobs/${jobId}/review`, { headers: { Authorization: auth } }),
        JobReviewSchema,
      );
      const porosityId = review.items.find((item) => item.label === "porosity")?.id;
      const other = await stack.worker.fetch(`/v1/jobs/${jobId}/review/actions`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json", "If-Match": '"0"' },
        body: JSON.stringify({ actions: [{ type: "accept", itemId: porosityId }] }),
      });
      expect(other.status).toBe(200);
      await other.body?.cancel();

      await page.getByRole("button", { name: /^Reject/ }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      // The queue reloaded on the 412 and did not apply the reject over the other decision.
      expect(await alert.textContent()).toContain(
        "porosity was changed by someone else meanwhile; your reject was not applied",
      );
      // The page now shows the other reviewer's decision; rejecting again applies to it.
      await page
        .getByTestId("decision")
        .filter({ hasText: /^accepted$/ })
        .waitFor();
      await page.getByRole("button", { name: /^Reject/ }).click();
      await page
        .getByTestId("decision")
        .filter({ hasText: /^rejected$/ })
        .waitFor();
      expect(await page.getByRole("alert").count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 60_000);
});
