import { beforeAll, describe, expect, test } from "bun:test";
import { histogramOf, percentileBounds, windowFromBounds } from "@common/imaging/intensity";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { stubDetections, useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { decode } from "fast-png";
import type { Page } from "playwright-core";
import { STEP_OVERLAP } from "../src/viewer/geometry";
import { sliderStep } from "../src/viewer/window-presets";
import { audit } from "./accessibility-audit";
import { finishedJob, openViewer } from "./app-steps";
import { chromiumMissing, inPage, newPage, pageErrors, useBrowser } from "./browser";
import { screenPoint } from "./film-canvas";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const stack = useWorkerWithStubInference({ vars: BROWSER_TEST_VARS });

/**
 * A long weld strip from the project's film generator as a digital detector writes it: 16-bit
 * PNG holding detector counts (a 14-bit range in a 16-bit container).
 */
async function weldStrip() {
  const sample = renderSample(deriveSeed(2024, "strip", 1), { imgsz: 320, large: true });
  const png = await encodePng(sample.image, 16, "detector");
  const decoded = decode(png);
  const values = decoded.data as Uint16Array;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { png, width: decoded.width, height: decoded.height, values, min, max };
}

type Strip = Awaited<ReturnType<typeof weldStrip>>;
type Region = { x1: number; y1: number; x2: number; y2: number };

let strip: Strip;
beforeAll(async () => {
  strip = await weldStrip();
});

async function openStrip(): Promise<{ page: Page; jobId: string; close(): Promise<void> }> {
  const { user, auth } = await signedInUser(stack.worker);
  const jobId = (await finishedJob(stack.worker, auth, strip.png)).id;
  const { context, page } = await newPage(browser.current, stack.worker.origin);
  await openViewer(page, user, jobId, { reviewable: false });
  return { page, jobId, close: () => context.close() };
}

const nextFrame = (page: Page) =>
  inPage(page, "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))");

/** The part of the film in view, image pixels, after the frame in flight. */
async function visible(page: Page): Promise<Region> {
  await nextFrame(page);
  return JSON.parse((await page.getByTestId("film").getAttribute("data-visible")) as string) as Region;
}

const textOf = async (page: Page, testId: string) => Number(await page.getByTestId(testId).textContent());

describe.skipIf(chromiumMissing)("a weld strip in the viewer", () => {
  test("opens at fit height, steps a screen at a time with overlap, and the overview moves the view", async () => {
    expect(strip.width).toBeGreaterThan(strip.height * 4);
    const { page, jobId, close } = await openStrip();
    try {
      // Fit height: the strip's whole height fills the canvas, from its start.
      const first = await visible(page);
      expect(first).toMatchObject({ x1: 0, y1: 0, y2: strip.height });
      const screen = first.x2 - first.x1;
      expect(screen).toBeLessThan(strip.width / 3);

      // Captions: on for both boxes in view, off for none, on hover only for the box under the pointer.
      const captions = async () => {
        await nextFrame(page);
        return Number(await page.getByTestId("film").getAttribute("data-captions"));
      };
      expect(await captions()).toBe(2);
      await page.getByLabel("Off", { exact: true }).check();
      expect(await captions()).toBe(0);
      await page.getByLabel("On hover", { exact: true }).check();
      expect(await captions()).toBe(0);
      const [porosity] = stubDetections(jobId);
      if (!porosity) throw new Error("fake detections changed");
      const at = await screenPoint(
        page,
        (porosity.box.x1 + porosity.box.x2) / 2,
        (porosity.box.y1 + porosity.box.y2) / 2,
      );
      await page.mouse.move(at.x, at.y);
      expect(await captions()).toBe(1);
      await page.getByLabel("On", { exact: true }).check();
      expect(await captions()).toBe(2);

      // Forward by key and by button: one screen less the overlap each time.
      await page.keyboard.press(".");
      const second = await visible(page);
      expect(Math.abs(second.x1 - (1 - STEP_OVERLAP) * screen)).toBeLessThanOrEqual(1);
      expect(second.x1).toBeLessThan(first.x2);
      await page.getByRole("button", { name: "Next screen along the film" }).click();
      const third = await visible(page);
      expect(Math.abs(third.x1 - second.x1 - (1 - STEP_OVERLAP) * screen)).toBeLessThanOrEqual(1);
      await page.keyboard.press("PageUp");
      expect(await visible(page)).toEqual(second);

      // The last step stops at the strip's end and the next one stays there.
      for (let step = 0; step < Math.ceil(strip.width / screen) + 1; step++)
        await page.keyboard.press("PageDown");
      const end = await visible(page);
      expect(end.x2).toBe(strip.width);
      await page.keyboard.press(".");
      expect(await visible(page)).toEqual(end);

      // The overview map: the outline sits where the view is; pressing and dragging moves the view.
      const overview = page.getByTestId("overview-map");
      const map = (await overview.boundingBox()) as { x: number; y: number; width: number; height: number };
      expect(map.width).toBeGreaterThan(map.height * 4);
      const outline = JSON.parse((await overview.getAttribute("data-visible")) as string) as { x: number };
      expect(Math.abs(outline.x - (end.x1 / strip.width) * map.width)).toBeLessThanOrEqual(2);
      await page.mouse.click(map.x + map.width * 0.25, map.y + map.height / 2);
      const pressed = await visible(page);
      expect(Math.abs((pressed.x1 + pressed.x2) / 2 - strip.width * 0.25)).toBeLessThanOrEqual(
        strip.width / map.width + 1,
      );
      await page.mouse.move(map.x + map.width * 0.25, map.y + map.height / 2);
      await page.mouse.down();
      await page.mouse.move(map.x + map.width * 0.5, map.y + map.height / 2, { steps: 5 });
      await page.mouse.up();
      const dragged = await visible(page);
      expect(Math.abs((dragged.x1 + dragged.x2) / 2 - strip.width * 0.5)).toBeLessThanOrEqual(
        strip.width / map.width + 1,
      );

      // Fit shows it whole (the 40-pixel band); fit height returns to reading it.
      await page.getByRole("button", { name: /^Fit\s*0$/ }).click();
      expect(await visible(page)).toEqual({ x1: 0, y1: 0, x2: strip.width, y2: strip.height });
      await page.keyboard.press("h");
      const again = await visible(page);
      expect(again).toMatchObject({ x1: 0, y1: 0, y2: strip.height });
      expect(again.x2 - again.x1).toBeCloseTo(screen, 0);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);

  test("16-bit window/level: the film's own range, exact entry, presets and right-drag", async () => {
    const { page, close } = await openStrip();
    try {
      const range = { min: strip.min, max: strip.max };
      // The sliders span the values the film holds, not 0–65535, in steps an arrow key can use.
      const center = page.locator("#window-center");
      const width = page.locator("#window-width");
      expect(Number(await center.getAttribute("min"))).toBe(range.min);
      expect(Number(await center.getAttribute("max"))).toBe(range.max);
      expect(Number(await width.getAttribute("max"))).toBe(range.max - range.min + 1);
      const step = sliderStep(range);
      expect(Number(await center.getAttribute("step"))).toBe(step);
      expect(step).toBeLessThanOrEqual((range.max - range.min) / 400);
      expect(step).toBeGreaterThanOrEqual(1);
      expect(await page.getByTestId("window-units").textContent()).toContain(`${range.min}–${range.max}`);

      // Exact numbers typed in, applied on Enter; an arrow key on the slider then moves one step.
      const level = Math.round((range.min + range.max) / 2) + 3;
      await page.getByLabel("Level value").fill(String(level));
      await page.getByLabel("Level value").press("Enter");
      await page.getByLabel("Width value").fill("777");
      await page.getByLabel("Width value").press("Tab");
      expect(await textOf(page, "window-center-value")).toBe(level);
      expect(await textOf(page, "window-width-value")).toBe(777);
      await page.getByLabel("Level value").fill(String(range.max + 5000));
      await page.getByLabel("Level value").press("Enter");
      expect(await textOf(page, "window-center-value")).toBe(range.max);

      // Presets from the film's histogram.
      const histogram = histogramOf(strip.values, 65536);
      const expected = (low: number, high: number) => windowFromBounds(...bounds(low, high));
      const bounds = (low: number, high: number): [number, number] => {
        const found = percentileBounds(histogram, { low, high });
        return [found.low, found.high];
      };
      const full = page.getByRole("button", { name: "Full range" });
      await full.click();
      const whole = expected(0, 100);
      expect(await textOf(page, "window-center-value")).toBeCloseTo(whole.center, 1);
      expect(await textOf(page, "window-width-value")).toBe(whole.width);
      expect(await full.getAttribute("aria-pressed")).toBe("true");
      await page.getByRole("button", { name: /^High contrast/ }).click();
      const contrast = expected(5, 95);
      expect(await textOf(page, "window-center-value")).toBeCloseTo(contrast.center, 1);
      expect(await textOf(page, "window-width-value")).toBe(contrast.width);
      expect(await full.getAttribute("aria-pressed")).toBe("false");

      // Right-drag on the film: across changes the width, down raises the level, by the film's
      // range per canvas width and height.
      const film = (await page.getByTestId("film").boundingBox()) as {
        x: number;
        y: number;
        width: number;
        height: number;
      };
      const from = { x: film.x + film.width / 2, y: film.y + film.height / 2 };
      await page.mouse.move(from.x, from.y);
      await page.mouse.down({ button: "right" });
      await page.mouse.move(from.x - 100, from.y + 40, { steps: 4 });
      await page.mouse.up({ button: "right" });
      await nextFrame(page);
      const span = range.max - range.min + 1;
      // Within what one pixel of the drag is worth (the browser rounds pointer positions).
      const dragged = await textOf(page, "window-width-value");
      expect(Math.abs(dragged - (contrast.width - (100 / film.width) * span))).toBeLessThanOrEqual(
        span / film.width,
      );
      const levelled = await textOf(page, "window-center-value");
      expect(Math.abs(levelled - (contrast.center + (40 / film.height) * span))).toBeLessThanOrEqual(
        span / film.height,
      );

      const before = await textOf(page, "window-center-value");
      await center.focus();
      await page.keyboard.press("ArrowRight");
      const moved = await textOf(page, "window-center-value");
      // From a typed or dragged value between steps, the slider lands on the next step above.
      expect(moved - before).toBeGreaterThan(0);
      expect(moved - before).toBeLessThanOrEqual(1.5 * step);
      expect((moved - range.min) % step).toBe(0);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);

  test("the shortcut help is readable: every key and meaning lies inside the panel; the controls pass the audit", async () => {
    const { page, close } = await openStrip();
    try {
      await page.getByText("Keyboard shortcuts").click();
      const panel = (await page.getByRole("complementary", { name: "Viewer controls" }).boundingBox()) as {
        x: number;
        width: number;
      };
      const rows = page.getByTestId("shortcut-help").locator(".shortcut");
      const count = await rows.count();
      expect(count).toBeGreaterThan(10);
      for (let i = 0; i < count; i++) {
        const row = rows.nth(i);
        await row.scrollIntoViewIfNeeded();
        const keys = (await row.locator("dt").boundingBox()) as { x: number; width: number };
        const meaning = (await row.locator("dd").boundingBox()) as { x: number; width: number };
        for (const box of [keys, meaning]) {
          expect(box.x).toBeGreaterThanOrEqual(panel.x);
          expect(box.x + box.width).toBeLessThanOrEqual(panel.x + panel.width);
        }
        expect(keys.x + keys.width).toBeLessThanOrEqual(meaning.x);
        // The meaning is laid out in full: its text is not cut off by its box.
        const clipped = await row
          .locator("dd")
          .evaluate((element) => element.scrollWidth > element.clientWidth + 1);
        expect(clipped).toBe(false);
      }
      // The new controls, the help and the confidence explanation open, pass the audit.
      await page.getByText("What does confidence mean?").click();
      expect(await audit(page)).toEqual([]);
      const pannable = await page
        .getByRole("complementary", { name: "Viewer controls" })
        .evaluate((element) => element.scrollWidth > element.clientWidth + 1);
      expect(pannable).toBe(false);
    } finally {
      await close();
    }
  }, 90_000);
});
