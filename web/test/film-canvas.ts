import type { Page } from "playwright-core";
import { inPage } from "./browser";

/**
 * Reading the viewer's canvas back, shared by the browser tests: the pixel shown at an image point,
 * box edges in class colours, and setting a range input as a user's drag does.
 */

/** Colours the viewer gives classes 0 and 1 (web/src/viewer/detections.ts), as RGB. */
export const POROSITY_RGB = [0xe6, 0x9f, 0x00];
export const CRACK_RGB = [0x56, 0xb4, 0xe9];

/** The pixel the viewer shows at a point of the image, read back from the canvas. */
export function pixelAt(page: Page, x: number, y: number): Promise<number[]> {
  return inPage(
    page,
    `async ({ x, y }) => {
      // Boxes are drawn on the next animation frame after a change: read after it.
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const canvas = document.querySelector('[data-testid="film"]');
      const t = JSON.parse(canvas.dataset.transform);
      const r = devicePixelRatio;
      const px = canvas.getContext("2d").getImageData(Math.round((x * t.scale + t.tx) * r), Math.round((y * t.scale + t.ty) * r), 1, 1).data;
      return [px[0], px[1], px[2]];
    }`,
    { x, y },
  );
}

/**
 * The screen pixels across a box's vertical edge (five, centred on it): a 2-pixel stroke at a
 * fractional position covers some of them fully, others only partly.
 */
export async function acrossEdge(page: Page, x: number, y: number): Promise<number[][]> {
  const scale = (
    JSON.parse((await page.getByTestId("film").getAttribute("data-transform")) as string) as { scale: number }
  ).scale;
  return Promise.all([-2, -1, 0, 1, 2].map((offset) => pixelAt(page, x + offset / scale, y)));
}
export const edgeIn = (pixels: number[][], rgb: number[]) => pixels.some((pixel) => near(pixel, rgb));
export const noEdge = (pixels: number[][]) => pixels.every(grey);

export const near = (pixel: number[], rgb: number[]) =>
  pixel.every((value, i) => Math.abs(value - (rgb[i] as number)) <= 40);
export const grey = (pixel: number[]) => Math.max(...pixel) - Math.min(...pixel) <= 6;

export async function setRange(page: Page, selector: string, value: number) {
  await inPage(
    page,
    `({ selector, value }) => {
      const input = document.querySelector(selector);
      input.value = String(value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }`,
    { selector, value },
  );
}

/** The CSS position on the page of an image point, for pointer input. */
export function screenPoint(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return inPage(
    page,
    `({ x, y }) => {
      const canvas = document.querySelector('[data-testid="film"]');
      const t = JSON.parse(canvas.dataset.transform);
      const rect = canvas.getBoundingClientRect();
      return { x: rect.left + x * t.scale + t.tx, y: rect.top + y * t.scale + t.ty };
    }`,
    { x, y },
  );
}

/** Presses at one image point and releases at another, passing halfway between, as a hand drags. */
export async function dragOnFilm(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  const start = await screenPoint(page, from.x, from.y);
  const end = await screenPoint(page, to.x, to.y);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move((start.x + end.x) / 2, (start.y + end.y) / 2);
  await page.mouse.move(end.x, end.y);
  await page.mouse.up();
}
