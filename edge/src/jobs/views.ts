import type { Box, Detection } from "@common/contracts/detect-result";
import type { detections, images, jobs } from "@db/schema";

type JobRow = typeof jobs.$inferSelect;
type DetectionRow = typeof detections.$inferSelect;
type ImageDims = Pick<typeof images.$inferSelect, "id" | "width" | "height" | "filename">;

/** A detection as the API shows it (`DetectionSchema` of routes/jobs/schema.ts). */
export type DetectionView = Detection & {
  /** The same box divided by the image width and height (0..1). */
  boxNormalized: Box;
};

export function toDetection(row: DetectionRow, image: ImageDims): DetectionView {
  return {
    classId: row.classId,
    label: row.label,
    score: row.score,
    box: { x1: row.x1, y1: row.y1, x2: row.x2, y2: row.y2 },
    boxNormalized: {
      x1: row.x1 / image.width,
      y1: row.y1 / image.height,
      x2: row.x2 / image.width,
      y2: row.y2 / image.height,
    },
  };
}

export function toJob(row: JobRow, image: ImageDims, found?: DetectionRow[]) {
  return {
    id: row.id,
    status: row.status,
    image: { id: image.id, width: image.width, height: image.height },
    model: {
      requested: row.model,
      version: row.modelVersion,
      sha256: row.modelSha256,
    },
    params: row.params,
    attempts: row.attempts,
    error: row.error,
    timings: row.timings,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    ...(found ? { detections: found.map((d) => toDetection(d, image)) } : {}),
  };
}

export type JobView = ReturnType<typeof toJob>;
