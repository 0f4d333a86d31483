import { detections, images, jobs } from "@db/schema";
import type { AppEnv } from "@edge/env";
import { ApiError } from "@edge/errors";
import { type ExportItem, toCoco, toYoloLines, toYoloZip } from "@edge/jobs/exports";
import { jobPixelSize, toDetection } from "@edge/jobs/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { loadReviews, reviewedDetectionViews } from "@edge/reviews/reviewed-set";
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { type DetectionSet, DetectionSetSchema } from "../reviews/schema";
import { jobWithImage } from "./owned";
import { JobIdParamSchema } from "./schema";

const FormatSchema = z.enum(["coco", "yolo"]);
const SetSchema = DetectionSetSchema.default("model").openapi({
  description: "Which detections: `model` (default, as before review existed) or `reviewed`",
});
/** Names the set an export holds, for formats with no place of their own for it (YOLO). */
const SET_HEADER = "Detection-Set";
const setHeaders = {
  [SET_HEADER]: { schema: { type: "string" as const }, description: "`model` or `reviewed`" },
};

/** Finished jobs of the caller, in the order asked; 404 / 409 name the ids that do not qualify. */
async function exportItems(
  c: Context<AppEnv>,
  ownerId: string,
  jobIds: string[],
  set: DetectionSet,
): Promise<ExportItem[]> {
  const rows = await c.var.db
    .select(jobWithImage)
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(and(eq(jobs.ownerId, ownerId), inArray(jobs.id, jobIds)));
  const byId = new Map(rows.map((row) => [row.job.id, row]));
  const missing = jobIds.filter((id) => !byId.has(id));
  if (missing.length) throw new ApiError("not_found", "Job not found", { details: { jobIds: missing } });
  const unfinished = rows.filter((row) => row.job.status !== "succeeded").map((row) => row.job.id);
  if (unfinished.length) {
    throw new ApiError("job_not_finished", "Only succeeded jobs can be exported", {
      details: { jobIds: unfinished },
    });
  }
  if (set === "reviewed") {
    const reviews = await loadReviews(c.var.db, jobIds);
    return jobIds.map((jobId) => {
      const { job, image } = byId.get(jobId) as (typeof rows)[number];
      return {
        jobId,
        image,
        detections: reviewedDetectionViews(reviews.get(jobId)?.items ?? [], image),
        pixelSizeMm: jobPixelSize(job.params, image),
      };
    });
  }
  const found = await c.var.db
    .select()
    .from(detections)
    .where(inArray(detections.jobId, jobIds))
    .orderBy(asc(detections.jobId), asc(detections.rank));
  return jobIds.map((jobId) => {
    const { job, image } = byId.get(jobId) as (typeof rows)[number];
    const pixelSizeMm = jobPixelSize(job.params, image);
    return {
      jobId,
      image,
      detections: found.filter((d) => d.jobId === jobId).map((d) => toDetection(d, image, pixelSizeMm)),
      pixelSizeMm,
    };
  });
}

const single = createRoute({
  method: "get",
  path: "/{id}/export",
  tags: ["Exports"],
  summary: "Export one job's detections",
  description:
    "`coco`: COCO JSON (images, annotations with scores, categories; `info.detection_set` names the set). `yolo`: YOLO label lines. `set`: the model's output (default) or the reviewed set (reviewer-drawn boxes carry score 1); the `Detection-Set` header names it. Needs `jobs:read`.",
  security: bearerSecurity,
  request: {
    params: JobIdParamSchema,
    query: z.object({ format: FormatSchema.default("coco"), set: SetSchema }),
  },
  responses: {
    200: {
      description: "The export",
      headers: setHeaders,
      content: {
        "application/json": { schema: z.object({}).passthrough().openapi("CocoExport") },
        "text/plain": { schema: z.string() },
      },
    },
    404: errorResponse("No such job among yours (`not_found`)"),
    409: errorResponse("The job has not succeeded (`job_not_finished`)"),
    ...authErrorResponses,
  },
});

const batch = createRoute({
  method: "post",
  path: "/exports",
  tags: ["Exports"],
  summary: "Export several jobs' detections",
  description:
    "`coco`: one COCO JSON for all (with `pixel_size_mm` per image and `size_mm` per annotation where the pixel size is known). `yolo`: a zip of `labels/<imageId>.txt` plus `classes.txt`, and `measurements.csv` (sizes in mm) where a pixel size is known. `set`: the model's output (default) or the reviewed set, named by the `Detection-Set` header (and COCO `info.detection_set`). Needs `jobs:read`.",
  security: bearerSecurity,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ jobIds: z.array(z.uuid()).min(1).max(1000), format: FormatSchema, set: SetSchema })
            .openapi("ExportRequest"),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The export",
      headers: setHeaders,
      content: {
        "application/json": { schema: z.object({}).passthrough() },
        "application/zip": { schema: z.string().openapi({ type: "string", format: "binary" }) },
      },
    },
    400: errorResponse("Invalid body (`validation_failed`)"),
    404: errorResponse("A job is not among yours (`not_found`)"),
    409: errorResponse("A job has not succeeded (`job_not_finished`)"),
    ...authErrorResponses,
  },
});

export const exportJob = createRouter().openapi(single, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { id } = c.req.valid("param");
  const { format, set } = c.req.valid("query");
  const [item] = await exportItems(c, principal.userId, [id], set);
  c.header(SET_HEADER, set);
  if (format === "yolo") {
    return c.text(toYoloLines(item as ExportItem), 200, {
      "Content-Disposition": `attachment; filename="${id}.txt"`,
    });
  }
  return c.json(toCoco([item as ExportItem], set), 200);
});

export const exportJobs = createRouter().openapi(batch, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { jobIds, format, set } = c.req.valid("json");
  const items = await exportItems(c, principal.userId, [...new Set(jobIds)], set);
  c.header(SET_HEADER, set);
  if (format === "yolo") {
    return c.body(toYoloZip(items).slice().buffer as ArrayBuffer, 200, {
      "Content-Type": "application/zip",
      "Content-Disposition": 'attachment; filename="detections-yolo.zip"',
    });
  }
  return c.json(toCoco(items, set), 200);
});
