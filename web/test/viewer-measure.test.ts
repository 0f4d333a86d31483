/**
 * Issue #23 in the browser: lengths measured on the film in mm (a DICONDE film's own spacing, a
 * PNG calibrated by a reference line), the pointer's pixel and stored value, zoom and scale bar,
 * and each indication's measured length and width in the list.
 */
import { describe, expect, test } from "bun:test";
import { ImagePageSchema, ImageSchema } from "@edge/routes/images/schema";
import { writeDiconde } from "@generator/diconde";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { stubDetections, useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { encode as encodePng } from "fast-png";
import type { Page } from "playwright-core";
import { finishedJob, openViewer, signInAt } from "./app-steps";
import { chromiumMissing, inPage, newPage, pageErrors, useBrowser } from "./browser";
import { STUB_FILM } from "./films";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const stack = useWorkerWithStubInference({ vars: BROWSER_TEST_VARS });

const { width: WIDTH, height: HEIGHT } = STUB_FILM;
const values = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => 20_000 + ((i * 7919) % 40_000));

type Job = { jobId: string; imageId: string; auth: string; user: { email: string; password: string } };

async function detected(file: Uint8Array): Promise<Job> {
  const { user, auth } = await signedInUser(stack.worker);
  const job = await finishedJob(stack.worker, auth, file);
  return { jobId: job.id, imageId: job.image.id, auth, user };
}

/** Where a film point is on the page, from the transform the film view publishes. */
async function onPage(page: Page, x: number, y: number) {
  const film = page.getByTestId("film");
  const box = await film.boundingBox();
  const t = JSON.parse((await film.getAttribute("data-transform")) as string) as {
    scale: number;
    tx: number;
    ty: number;
  };
  if (!box) throw new Error("the film is not laid out");
  return { x: box.x + t.tx + x * t.scale, y: box.y + t.ty + y * t.scale, scale: t.scale };
}

/** Presses at one film point and releases at another, moving in steps as a hand does. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  const a = await onPage(page, from.x, from.y);
  const b = await onPage(page, to.x, to.y);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

/** The measuring layer's pixel at a page point (RGB), after its next frame. */
async function overlayPixel(page: Page, at: { x: number; y: number }): Promise<number[]> {
  return inPage(
    page,
    `async ({ x, y }) => {
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const overlay = document.querySelector(".measure-overlay");
      const rect = overlay.getBoundingClientRect();
      const r = devicePixelRatio;
      const px = overlay.getContext("2d").getImageData(Math.round((x - rect.left) * r), Math.round((y - rect.top) * r), 1, 1).data;
      return [px[0], px[1], px[2]];
    }`,
    at,
  );
}

/** The last length listed, as a number, and the text it came from. */
async function lastLength(page: Page): Promise<{ value: number; text: string }> {
  const text = (await page.getByTestId("measurements").locator("li").last().textContent()) ?? "";
  return { value: Number.parseFloat(text), text };
}

