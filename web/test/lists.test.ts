import { describe, expect, test } from "bun:test";
import { users } from "@db/schema";
import { insertImage, insertJob, postResult, succeededResult } from "@scripts/testing/job-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { PAGE_SIZE } from "../src/api/paged-list";
import { chromiumMissing, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const worker = useTestWorker({ vars: BROWSER_TEST_VARS });

/** Newest first, as the API orders its lists: by UUIDv7 id, descending. */
const newestFirst = (ids: string[]) => ids.toSorted().reverse();

/** The ids of the rows shown, in the order shown. */
const shownIds = (page: Page, attribute: string) =>
  page
    .locator(`tr[${attribute}]`)
    .evaluateAll((rows, name) => rows.map((row) => row.getAttribute(name as string) ?? ""), attribute);

/** Presses "Load more" until it is gone, checking each press appends rows; returns the presses. */
async function loadEverything(page: Page, noun: string, attribute: string): Promise<number> {
  const button = page.getByRole("button", { name: `Load more ${noun}` });
  let presses = 0;
  while (await button.isVisible()) {
    const before = await page.locator(`tr[${attribute}]`).count();
    await button.focus();
    await page.keyboard.press("Enter");
    presses++;
    await page.locator(`tr[${attribute}]`).nth(before).waitFor();
  }
  return presses;
}

describe.skipIf(chromiumMissing)("paged lists in Chromium", () => {
  test("images and jobs beyond the first page load on demand, each once, newest first, live", async () => {
    const { context, page } = await newPage(browser.current, worker.current.origin);
    try {
      const { email } = await registerThroughUi(page);
      const [user] = await worker.current.db
        .select({ id: users.id })
        .from(users)
        .where(eq(users.email, email));
      const ownerId = user?.id ?? "";
      const imageIds: string[] = [];
      for (let n = 0; n < PAGE_SIZE * 2 + 3; n++)
        imageIds.push((await insertImage(worker.current, ownerId, { storeObject: false })).id);
      const jobIds: string[] = [];
      for (const imageId of imageIds.slice(0, PAGE_SIZE + 4))
        jobIds.push(await insertJob(worker.current, ownerId, imageId));

      await page.goto("/app/images");
      await page
        .locator("tr[data-image-id]")
        .nth(PAGE_SIZE - 1)
        .waitFor();
      expect(await page.locator("tr[data-image-id]").count()).toBe(PAGE_SIZE);
      expect(await loadEverything(page, "images", "data-image-id")).toBe(2);
      expect(await page.getByRole("button", { name: /Load more/ }).count()).toBe(0);
      expect(await shownIds(page, "data-image-id")).toEqual(newestFirst(imageIds));

      await page.getByRole("link", { name: "Jobs", exact: true }).click();
      await page
        .locator("tr[data-job-id]")
        .nth(PAGE_SIZE - 1)
        .waitFor();
      expect(await page.locator("tr[data-job-id]").count()).toBe(PAGE_SIZE);
      expect(await loadEverything(page, "jobs", "data-job-id")).toBe(1);
      expect(await shownIds(page, "data-job-id")).toEqual(newestFirst(jobIds));

      // The oldest job sits on the second page; its status still changes live, in place.
      const oldest = newestFirst(jobIds).at(-1) ?? "";
      expect((await postResult(worker.current, oldest, succeededResult(oldest))).status).toBe(200);
      await page.locator(`tr[data-job-id="${oldest}"][data-status="succeeded"]`).waitFor();
      expect(await shownIds(page, "data-job-id")).toEqual(newestFirst(jobIds));
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
