import { beforeAll, describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "@scripts/local-stack/settings";
import { login } from "@scripts/testing/auth-fixtures";
import { expectError } from "@scripts/testing/responses";
import { settleEvaluation, shadowedJobs } from "@scripts/testing/stub-evaluations";
import { useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { stubTrainer } from "@scripts/testing/stub-trainer";
import type { Page } from "playwright-core";
import { audit } from "./accessibility-audit";
import { chromiumMissing, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import { promote, reviewedJobs, uploadModelVersion, yoloArchive } from "./registry-fixtures";
import { BROWSER_TEST_VARS } from "./worker-vars";

const screenshots = join(repoRoot, "docs/screenshots");
beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
});
const browser = useBrowser();
const stack = useWorkerWithStubInference({
  vars: { ...BROWSER_TEST_VARS, TRAINING_MAX_EPOCHS: "20" },
});

const MODEL = "weld-line3";

async function expectAccessible(page: Page, path: string) {
  expect({ path, problems: await audit(page) }).toEqual({ path, problems: [] });
}

/** Builds a version from the reviewed jobs: the preview leaves the pending job out first. */
async function buildDatasetFromReviews(page: Page, jobs: { partly: string; fully: string; pending: string }) {
  await page.getByRole("link", { name: "Datasets", exact: true }).click();
  await page.getByRole("heading", { name: "Datasets", exact: true }).waitFor();
  for (const id of Object.values(jobs)) await page.locator(`[data-job-id="${id}"]`).waitFor();
  await page.getByText("2 pending: would be left out").waitFor();
  await page.getByRole("button", { name: "Choose all shown" }).click();
  const preview = page.getByTestId("dataset-preview");
  await preview
    .getByText("Would take 2 image(s) with 3 box(es); left out: 1 pending, 0 unreviewed.")
    .waitFor();
  expect(await preview.locator("tbody tr").allTextContents()).toEqual(["porosity2", "crack1"]);
  await page.screenshot({ path: join(screenshots, "datasets.png") });
  await expectAccessible(page, "/app/datasets");
  // The reviewed-only filter hides the pending job.
  await page.getByLabel("Reviewed only").check();
  await page.getByRole("button", { name: "Filter", exact: true }).click();
  await page.waitForURL("**/app/datasets?reviewed=1");
  await page.locator(`[data-job-id="${jobs.fully}"]`).waitFor();
  expect(await page.locator(`[data-job-id="${jobs.pending}"]`).count()).toBe(0);
  await page.getByRole("button", { name: "Choose all shown" }).click();
  await page.getByLabel("Dataset name").first().fill("line-3 welds");
  await page.getByRole("button", { name: "Create version from 2 job(s)" }).click();
  const created = page.getByTestId("dataset-created");
  await created.waitFor();
  expect(await created.textContent()).toContain("line-3 welds v1 created: 2 image(s)");
  expect(await created.textContent()).toContain("porosity");
  await page.locator("[data-dataset-id]").filter({ hasText: "line-3 welds v1" }).waitFor();
}

/** Imports an archive (its progress, then the version) and answers the version's id. */
async function importArchive(page: Page): Promise<string> {
  const form = page.getByTestId("dataset-import");
  await form.getByLabel("Dataset name").fill("imported films");
  await form.getByLabel("Validation share").fill("0.5");
  await form.getByLabel("Split seed").fill("split-1");
  await form.getByLabel("Zip archive").setInputFiles({
    name: "films.zip",
    mimeType: "application/zip",
    buffer: await yoloArchive(6),
  });
  await form.getByRole("button", { name: "Import" }).click();
  await page
    .getByTestId("dataset-created")
    .filter({ hasText: "imported films v1 created: 6 image(s)" })
    .waitFor();
  const row = page.locator("[data-dataset-id]").filter({ hasText: "imported films v1" });
  return (await row.getAttribute("data-dataset-id")) as string;
}

/** Promotes v2 below the gate (refused with the API's message), forces it, rolls back. */
async function promoteAndRollBack(page: Page, gateMessage: string) {
  await page.getByRole("link", { name: "Models", exact: true }).click();
  await page.getByRole("heading", { name: "Models", exact: true }).waitFor();
  await page.locator(`tr[data-model="${MODEL}"]`).waitFor();
  await expectAccessible(page, "/app/models");
  await page.getByRole("link", { name: MODEL, exact: true }).click();
  await page.getByRole("heading", { name: `Model ${MODEL}` }).waitFor();
  await page
    .getByTestId("production")
    .filter({ hasText: `Production: ${MODEL}@1` })
    .waitFor();
  // v2 is shown against production v1, its mAP below.
  const comparison = page.getByTestId("version-comparison");
  await comparison.getByText(`${MODEL}@2 against production ${MODEL}@1`).waitFor();
  expect(await comparison.locator("tr", { hasText: "mAP@0.5" }).first().textContent()).toBe(
    "mAP@0.50.5500.700−0.150",
  );
  // v2 names no dataset: the registry's figures stand, since there is no evaluation.
  await page.getByTestId("evaluation-status").filter({ hasText: "Not evaluated: no dataset." }).waitFor();
  await page.getByTestId("lineage").getByRole("link", { name: "weld-defects" }).waitFor();
  await expectAccessible(page, `/app/models/${MODEL}`);

  await page.getByLabel("Reason (kept in the history)").fill("Fewer false calls on line 3");
  await page.getByRole("button", { name: `Promote ${MODEL}@2` }).click();
  expect(await page.getByTestId("gate-refusal").textContent()).toContain(gateMessage);
  await page.getByLabel("Force the promotion past the gate").check();
  await page.getByRole("button", { name: `Force promotion of ${MODEL}@2` }).click();
  await page
    .getByRole("status")
    .filter({ hasText: `${MODEL}@2 is in production (forced).` })
    .waitFor();
  await page
    .getByTestId("production")
    .filter({ hasText: `Production: ${MODEL}@2` })
    .waitFor();

  await page.getByLabel("Reason for the rollback").fill("Missed cracks in the field");
  await page.getByRole("button", { name: "Roll back production" }).click();
  await page
    .getByRole("status")
    .filter({ hasText: `Rolled back: ${MODEL}@1 is in production.` })
    .waitFor();
  const history = page.getByTestId("promotion-history").locator("tbody tr");
  await history.nth(2).waitFor();
  expect(await history.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")))).toEqual([
    "rollback",
    "promote",
    "promote",
  ]);
  expect(await history.nth(1).getAttribute("data-forced")).toBe("true");
  expect(await history.nth(0).textContent()).toContain("Missed cracks in the field");
  await expectAccessible(page, `/app/models/${MODEL}`);
}