describe.skipIf(chromiumMissing)("a pixel size stated at upload", () => {
  test("goes with the uploaded file", async () => {
    const { user, auth } = await signedInUser(stack.worker);
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await signInAt(page, "/app/images", user);
      await page.getByLabel("Pixel size (mm)").fill("0.2");
      const png = encodePng({ width: WIDTH, height: HEIGHT, data: values, depth: 16, channels: 1 });
      await page
        .locator("#file-input")
        .setInputFiles({ name: "plate-3.png", mimeType: "image/png", buffer: Buffer.from(png) });
      await page.locator('li[data-upload-state="done"]').waitFor();
      const list = await stack.worker.fetch("/v1/images", { headers: { Authorization: auth } });
      const [image] = (await readBody(list, ImagePageSchema)).items;
      expect(image?.filename).toBe("plate-3.png");
      expect(image?.pixelSizeMm).toEqual({ x: 0.2, y: 0.2, source: "upload" });
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe.skipIf(chromiumMissing)("measuring on the film", () => {
  test("a DICONDE film with 0.1 mm spacing: a known length within one pixel, readout, zoom and scale bar", async () => {
    const file = writeDiconde({
      width: WIDTH,
      height: HEIGHT,
      values,
      bitsAllocated: 16,
      pixelSpacing: [0.1, 0.1],
    });
    const job = await detected(file);
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await openViewer(page, job.user, job.jobId, { reviewable: false });
      await expect(page.getByTestId("calibration").textContent()).resolves.toContain(
        "Pixel 0.1 × 0.1 mm, from DICONDE Pixel Spacing",
      );

      // The pointer's film pixel and its stored 16-bit value.
      const probe = await onPage(page, 33.5, 211.5);
      await page.mouse.move(probe.x, probe.y);
      await expect(page.getByTestId("cursor").textContent()).resolves.toBe(
        `x 33, y 211 · value ${values[211 * WIDTH + 33]}`,
      );
      // Zoom in the film's own pixels per screen pixel, and a scale bar in mm.
      await expect(page.getByTestId("zoom").textContent()).resolves.toBe(
        `Zoom ${Math.round(probe.scale * 100)} %`,
      );
      expect(await page.getByTestId("scale-bar").textContent()).toMatch(/^Scale bar \d+(\.\d+)? mm$/);

      const view = await page.getByTestId("film").getAttribute("data-transform");
      // Pixel centres (40, 200) to (280, 20): 240 × 180 px, 300 px, 30 mm at 0.1 mm.
      await page.getByRole("button", { name: "Length", exact: true }).click();
      await drag(page, { x: 40.5, y: 200.5 }, { x: 280.5, y: 20.5 });
      const measured = await lastLength(page);
      expect(measured.text).toEndWith(" mm");
      expect(Math.abs(measured.value - 30)).toBeLessThanOrEqual(0.1);

      // A polyline along two sides: 60 px then 80 px, 14 mm; a double-click ends it.
      await page.getByRole("button", { name: "Polyline", exact: true }).click();
      for (const [x, y] of [
        [40.5, 40.5],
        [100.5, 40.5],
      ] as const) {
        const at = await onPage(page, x, y);
        await page.mouse.click(at.x, at.y);
      }
      const end = await onPage(page, 100.5, 120.5);
      await page.mouse.dblclick(end.x, end.y);
      const polyline = await lastLength(page);
      expect(polyline.text).toBe("14.00 mm");
      await expect(page.getByTestId("measurements").locator("li").count()).resolves.toBe(2);

      // The drags and clicks measured; they neither panned the film nor selected a box.
      await expect(page.locator('[aria-pressed="true"].indication').count()).resolves.toBe(0);
      expect(await page.getByTestId("film").getAttribute("data-transform")).toBe(view);

      // Each indication's length and width in mm: the crack as measured at detection (56 × 26 px
      // corner to corner, 3 px wide: scripts/testing/stub-inference.ts), the pore by its box.
      const sizes = await page.locator(".indication-size").allTextContents();
      expect(sizes).toContain(` · L ${(Math.hypot(56, 26) * 0.1).toFixed(2)} × W 0.30 mm`);
      expect(sizes).toContain(" · L 5.00 × W 5.00 mm (box)");

      // Picking the crack draws the line measured in it along it, in a colour of its own.
      await page.locator(".indication", { hasText: "crack" }).click();
      const [, crack] = stubDetections(job.jobId);
      const line = crack?.extent?.line;
      if (!line) throw new Error("the stand-in's crack has no measured line");
      const lineDrawn = async () => {
        const along = await Promise.all(
          [0.2, 0.35, 0.5, 0.65, 0.8].map(async (t) => {
            const at = await onPage(
              page,
              line.x1 + t * (line.x2 - line.x1),
              line.y1 + t * (line.y2 - line.y1),
            );
            return overlayPixel(page, at);
          }),
        );
        return along.some(([r, g, b]) => (r as number) > 200 && (g as number) < 120 && (b as number) > 180);
      };
      // The overlay redraws on a later frame than the selection; on a busy machine a few later.
      let drawn = await lineDrawn();
      for (let tries = 0; !drawn && tries < 20; tries++) {
        await Bun.sleep(100);
        drawn = await lineDrawn();
      }
      expect(drawn).toBe(true);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("a PNG calibrated by a reference line, then a second known length read in mm", async () => {
    const png = encodePng({ width: WIDTH, height: HEIGHT, data: values, depth: 16, channels: 1 });
    const job = await detected(png);
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await openViewer(page, job.user, job.jobId, { reviewable: false });
      await expect(page.getByTestId("calibration").textContent()).resolves.toContain("Not calibrated");
      expect(await page.getByTestId("scale-bar").textContent()).toContain("px (uncalibrated)");

      // Uncalibrated, a length is in film pixels and says so.
      await page.getByRole("button", { name: "Length", exact: true }).click();
      await drag(page, { x: 30.5, y: 100.5 }, { x: 150.5, y: 190.5 });
      const inPixels = await lastLength(page);
      expect(inPixels.text).toBe("150.0 px (uncalibrated)");

      // A reference 200 px long is a 50 mm marker: 0.25 mm per pixel.
      await page.getByRole("button", { name: "Reference", exact: true }).click();
      await drag(page, { x: 20.5, y: 30.5 }, { x: 220.5, y: 30.5 });
      await page.getByLabel("Its length (mm)").fill("50");
      await page.getByRole("button", { name: "Calibrate" }).click();
      await page
        .getByTestId("calibration")
        .getByText("Pixel 0.25 × 0.25 mm, from a reference of known length on the film")
        .waitFor();
      const image = await readBody(
        await stack.worker.fetch(`/v1/images/${job.imageId}`, { headers: { Authorization: job.auth } }),
        ImageSchema,
      );
      expect(image.pixelSizeMm).toMatchObject({ x: 0.25, y: 0.25, source: "reference" });

      // The same 150 px now reads 37.5 mm, and a new one too: (30, 100) to (150, 190).
      await page
        .getByTestId("measurements")
        .locator("li", { hasText: /^37\.50 mm$/ })
        .waitFor();
      await page.getByRole("button", { name: "Length", exact: true }).click();
      await drag(page, { x: 30.5, y: 190.5 }, { x: 150.5, y: 100.5 });
      const calibrated = await lastLength(page);
      expect(Math.abs(calibrated.value - 37.5)).toBeLessThanOrEqual(0.25);
      expect(await page.getByTestId("scale-bar").textContent()).toMatch(/ mm$/);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
