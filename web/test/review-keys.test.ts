import { describe, expect, test } from "bun:test";
import { images, users } from "@db/schema";
import { login } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { insertImage, insertJob, MODEL, postResult, succeededResult } from "@scripts/testing/job-fixtures";
import { getReview, postReviewActions } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { historyKey } from "../src/viewer/history-keys";
import { chromiumMissing, inPage, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import { dragOnFilm } from "./film-canvas";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const worker = useTestWorker({ vars: BROWSER_TEST_VARS });

const MODEL_CLASSES = ["porosity", "crack", "slag_inclusion"];
const KEY_INTERVAL_MS = 50;

/** `count` detections in a row across a 640×480 film, scored 0.95 down in steps of 0.04. */
const detectionsInARow = (count: number) =>
  Array.from({ length: count }, (_, n) => ({
    classId: n % 2,
    label: MODEL_CLASSES[n % 2] as string,
    score: Math.round((0.95 - n * 0.04) * 100) / 100,
    box: { x1: 10 + n * 60, y1: 100, x2: 50 + n * 60, y2: 140 },
  }));

/**
 * A signed-in reviewer in the page, and one succeeded job of theirs on a real 640×480 film named
 * weld-0042.png (weld W-17), whose model reported its classes.
 */
async function reviewerWithJob(page: Page, detections: ReturnType<typeof detectionsInARow>) {
  const credentials = await registerThroughUi(page);
  const [user] = await worker.current.db.select().from(users).where(eq(users.email, credentials.email));
  const ownerId = user?.id as string;
  const image = await insertImage(worker.current, ownerId, {
    bytes: new Uint8Array(await imageFixtures.png(640, 480)),
  });
  await worker.current.db
    .update(images)
    .set({ filename: "weld-0042.png", weldId: "W-17" })
    .where(eq(images.id, image.id));
  const jobId = await insertJob(worker.current, ownerId, image.id);
  const result = succeededResult(jobId, { model: { ...MODEL, classes: MODEL_CLASSES }, detections });
  expect((await postResult(worker.current, jobId, result)).status).toBe(200);
  const session = await login(worker.current, credentials);
  const auth = `Bearer ${session.accessToken}`;
  await page.goto(`/app/jobs/${jobId}`);
  await page.locator('[data-testid="film"][data-image-ready="true"][data-reviewable]').waitFor();
  await page.getByTestId("review-summary").waitFor();
  return { jobId, auth };
}

const decisions = async (auth: string, jobId: string): Promise<string[]> =>
  (await getReview(worker.current, auth, jobId)).review.items.map((item) => item.decision);

/** Waits until every queued review action has been answered. */
const saved = (page: Page) => page.locator('[data-testid="review-saving"][data-busy="false"]').waitFor();

describe("undo and redo keys", () => {
  const key = (key: string, modifiers: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }>) =>
    historyKey({
      key,
      ctrlKey: false,
      metaKey: false,
      shiftKey: false,
      altKey: false,
      target: null,
      ...modifiers,
    });

  test("Ctrl/Cmd+Z undoes, with Shift (or Ctrl+Y) redoes; plain z and typing in a field do nothing", () => {
    expect(key("z", { ctrlKey: true })).toBe("undo");
    expect(key("z", { metaKey: true })).toBe("undo");
    expect(key("Z", { ctrlKey: true, shiftKey: true })).toBe("redo");
    expect(key("y", { ctrlKey: true })).toBe("redo");
    expect(key("z", {})).toBeNull();
    expect(
      historyKey({
        key: "z",
        ctrlKey: true,
        metaKey: false,
        shiftKey: false,
        altKey: false,
        target: { tagName: "TEXTAREA" },
      }),
    ).toBeNull();
  });
});