/**
 * v3, uploaded with the imported dataset: queued, then evaluated beside production v1 (the
 * service's report sent by the test); then shadowed on half of the jobs, its agreement followed
 * live per class, and stopped.
 */
async function evaluateAndShadow(page: Page, auth: string, datasetId: string) {
  await uploadModelVersion(stack.worker, auth, MODEL, { val: { map50: 0.6, map50_95: 0.3 } }, { datasetId });
  await page.reload();
  await page.getByRole("heading", { name: `${MODEL}@3`, exact: true }).waitFor();
  const evaluation = page.getByTestId("evaluation");
  await evaluation.locator('[data-testid="evaluation-status"][data-status="queued"]').waitFor();
  await evaluation.getByTestId("version-comparison").waitFor();
  const settled = await settleEvaluation(
    stack.worker,
    auth,
    { name: MODEL, version: 3 },
    { candidate: 0.74, baseline: 0.71 },
  );
  const table = evaluation.getByTestId("evaluation-table");
  await table.waitFor();
  expect(await table.locator("caption").textContent()).toBe(
    `${MODEL}@3 against production ${MODEL}@1 (validation split; precision and recall at confidence 0.250)`,
  );
  expect(await table.locator('tr[data-metric="mAP@0.5"]').textContent()).toBe("mAP@0.50.7400.710+0.030");
  // Per dataset class; a class without boxes in the val split has no AP on either side.
  expect(await table.locator("tr[data-class]").allTextContents()).toEqual(
    (settled.table?.perClass ?? []).map(
      (row) => `AP@0.5 ${row.name} (${row.truths} box(es))${row.truths > 0 ? "0.7400.710+0.030" : "–––"}`,
    ),
  );
  expect(settled.table?.perClass.some((row) => row.truths > 0)).toBe(true);
  expect(await evaluation.getByTestId("version-comparison").count()).toBe(0);
  // The version's figures are now the service's.
  await page.locator('tr[data-version="3"]').filter({ hasText: "0.740" }).waitFor();
  await evaluation
    .getByTestId("evaluation-status")
    .filter({ hasText: `Evaluated on ${settled.images} validation image(s) with ${settled.truths} box(es)` })
    .waitFor();

  const shadow = page.getByTestId("shadow");
  await shadow.getByText(`${MODEL} was never shadowed.`).waitFor();
  const share = shadow.getByLabel("Share of new jobs (%)");
  await share.fill("60");
  await share.press("Enter");
  await shadow.getByRole("alert").filter({ hasText: "at most 50 % of the jobs" }).waitFor();
  await share.fill("50");
  await shadow.getByRole("button", { name: `Start shadow of ${MODEL}@3` }).click();
  await shadow.locator('[data-testid="shadow-status"][data-active="true"]').waitFor();
  await shadowedJobs(stack, auth, MODEL, 2);
  const agreement = shadow.getByTestId("shadow-agreement");
  await agreement.locator('tr[data-class="crack"]').waitFor();
  expect(await agreement.locator("tbody tr").allTextContents()).toEqual([
    "crack10150.0 %",
    "porosity21066.7 %",
    "All classes31160.0 %",
  ]);
  expect(await shadow.getByTestId("shadow-status").textContent()).toContain(
    "Jobs picked: 2 (2 compared, 0 pending, 0 failed).",
  );
  await expectAccessible(page, `/app/models/${MODEL}`);
  await page.screenshot({ path: join(screenshots, "models.png"), fullPage: true });
  await shadow.getByRole("button", { name: `Stop the shadow of ${MODEL}@3` }).click();
  await shadow.locator('[data-testid="shadow-status"][data-active="false"]').waitFor();
  expect(await agreement.locator("tbody tr").count()).toBe(3);
  await expectAccessible(page, `/app/models/${MODEL}`);
}

