/**
 * The README's viewer screenshots, taken from the whole system with the shipped model: generated
 * films go through the edge Worker, the queue and the real inference service (onnxruntime), and
 * the viewer shows what the model found. The test first checks that the boxes are the model's
 * findings (they match what the generator drew), so a screenshot never shows boxes placed at random.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { shippedModelFigures } from "@common/models/shipped-model-figures";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { DEFAULT_PIXEL_SIZE_MM, encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample, type Sample } from "@generator/sample";
import { iou } from "@inference/postprocess/boxes";
import { repoRoot } from "@scripts/local-stack/settings";
import { useFullStack } from "@scripts/system-tests/full-stack-fixture";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { STEP_OVERLAP } from "../src/viewer/geometry";
import { openViewer } from "./app-steps";
import { chromiumMissing, newPage, pageErrors, useBrowser } from "./browser";

const screenshots = join(repoRoot, "docs/screenshots");
beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
});
const browser = useBrowser();
const stack = useFullStack({ intraOpThreads: 2 });

type Job = ReturnType<typeof JobSchema.parse>;

/** The first generated film (from a fixed seed) with at least `defects` labelled defects. */
function filmWithDefects(defects: number, options: { imgsz: number; large?: boolean }): Sample {
  for (let k = 0; ; k++) {
    const sample = renderSample(deriveSeed(2026, "readme", k), options);
    if (sample.labels.length >= defects) return sample;
  }
}

/**
 * Uploads a film under a file name and weld id, at the generator's pixel size (so the viewer
 * measures in mm), runs the shipped model on it and waits for the result.
 */
async function detect(auth: string, bytes: Uint8Array, filename: string, weldId: string): Promise<Job> {
  const query = new URLSearchParams({ filename, weldId, pixelSizeMm: String(DEFAULT_PIXEL_SIZE_MM) });
  const upload = await stack.worker.fetch(`/v1/images?${query}`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(bytes.length) },
    body: bytes,
  });
  expect(upload.status).toBe(201);
  const image = await readBody(upload, ImageSchema);
  const created = await stack.worker.fetch("/v1/jobs", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ imageId: image.id }),
  });
  const [queued] = (await readBody(created, QueuedJobsSchema)).jobs;
  if (!queued) throw new Error("job creation answered no job");
  const id = queued.id;
  const done = await stack.worker.fetch(`/v1/jobs/${id}?wait=60`, { headers: { Authorization: auth } });
  const job = await readBody(done, JobSchema);
  expect(job.status).toBe("succeeded");
  return job;
}

/** How many of the generator's defects the model found (same class, IoU ≥ 0.5). */
function found(sample: Sample, job: Job): number {
  return sample.labels.filter((label) =>
    job.detections?.some((d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5),
  ).length;
}

describe.skipIf(chromiumMissing)("README screenshots: the shipped model's detections in the viewer", () => {
  test("a generated film: the model's boxes, one accepted, and what its confidence means", async () => {
    const { user, auth } = await signedInUser(stack.worker);
    const sample = filmWithDefects(3, { imgsz: 320 });
    const job = await detect(auth, await encodePng(sample.image, 8), "weld-0042.png", "W-17");
    // The boxes on the screenshot are the model's findings on this film.
    expect(found(sample, job)).toBeGreaterThanOrEqual(2);
    const figures = shippedModelFigures(job.model.sha256);
    if (!figures) throw new Error("the shipped model's file is not the one its card describes");

    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await openViewer(page, user, job.id);
      const best = [...(job.detections ?? [])].sort((a, b) => b.score - a.score)[0];
      if (!best) throw new Error("no detection");
      await page
        .getByRole("button", { name: new RegExp(`^${best.label} ${best.score.toFixed(2)}`) })
        .first()
        .click();
      await page.getByRole("button", { name: /^Accept/ }).click();
      await page
        .getByTestId("decision")
        .filter({ hasText: /^accepted$/ })
        .waitFor();

      // The confidence explained: the card's per-class figures at its threshold, and its training data.
      await page.getByText("What does confidence mean?").click();
      const row = figures.perClass.find((entry) => entry.name === best.label);
      if (!row) throw new Error(`the card has no figures for ${best.label}`);
      const cells = page.locator(`.figures tr[data-class="${best.label}"] td`);
      expect(await cells.allTextContents()).toEqual([
        `${Math.round(row.precision * 100)} %`,
        `${Math.round(row.recall * 100)} %`,
      ]);
      expect(await page.locator(".figures caption").textContent()).toContain(`≥ ${figures.threshold}`);
      expect(await page.getByTestId("training-data").textContent()).toContain("synthetic weld radiographs");
      expect(await page.getByTestId("selected-class-figures").textContent()).toContain(
        `${Math.round(row.precision * 100)} % were real`,
      );
      await page.getByRole("complementary", { name: "Viewer controls" }).evaluate((panel) => {
        panel.scrollTop = 0;
      });
      await page.screenshot({ path: join(screenshots, "viewer.png") });
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);

  test("a 16-bit weld strip: fit height, the overview map and the model's boxes along it", async () => {
    const { user, auth } = await signedInUser(stack.worker);
    const sample = filmWithDefects(6, { imgsz: 320, large: true });
    const job = await detect(
      auth,
      await encodePng(sample.image, 16, "detector"),
      "weld-strip-0007.png",
      "W-18",
    );
    expect(found(sample, job)).toBeGreaterThanOrEqual(sample.labels.length / 2);

    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await openViewer(page, user, job.id);
      // Step to the screen along the strip that holds the most detections whole.
      const region = async () =>
        JSON.parse((await page.getByTestId("film").getAttribute("data-visible")) as string) as {
          x1: number;
          x2: number;
        };
      const screen = (await region()).x2 - (await region()).x1;
      const steps = Math.ceil((sample.image.width - screen) / (screen * (1 - STEP_OVERLAP)));
      const held = (x1: number) =>
        (job.detections ?? []).filter((d) => d.box.x1 >= x1 && d.box.x2 <= x1 + screen).length;
      const starts = Array.from({ length: steps + 1 }, (_, k) =>
        Math.min(k * screen * (1 - STEP_OVERLAP), sample.image.width - screen),
      );
      const best = starts.reduce((chosen, x1, k) => (held(x1) > held(starts[chosen] ?? 0) ? k : chosen), 0);
      for (let step = 0; step < best; step++) await page.keyboard.press(".");
      await page.evaluate(
        "new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))",
      );
      expect(held((await region()).x1)).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: join(screenshots, "viewer-strip.png") });
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
