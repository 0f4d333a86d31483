import { detections, images, jobs } from "@db/schema";
import type { AppEnv } from "@edge/env";
import { ApiError } from "@edge/errors";
import { type ExportItem, toCoco, toYoloLines, toYoloZip } from "@edge/jobs/exports";
import { toDetection } from "@edge/jobs/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { jobWithImage } from "./owned";
import { JobIdParamSchema } from "./schema";

const FormatSchema = z.enum(["coco", "yolo"]);

/** Finished jobs of the caller, in the order asked; 404 / 409 name the ids that do not qualify. */
async function exportItems(c: Context<AppEnv>, ownerId: string, jobIds: string[]): Promise<ExportItem[]> {
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
  const found = await c.var.db
    .select()
    .from(detections)
    .where(inArray(detections.jobId, jobIds))
    .orderBy(asc(detections.jobId), asc(detections.rank));
  return jobIds.map((jobId) => {
    const { image } = byId.get(jobId) as (typeof rows)[number];
    return {
      jobId,
      image,
      detections: found.filter((d) => d.jobId === jobId).map((d) => toDetection(d, image)),
    };
  });
}

const single = createRoute({
  method: "get",
  path: "/{id}/export",
  tags: ["Exports"],
  summary: "Export one job's detections",
  description:
    "`coco`: COCO JSON (images, annotations with scores, categories). `yolo`: YOLO label lines. Needs `jobs:read`.",
  security: bearerSecurity,
  request: { params: JobIdParamSchema, query: z.object({ format: FormatSchema.default("coco") }) },
  responses: {
    200: {
      description: "The export",
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
    "`coco`: one COCO JSON for all. `yolo`: a zip of `labels/<imageId>.txt` plus `classes.txt`. Needs `jobs:read`.",
  security: bearerSecurity,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ jobIds: z.array(z.uuid()).min(1).max(1000), format: FormatSchema })
            .openapi("ExportRequest"),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The export",
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
  const [item] = await exportItems(c, principal.userId, [id]);
  if (c.req.valid("query").format === "yolo") {
    return c.text(toYoloLines(item as ExportItem), 200, {
      "Content-Disposition": `attachment; filename="${id}.txt"`,
    });
  }
  return c.json(toCoco([item as ExportItem]), 200);
});

export const exportJobs = createRouter().openapi(batch, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { jobIds, format } = c.req.valid("json");
  const items = await exportItems(c, principal.userId, [...new Set(jobIds)]);
  if (format === "yolo") {
    return c.body(toYoloZip(items).slice().buffer as ArrayBuffer, 200, {
      "Content-Type": "application/zip",
      "Content-Disposition": 'attachment; filename="detections-yolo.zip"',
    });
  }
  return c.json(toCoco(items), 200);
});
