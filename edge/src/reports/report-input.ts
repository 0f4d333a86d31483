import type { PixelSize } from "@common/measurements";
import type { ReportHeader, ReportPixelSizeSource, reports } from "@db/schema";
import type { ReviewItem } from "../reviews/reviewed-set";

/** One image section of a report: the job, its image, its reviewed indications. */
export type ReportImage = {
  jobId: string;
  imageId: string;
  /** R2 key of the stored image. */
  objectKey: string;
  filename: string | null;
  format: string;
  width: number;
  height: number;
  /** Stored size; counted against the report's embedding budget before the object is read. */
  storedBytes: number;
  model: { name: string; version: string | null; sha256: string | null };
  reviewVersion: number;
  pixelSizeMm: PixelSize | null;
  pixelSizeSource: ReportPixelSizeSource | null;
  items: ReviewItem[];
};

type ReportRow = typeof reports.$inferSelect;

/**
 * Everything a report's PDF shows, gathered before rendering. The acceptance fields are null on
 * reports made before verdicts were derived.
 */
export type ReportInput = Pick<
  ReportRow,
  | "verdict"
  | "derivedVerdict"
  | "verdictOverride"
  | "acceptance"
  | "weld"
  | "technique"
  | "personnel"
  | "assessment"
> & {
  number: string;
  createdAt: Date;
  header: ReportHeader;
  images: ReportImage[];
};

export type RenderLimits = {
  /** Image bytes embedded in all; further images are shown as frames (REPORT_MAX_EMBEDDED_BYTES). */
  maxEmbeddedBytes: number;
  /** Pixels decoded in all (PNGs with alpha or interlacing); further ones are shown as frames (REPORT_MAX_DECODED_PIXELS). */
  maxDecodedPixels: number;
};

/** Reads an image's stored bytes; null when the object is gone. */
export type ImageSource = (image: ReportImage) => Promise<Uint8Array | null>;