describe.skipIf(chromiumMissing)("reviewing by keyboard in Chromium", () => {
  test("8 decisions typed 50 ms apart all land, across a change made elsewhere; undo and redo", async () => {
    const { context, page } = await newPage(browser.current, worker.current.origin);
    try {
      const { jobId, auth } = await reviewerWithJob(page, detectionsInARow(9));
      expect(await page.getByTestId("film-name").textContent()).toBe("weld-0042.png");
      // The title follows the page's data once it has loaded, a frame after the film's name.
      await page.waitForFunction(`document.title.includes("weld-0042.png")`);
      expect(await page.title()).toContain("weld-0042.png");
      expect(await page.title()).toContain("W-17");

      // Someone else rejects the ninth indication: the first key's request meets a 412 and must be
      // sent again against the new version, not dropped.
      const { review, etag } = await getReview(worker.current, auth, jobId);
      const ninth = review.items[8]?.id as string;
      expect(
        (await postReviewActions(worker.current, auth, jobId, [{ type: "reject", itemId: ninth }], etag))
          .status,
      ).toBe(200);

      await page.getByRole("button", { name: /^porosity 0\.95/ }).click();
      await page.getByTestId("review-panel").waitFor();
      const expected: string[] = [];
      for (let n = 0; n < 8; n++) {
        const decision = n % 3 === 2 ? "r" : "a";
        expected.push(decision === "a" ? "accepted" : "rejected");
        await page.keyboard.press(decision);
        await Bun.sleep(KEY_INTERVAL_MS);
        if (n < 7) {
          await page.keyboard.press("n");
          await Bun.sleep(KEY_INTERVAL_MS);
        }
      }
      await saved(page);
      expect(await decisions(auth, jobId)).toEqual([...expected, "rejected"]);
      expect(await page.getByTestId("review-counts").textContent()).toContain("0 pending");
      await expect(page.getByRole("alert").count()).resolves.toBe(0);

      // Undo the last decision by keyboard, then redo it by the button.
      await page.keyboard.press("Control+z");
      await saved(page);
      expect((await decisions(auth, jobId))[7]).toBe("pending");
      await page.getByRole("button", { name: /^Redo/ }).click();
      await saved(page);
      expect((await decisions(auth, jobId))[7]).toBe(expected[7]);
      await page.keyboard.press("Control+z");
      await page.keyboard.press("Control+z");
      await saved(page);
      expect((await decisions(auth, jobId)).slice(6, 8)).toEqual(["pending", "pending"]);

      // Bulk accept: everything still pending at or above 0.5.
      await page.getByLabel("Bulk accept pending at or above").fill("0.5");
      await page.getByRole("button", { name: /^Bulk accept: 2 pending/ }).click();
      await saved(page);
      expect((await decisions(auth, jobId)).slice(6, 8)).toEqual(["accepted", "accepted"]);

      // Keys with no pause at all, in one task (no render between them): each decision still goes
      // to the indication "n" moved to, before the page has rendered that selection.
      await page.getByRole("button", { name: /^porosity 0\.95/ }).click();
      await page.getByTestId("review-panel").waitFor();
      await inPage(
        page,
        `(keys) => { for (const key of keys) document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true })); }`,
        ["r", "n", "r", "n", "r"],
      );
      await saved(page);
      expect((await decisions(auth, jobId)).slice(0, 4)).toEqual([
        "rejected",
        "rejected",
        "rejected",
        "accepted",
      ]);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  test("drawing on a film with no detections offers the model's classes", async () => {
    const { context, page } = await newPage(browser.current, worker.current.origin);
    try {
      const { jobId, auth } = await reviewerWithJob(page, []);
      const options = await page.locator("#draw-class option").allTextContents();
      expect(options).toEqual(MODEL_CLASSES);
      await page.getByLabel("Class of the new box").selectOption({ label: "slag_inclusion" });
      await page.keyboard.press("d");
      await dragOnFilm(page, { x: 100, y: 150 }, { x: 160, y: 200 });
      await page.getByRole("button", { name: /^slag_inclusion drawn · accepted/ }).waitFor();
      const { review } = await getReview(worker.current, auth, jobId);
      expect(review.items.map((item) => [item.source, item.classId, item.label])).toEqual([
        ["reviewer", 2, "slag_inclusion"],
      ]);
      // Relabelling offers the model's classes too.
      await page.getByRole("button", { name: /^slag_inclusion drawn · accepted/ }).click();
      await page.getByTestId("review-panel").waitFor();
      const relabel = await page.locator("#relabel option").allTextContents();
      expect(relabel).toEqual(MODEL_CLASSES);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
