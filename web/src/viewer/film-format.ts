import { isDicomPart10 } from "@common/imaging/dicom-signature";

/**
 * Which decoder a film needs, from its first bytes (as the API decides the type: never from a
 * name or a Content-Type). PNG, TIFF and DICONDE are decoded in JavaScript so that every stored
 * bit reaches the window (browsers decode 16-bit PNGs to 8 bits, and TIFF and DICOM not at all);
 * JPEG and WebP are 8-bit by nature and the browser's own decoder is faster.
 */
export type FilmFormat = "png" | "tiff" | "dicom" | "browser";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function filmFormat(head: Uint8Array): FilmFormat {
  if (PNG_SIGNATURE.every((value, i) => head[i] === value)) return "png";
  const tiff =
    (head[0] === 0x49 && head[1] === 0x49 && head[2] === 42 && head[3] === 0) ||
    (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 42);
  if (tiff) return "tiff";
  if (isDicomPart10(head)) return "dicom";
  return "browser";
}

/** The user-timing entry each decode of a film leaves (devtools show it; tests count it). */
export const DECODE_MEASURE = "film decode";
