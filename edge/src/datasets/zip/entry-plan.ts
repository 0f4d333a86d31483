import { ApiError } from "../../errors";
import type { ZipEntry } from "./central-directory";

export type ArchiveLimits = {
  maxEntries: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  /** Largest image entry (MAX_IMAGE_BYTES). */
  maxImageBytes: number;
  maxAnnotationBytes: number;
};

/** Entries this small are not held to the compression ratio: a short text compresses well. */
export const RATIO_EXEMPT_BYTES = 64 * 1024;
const LOCAL_HEADER_BYTES = 30;

/** Files tools add that are no part of a dataset (macOS resource forks, Finder and Windows caches). */
const isClutter = (name: string) =>
  name.startsWith("__MACOSX/") || /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini)$/i.test(name);

/**
 * Why a name could write outside the folder it is extracted to, or is not a plain relative path:
 * absolute, a drive letter, backslashes, `.` or `..` segments, empty segments, control characters.
 */
function unsafeReason(name: string): string | null {
  if (name.startsWith("/")) return "an absolute path";
  if (/^[A-Za-z]:/.test(name)) return "a drive letter";
  if (name.includes("\\")) return "a backslash";
  if (/\p{Cc}/u.test(name)) return "a control character";
  const segments = name.replace(/\/$/, "").split("/");
  if (segments.includes("..")) return "a `..` segment";
  if (segments.some((segment) => segment === "" || segment === ".")) return "an empty or `.` segment";
  return null;
}

/** The archive's files (no folders, no clutter), checked against the limits before anything is inflated. */
export function planEntries(entries: ZipEntry[], directoryOffset: number, limits: ArchiveLimits): ZipEntry[] {
  if (entries.length > limits.maxEntries) {
    throw new ApiError(
      "archive_too_large",
      `The archive lists ${entries.length} entries; the limit is ${limits.maxEntries}`,
      {
        details: { limit: limits.maxEntries },
      },
    );
  }
  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const reason = unsafeReason(entry.name);
    if (reason) {
      throw new ApiError("archive_unsafe_path", `Entry "${entry.name}" has ${reason}`, {
        details: { entry: entry.name },
      });
    }
    const key = entry.name.normalize("NFC");
    if (seen.has(key)) {
      throw new ApiError("dataset_duplicate", `The archive holds "${entry.name}" twice`, {
        details: { entry: entry.name },
      });
    }
    seen.add(key);
    if (entry.flags & 1) throw new ApiError("archive_invalid", `Entry "${entry.name}" is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) {
      throw new ApiError(
        "archive_invalid",
        `Entry "${entry.name}" uses compression method ${entry.method}; only stored and deflate are read`,
      );
    }
    total += entry.size;
    if (total > limits.maxUncompressedBytes) {
      throw new ApiError(
        "archive_too_large",
        `The archive inflates to more than ${limits.maxUncompressedBytes} bytes`,
        {
          details: { limit: limits.maxUncompressedBytes },
        },
      );
    }
    if (entry.size > RATIO_EXEMPT_BYTES && entry.size > limits.maxCompressionRatio * entry.compressedSize) {
      throw new ApiError(
        "archive_bomb",
        `Entry "${entry.name}" inflates ${Math.round(entry.size / Math.max(1, entry.compressedSize))}-fold; the limit is ${limits.maxCompressionRatio}`,
        { details: { entry: entry.name, limit: limits.maxCompressionRatio } },
      );
    }
  }
  checkNoOverlap(entries, directoryOffset);
  return entries.filter((entry) => !entry.name.endsWith("/") && !isClutter(entry.name));
}

/** Entries sharing bytes are how the densest zip bombs are built; each must end before the next starts. */
function checkNoOverlap(entries: ZipEntry[], directoryOffset: number): void {
  const ordered = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (const [i, entry] of ordered.entries()) {
    const end = entry.localOffset + LOCAL_HEADER_BYTES + entry.nameBytes.length + entry.compressedSize;
    const next = ordered[i + 1]?.localOffset ?? directoryOffset;
    if (end > next) {
      throw new ApiError(
        "archive_bomb",
        `Entry "${entry.name}" overlaps the next one; refused as a possible zip bomb`,
        {
          details: { entry: entry.name },
        },
      );
    }
  }
}

/** Refuses an entry over its kind's own limit (an image, or all the text entries together). */
export function checkEntrySize(entry: ZipEntry, limit: number, what: string): void {
  if (entry.size > limit) {
    throw new ApiError(
      "archive_too_large",
      `${what} "${entry.name}" is ${entry.size} bytes; the limit is ${limit}`,
      {
        details: { entry: entry.name, limit },
      },
    );
  }
}
