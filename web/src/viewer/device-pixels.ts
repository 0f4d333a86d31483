/** Device pixels per CSS pixel (1 where the browser reports none). */
export const pixelRatio = (): number => devicePixelRatio || 1;

/**
 * Gives a canvas one backing pixel per device pixel at a CSS size, so the film and the lines on it
 * stay sharp on high-density screens. Returns whether the backing store changed (which clears it).
 */
export function sizeToDevicePixels(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number): boolean {
  const ratio = pixelRatio();
  const width = Math.round(cssWidth * ratio);
  const height = Math.round(cssHeight * ratio);
  if (canvas.width === width && canvas.height === height) return false;
  canvas.width = width;
  canvas.height = height;
  return true;
}
