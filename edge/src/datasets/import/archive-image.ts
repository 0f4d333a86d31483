import { ApiError } from "../../errors";
import { hasValidEnding, type ImageInfo, probeImage } from "../../images/probe";

/** Bytes of an image's end handed to the format's closing-marker check, as the upload path does. */
const TAIL_BYTES = 64;

/**
 * Checks an archive's image as an upload is checked (the type from its bytes, polyglots, header
 * damage, pixel limit, a truncated end), naming the entry in the refusal.
 */
export function checkArchiveImage(bytes: Uint8Array, entry: string, maxPixels: number): ImageInfo {
  const details = { details: { entry } };
  const probe = probeImage(bytes, bytes.length);
  if (!probe.ok) {
    if (probe.problem === "unsupported")
      throw new ApiError("unsupported_image_type", `${entry}: ${probe.detail}`, details);
    if (probe.problem === "polyglot")
      throw new ApiError("image_polyglot", `${entry}: ${probe.detail}`, details);
    if (probe.problem === "unsupported_transfer_syntax") {
      throw new ApiError("unsupported_transfer_syntax", `${entry}: ${probe.detail}`, details);
    }
    const detail = probe.problem === "need_more" ? "the file ends inside its header" : probe.detail;
    throw new ApiError("image_corrupt", `${entry}: the image is damaged: ${detail}`, details);
  }
  const pixels = probe.width * probe.height;
  if (pixels > maxPixels) {
    throw new ApiError(
      "image_too_many_pixels",
      `${entry}: ${probe.width}×${probe.height} = ${pixels} pixels; the limit is ${maxPixels}`,
      details,
    );
  }
  if (
    !hasValidEnding(probe.format, bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)), bytes.length, bytes)
  ) {
    throw new ApiError(
      "image_corrupt",
      `${entry}: the ${probe.format.toUpperCase()} data is truncated`,
      details,
    );
  }
  const { ok: _, ...info } = probe;
  return info;
}

export async function sha256Of(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