/** Starts a run in the page; a stand-in trainer runs it; the page follows it to the model. */
async function trainFromDataset(page: Page, datasetId: string) {
  await page.goto(`/app/trainings?dataset=${datasetId}`);
  await page.getByRole("heading", { name: "Training runs", exact: true }).waitFor();
  await page.locator(`#train-dataset option[value="${datasetId}"]`).waitFor({ state: "attached" });
  await page
    .locator("#train-base option", { hasText: "weld-defects" })
    .first()
    .waitFor({ state: "attached" });
  await page.getByLabel("Base model").selectOption("weld-defects");
  await page.getByLabel("Result model name").fill("weld-trained");
  await page.getByLabel("Epochs").fill("3");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.waitForURL(/\/app\/trainings\/[0-9a-f-]{36}$/);
  await page.locator('[data-testid="training-view"][data-status="queued"]').waitFor();
  await expectAccessible(page, "/app/trainings");
  await stubTrainer(stack.worker).runOnce();
  await page.locator('[data-testid="training-view"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="training-charts"][data-epochs="3"]').waitFor();
  await page.getByRole("link", { name: "weld-trained@1" }).waitFor();
  await expectAccessible(page, "/app/trainings");
  await page.screenshot({ path: join(screenshots, "trainings.png") });
}

describe.skipIf(chromiumMissing)("datasets, models and training runs in Chromium", () => {
  test("build a dataset from reviews, import one, promote past the gate, roll back, evaluate, shadow, train", async () => {
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      const credentials = await registerThroughUi(page);
      const auth = `Bearer ${(await login(stack.worker, credentials)).accessToken}`;
      const jobs = await reviewedJobs(stack.worker, auth);
      await uploadModelVersion(stack.worker, auth, MODEL, { val: { map50: 0.7, map50_95: 0.4 } });
      await uploadModelVersion(stack.worker, auth, MODEL, { val: { map50: 0.55, map50_95: 0.35 } });
      const first = await promote(stack.worker, auth, MODEL, { version: 1, reason: "first version" });
      expect(first.status).toBe(200);
      await first.body?.cancel();
      // What the gate answers v2, which the page must show as it is.
      const refused = await promote(stack.worker, auth, MODEL, { version: 2, reason: "probe" });
      const gateMessage = (await expectError(refused, 409, "promotion_gate")).message;

      await buildDatasetFromReviews(page, jobs);
      const imported = await importArchive(page);

      // Each result names the model and version that produced it, linked to the model.
      await page.getByRole("link", { name: "Jobs", exact: true }).click();
      const model = page.locator(`tr[data-job-id="${jobs.fully}"] [data-testid="job-model"] a`);
      expect(await model.textContent()).toBe("weld-defects 1.0.0");
      await page.goto(`/app/jobs/${jobs.fully}`);
      await page.getByTestId("viewer-model").getByRole("link", { name: "Model weld-defects 1.0.0" }).click();
      await page.getByRole("heading", { name: "Model weld-defects" }).waitFor();
      await page.getByText("is a shipped model").waitFor();

      await promoteAndRollBack(page, gateMessage);
      await evaluateAndShadow(page, auth, imported);
      await trainFromDataset(page, imported);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
