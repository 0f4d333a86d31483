import type { Box } from "../postprocess/boxes";

/** Ultralytics pads with grey 114 so the padding looks like the training data's padding. */
export const PAD_VALUE = 114;

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
 * Writes resized interleaved RGB bytes into a letterboxed planar float tensor (RGB, /255) at
 * `offset`; the border gets the pad value.
 */
export function fillTensor(rgb: Uint8Array, lb: Letterbox, out: Float32Array, offset = 0): void {
  const plane = lb.dstWidth * lb.dstHeight;
  if (rgb.length !== lb.resizedWidth * lb.resizedHeight * 3) {
    throw new RangeError(`expected ${lb.resizedWidth}x${lb.resizedHeight} RGB bytes, got ${rgb.length}`);
  }
  if (offset + 3 * plane > out.length) throw new RangeError("tensor too small for the image");
  out.fill(PAD_VALUE / 255, offset, offset + 3 * plane);
  const r = offset;
  const g = offset + plane;
  const b = offset + 2 * plane;
  let src = 0;
  for (let y = 0; y < lb.resizedHeight; y++) {
    let dst = (y + lb.padTop) * lb.dstWidth + lb.padLeft;
    for (let x = 0; x < lb.resizedWidth; x++, dst++, src += 3) {
      out[r + dst] = (rgb[src] as number) / 255;
      out[g + dst] = (rgb[src + 1] as number) / 255;
      out[b + dst] = (rgb[src + 2] as number) / 255;
    }
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
