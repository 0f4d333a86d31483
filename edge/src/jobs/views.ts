import type { Box, Detection } from "@common/contracts/detect-result";
import { sizeInMm } from "@common/measurement-math";
import type { ImagePixelSize, PixelSize, SizeMm } from "@common/measurements";
import type { detections, images, jobs } from "@db/schema";

type JobRow = typeof jobs.$inferSelect;
type DetectionRow = typeof detections.$inferSelect;
type ImageDims = Pick<
  typeof images.$inferSelect,
  "id" | "width" | "height" | "filename" | "weldId" | "partId"
> & {
  pixelSizeMm?: ImagePixelSize | null;
};

/** A detection as the API shows it (`DetectionSchema` of routes/jobs/schema.ts). */
export type DetectionView = Detection & {
  /** The same box divided by the image width and height (0..1). */
  boxNormalized: Box;
};

/** A detection of a job: with its size on the part, when the pixel size is known (`common/measurements.ts`). */
export type JobDetectionView = DetectionView & { sizeMm: SizeMm | null };

/** The pixel size a job's sizes use: the job's own `pixelSizeMm`, else the image's, else none. */
export function jobPixelSize(params: JobRow["params"], image: ImageDims): ImagePixelSize | null {
  if (params.pixelSizeMm) return { ...params.pixelSizeMm, source: "job" };
  return image.pixelSizeMm ?? null;
}

export function toDetection(
  row: DetectionRow,
  image: ImageDims,
  pixel: PixelSize | null = null,
): JobDetectionView {
  const box = { x1: row.x1, y1: row.y1, x2: row.x2, y2: row.y2 };
  return {
    classId: row.classId,
    label: row.label,
    score: row.score,
    box,
    ...(row.extent ? { extent: row.extent } : {}),
    sizeMm: pixel ? sizeInMm(box, pixel, row.extent) : null,
    boxNormalized: {
      x1: row.x1 / image.width,
      y1: row.y1 / image.height,
      x2: row.x2 / image.width,
      y2: row.y2 / image.height,
    },
  };
}

export function toJob(row: JobRow, image: ImageDims, found?: DetectionRow[]) {
  const pixelSizeMm = jobPixelSize(row.params, image);
  return {
    id: row.id,
    status: row.status,
    image: {
      id: image.id,
      width: image.width,
      height: image.height,
      filename: image.filename,
      weldId: image.weldId,
      partId: image.partId,
    },
    model: {
      requested: row.model,
      version: row.modelVersion,
      sha256: row.modelSha256,
      classes: row.modelClasses ?? null,
    },
    params: row.params,
    attempts: row.attempts,
    error: row.error,
    timings: row.timings,
    pixelSizeMm,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    ...(found ? { detections: found.map((d) => toDetection(d, image, pixelSizeMm)) } : {}),
  };
}

export type JobView = ReturnType<typeof toJob>;
