import type { Box } from "../postprocess/boxes";
import { BYTE_TO_UNIT, PAD_VALUE, type Pixels } from "./raster";

export interface Letterbox {
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
  scale: number;
  resizedWidth: number;
  resizedHeight: number;
  padLeft: number;
  padTop: number;
}

/** Same arithmetic as Ultralytics' LetterBox (centred, `round(d ∓ 0.1)` split of odd padding). */
export function computeLetterbox(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number) {
  const scale = Math.min(dstWidth / srcWidth, dstHeight / srcHeight);
  const resizedWidth = Math.min(dstWidth, Math.max(1, Math.round(srcWidth * scale)));
  const resizedHeight = Math.min(dstHeight, Math.max(1, Math.round(srcHeight * scale)));
  return {
    srcWidth,
    srcHeight,
    dstWidth,
    dstHeight,
    scale,
    resizedWidth,
    resizedHeight,
    // max(0, …) also turns round(−0.1) = −0 into a plain 0.
    padLeft: Math.max(0, Math.round((dstWidth - resizedWidth) / 2 - 0.1)),
    padTop: Math.max(0, Math.round((dstHeight - resizedHeight) / 2 - 0.1)),
  } satisfies Letterbox;
}

/**
 * Writes resized pixels into a letterboxed planar float tensor (RGB, /255) at `offset`; the border
 * gets the pad value. Grey pixels fill the first plane, which is then copied to the other two.
 */
export function fillTensor(pixels: Pixels, lb: Letterbox, out: Float32Array, offset = 0): void {
  const { data, channels } = pixels;
  const plane = lb.dstWidth * lb.dstHeight;
  if (data.length !== lb.resizedWidth * lb.resizedHeight * channels) {
    throw new RangeError(
      `expected ${lb.resizedWidth}x${lb.resizedHeight}x${channels} pixel bytes, got ${data.length}`,
    );
  }
  if (offset + 3 * plane > out.length) throw new RangeError("tensor too small for the image");
  const planes = channels === 1 ? 1 : 3;
  out.fill(PAD_VALUE / 255, offset, offset + planes * plane);
  for (let c = 0; c < planes; c++) {
    const base = offset + c * plane;
    let src = c;
    for (let y = 0; y < lb.resizedHeight; y++) {
      let dst = base + (y + lb.padTop) * lb.dstWidth + lb.padLeft;
      for (let x = 0; x < lb.resizedWidth; x++, dst++, src += channels) {
        out[dst] = BYTE_TO_UNIT[data[src] as number] as number;
      }
    }
  }
  if (channels === 1) {
    out.copyWithin(offset + plane, offset, offset + plane);
    out.copyWithin(offset + 2 * plane, offset, offset + plane);
  }
}

const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);

/** Maps a box from model-input pixels back to original-image pixels, clipped to the image. */
export function boxToImage(box: Box, lb: Letterbox): Box {
  return {
    x1: clamp((box.x1 - lb.padLeft) / lb.scale, lb.srcWidth),
    y1: clamp((box.y1 - lb.padTop) / lb.scale, lb.srcHeight),
    x2: clamp((box.x2 - lb.padLeft) / lb.scale, lb.srcWidth),
    y2: clamp((box.y2 - lb.padTop) / lb.scale, lb.srcHeight),
  };
}
