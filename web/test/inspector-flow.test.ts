import { beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mapValue, resolveMapping } from "@common/imaging/intensity";
import { reviewEvents } from "@db/schema";
import { repoRoot } from "@scripts/local-stack/settings";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { CocoExportSchema } from "@scripts/testing/coco-export";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { expectError, parseBody } from "@scripts/testing/responses";
import { runCommand } from "@scripts/testing/run-command";
import { stubDetections, useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { asc, eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { dropFiles } from "./app-steps";
import { chromiumMissing, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import {
  acrossEdge,
  CRACK_RGB,
  dragOnFilm,
  edgeIn,
  grey,
  noEdge,
  POROSITY_RGB,
  pixelAt,
  screenPoint,
  setRange,
} from "./film-canvas";
import { weldFilm } from "./films";
import { fillTechniqueAndPersonnel } from "./report-form";
import { BROWSER_TEST_VARS } from "./worker-vars";

const screenshots = join(repoRoot, "docs/screenshots");
/** Poppler renders a page of the PDF for the README (CI installs it; skipped with a notice without). */
const pdftoppm = Bun.which("pdftoppm");
if (!pdftoppm)
  console.warn("inspector-flow.test.ts: pdftoppm not found; the report page screenshot is skipped");
beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
});
const browser = useBrowser();
const stack = useWorkerWithStubInference({ vars: BROWSER_TEST_VARS });

async function visibleCount(page: Page): Promise<string | null> {
  return page.getByTestId("film").getAttribute("data-visible-detections");
}

describe.skipIf(chromiumMissing)("the inspector's web app in Chromium", () => {
  test("register, upload, detect, see boxes, filter, review, export COCO and a PDF report", async () => {
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await registerThroughUi(page);

      // Drag and drop two files at once: a radiograph, and an SVG the API refuses.
      const film = await weldFilm();
      const png = film.png;
      const svg = await imageFixtures.svg();
      const { auth } = await signedInUser(stack.worker);
      const refusal = await stack.worker.fetch("/v1/images", {
        method: "POST",
        headers: {
          Authorization: auth,
          "Content-Type": "image/svg+xml",
          "Content-Length": String(svg.length),
        },
        body: svg,
      });
      const apiMessage = (await expectError(refusal, 415, "unsupported_image_type")).message;
      await dropFiles(page, [
        { name: "weld-0042.png", type: "image/png", bytes: png },
        { name: "drawing.svg", type: "image/svg+xml", bytes: svg },
      ]);
      await page.locator('li[data-upload-state="done"]').waitFor();
      const refused = page.locator('li[data-upload-state="refused"]');
      await refused.waitFor();
      expect(await refused.textContent()).toContain("drawing.svg");
      expect(await refused.getByRole("alert").textContent()).toContain(apiMessage);
      expect(await page.locator('li[data-upload-state="done"] progress').getAttribute("value")).toBe("1");

      // The uploaded image is selected; start a job with chosen thresholds.
      await page.getByLabel("Confidence threshold").fill("0.3");
      await page.getByRole("button", { name: "Start 1 job" }).click();
      await page.getByRole("heading", { name: "Jobs", exact: true }).waitFor();
      // Live status: the row turns succeeded without a reload once the stub inference reports.
      const row = page.locator('tr[data-status="succeeded"]');
      await row.waitFor({ timeout: 30_000 });
      const jobId = (await row.getAttribute("data-job-id")) as string;
      const [porosity, crack] = stubDetections(jobId);
      if (!porosity || !crack) throw new Error("fake detections changed");

      await row.getByRole("link", { name: "Open viewer" }).click();
      await page.waitForURL(`**/app/jobs/${jobId}`);
      await page.locator('[data-testid="film"][data-image-ready="true"][data-reviewable="true"]').waitFor();
      await page.locator('[data-testid="film"][data-visible-detections="2"]').waitFor();
      await page.getByRole("button", { name: /^porosity 0\.90/ }).waitFor();

      // Boxes are drawn on the film in their class colours; the film itself is grey.
      const porosityEdge = { x: porosity.box.x1, y: (porosity.box.y1 + porosity.box.y2) / 2 };
      const crackEdge = { x: crack.box.x1, y: (crack.box.y1 + crack.box.y2) / 2 };
      expect(edgeIn(await acrossEdge(page, porosityEdge.x, porosityEdge.y), POROSITY_RGB)).toBe(true);
      expect(edgeIn(await acrossEdge(page, crackEdge.x, crackEdge.y), CRACK_RGB)).toBe(true);
      expect(grey(await pixelAt(page, film.width - 10, film.height - 10))).toBe(true);

      // Review: accept the porosity, reject the crack by keyboard, draw a missed defect.
      await page.getByRole("button", { name: /^porosity 0\.90/ }).click();
      await page.getByTestId("review-panel").waitFor();
      await page.getByRole("button", { name: /^Accept/ }).click();
      await page
        .getByTestId("decision")
        .filter({ hasText: /^accepted$/ })
        .waitFor();
      await page.keyboard.press("n");
      await page.getByRole("heading", { name: /^crack 0\.60/ }).waitFor();
      await page.keyboard.press("r");
      await page
        .getByTestId("decision")
        .filter({ hasText: /^rejected$/ })
        .waitFor();
      await page.getByRole("button", { name: /^Draw a box/ }).click();
      await dragOnFilm(page, { x: 100, y: 150 }, { x: 140, y: 190 });
      await page.getByRole("button", { name: /drawn · accepted/ }).waitFor();
      expect(await visibleCount(page)).toBe("3");

      // Resize the porosity by its bottom-right corner, note it, and relabel the drawn box.
      await page.getByRole("button", { name: /^porosity 0\.90/ }).click();
      const corner = await screenPoint(page, porosity.box.x2, porosity.box.y2);
      const dragged = await screenPoint(page, porosity.box.x2 + 20, porosity.box.y2 + 20);
      await page.mouse.move(corner.x, corner.y);
      await page.mouse.down();
      await page.mouse.move(dragged.x, dragged.y, { steps: 4 });
      await page.mouse.up();
      await page.getByLabel("Note").fill("Cluster near the root pass");
      await page.getByRole("button", { name: "Save note" }).click();
      await page.getByRole("button", { name: /drawn · accepted/ }).click();
      await page.getByLabel("Class", { exact: true }).selectOption({ label: "crack" });
      await page.getByRole("button", { name: /^crack drawn · accepted/ }).waitFor();
      // The audit history holds every change, in order.
      const history = await stack.worker.db
        .select({ action: reviewEvents.action })
        .from(reviewEvents)
        .where(eq(reviewEvents.jobId, jobId))
        .orderBy(asc(reviewEvents.id));
      expect(history.map((event) => event.action)).toEqual([
        "accept",
        "reject",
        "add",
        "resize",
        "note",
        "relabel",
      ]);
      // The README's viewer screenshot shows the shipped model's boxes: readme-screenshots.test.ts.
      await page.getByRole("button", { name: /^porosity 0\.90/ }).click();

      // Window/level re-maps the film's pixels. At a point away from every box, the full window
      // (an 8-bit film's default) shows the stored value; a narrow window centred on it shows what
      // the shared mapping makes of it.
      const probe = { x: 450.5, y: 200.5 };
      const stored = film.valueAt(probe.x, probe.y);
      expect((await pixelAt(page, probe.x, probe.y))[0]).toBe(stored);
      await setRange(page, "#window-center", stored);
      await setRange(page, "#window-width", 20);
      const windowed = await pixelAt(page, probe.x, probe.y);
      expect(grey(windowed)).toBe(true);
      const narrow = resolveMapping({ bitsStored: 8, window: { center: stored, width: 20 } }, null);
      expect(windowed[0]).toBe(Math.round(255 * mapValue(stored, narrow)));
      await page.getByRole("button", { name: "Reset" }).click();

      // The confidence slider hides the 0.6 crack live; drawn boxes have no score and stay.
      await setRange(page, "#min-score", 0.7);
      await page.locator('[data-testid="film"][data-visible-detections="2"]').waitFor();
      expect(await page.getByTestId("min-score-value").textContent()).toBe("0.70");
      expect(noEdge(await acrossEdge(page, crackEdge.x, crackEdge.y))).toBe(true);
      expect(edgeIn(await acrossEdge(page, porosityEdge.x, porosityEdge.y), POROSITY_RGB)).toBe(true);
      // Class toggles filter too: without porosity only the drawn box, now a crack, is left.
      await page.getByRole("checkbox", { name: /porosity/ }).uncheck();
      await page.locator('[data-testid="film"][data-visible-detections="1"]').waitFor();
      expect(noEdge(await acrossEdge(page, porosityEdge.x, porosityEdge.y))).toBe(true);
      await page.getByRole("checkbox", { name: /porosity/ }).check();

      // COCO of the reviewed set: the accepted porosity and the drawn box, not the rejected crack.
      const [reviewedDownload] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "COCO (reviewed)" }).click(),
      ]);
      const reviewed = parseBody(
        await readFile(await reviewedDownload.path(), "utf8"),
        CocoExportSchema,
        "reviewed COCO download",
      );
      expect(reviewed.info.detection_set).toBe("reviewed");
      expect(reviewed.annotations).toHaveLength(2);
      const resized = porosity.box;
      expect(reviewed.annotations.map((annotation) => [annotation.category_id, annotation.bbox])).toEqual(
        expect.arrayContaining([
          [0, [resized.x1, resized.y1, resized.x2 - resized.x1 + 20, resized.y2 - resized.y1 + 20]],
          [1, [100, 150, 40, 40]],
        ]),
      );
      const [modelDownload] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "COCO (model)" }).click(),
      ]);
      const model = parseBody(
        await readFile(await modelDownload.path(), "utf8"),
        CocoExportSchema,
        "model COCO download",
      );
      expect(model.annotations).toHaveLength(2);

      // A PDF report over the reviewed job.
      await page.getByRole("link", { name: "Create a PDF report with this job" }).click();
      await page.getByRole("heading", { name: "Reports", exact: true }).waitFor();
      await page.getByLabel("Weld", { exact: true }).fill("W-17");
      await page.getByLabel("Thickness t (mm)").fill("10");
      await fillTechniqueAndPersonnel(page);
      await page.locator("[data-verdict]").waitFor();
      await page.getByRole("button", { name: "Issue report" }).click();
      const ready = page.locator('tr[data-status="ready"]');
      await ready.waitFor({ timeout: 60_000 });
      await page.screenshot({ path: join(screenshots, "reports.png") });
      const [pdfDownload] = await Promise.all([
        page.waitForEvent("download"),
        ready.getByRole("button", { name: "Download PDF" }).click(),
      ]);
      const pdf = await readFile((await pdfDownload.path()) as string);
      expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
      expect(pdfDownload.suggestedFilename()).toMatch(/\.pdf$/);
      if (pdftoppm) {
        // The report's first page as the README shows it.
        const prefix = join(tmpdir(), `report-page-${crypto.randomUUID()}`);
        await runCommand(
          pdftoppm,
          [
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            "60",
            "-png",
            "-singlefile",
            (await pdfDownload.path()) as string,
            prefix,
          ],
          { cwd: tmpdir() },
        );
        const png = await readFile(`${prefix}.png`);
        expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
        await Bun.write(join(screenshots, "report-page.png"), png);
        await rm(`${prefix}.png`);
      }
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
