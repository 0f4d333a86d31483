import { datasetFromReviews } from "@edge/datasets/from-reviews";
import { importArchive } from "@edge/datasets/import/import-archive";
import { toDataset } from "@edge/datasets/views";
import type { AppEnv } from "@edge/env";
import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreateDatasetSchema, DatasetSchema, ImportQuerySchema } from "./schema";

/** The archive types an import takes (what browsers and curl send for a `.zip`). */
export const ZIP_TYPES = ["application/zip", "application/x-zip-compressed"];

export const isZipRequest = (c: Context<AppEnv>) =>
  ZIP_TYPES.includes((c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "");

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Datasets"],
  summary: "Create a dataset version",
  description: [
    "**From reviews** (`application/json`): `fromJobs` lists succeeded jobs or filters yours; each image",
    "keeps its accepted and drawn boxes with their reviewed class, rejected ones are dropped, and images",
    "whose review still has pending detections are left out and counted in `skipped`. With `from`, the",
    "new version keeps that version's images, keys, classes and splits and adds (or updates) the jobs'.",
    "**Import** (`application/zip`, `Content-Length` required): a YOLO archive (`data.yaml` with `names`,",
    "`images/`, `labels/`) or COCO (one annotations `.json` and its images); PNG (8/16 bit), JPEG, TIFF,",
    "WebP, DICONDE. The archive is checked entry by entry against the DATASET_* limits; the first",
    "problem is answered with its code and nothing is kept. Needs `datasets:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    query: ImportQuerySchema,
    body: {
      required: false,
      content: {
        "application/json": { schema: CreateDatasetSchema },
        "application/zip": { schema: z.string().openapi({ type: "string", format: "binary" }) },
      },
    },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: DatasetSchema } } },
    400: errorResponse(
      "Invalid body or query (`validation_failed`, `malformed_json`, `too_many_images`), not a readable archive (`archive_invalid`), empty (`empty_body`)",
    ),
    404: errorResponse("A job or the `from` dataset is not among yours (`not_found`)"),
    409: errorResponse("A listed job has not succeeded (`job_not_finished`)"),
    411: errorResponse("An archive without `Content-Length` (`length_required`)"),
    413: errorResponse("Over a size or count limit (`payload_too_large`, `archive_too_large`)"),
    415: errorResponse(
      "Neither JSON nor a zip (`unsupported_media_type`); an image of the archive not supported (`unsupported_image_type`, `image_polyglot`, `unsupported_transfer_syntax`)",
    ),
    422: errorResponse(
      "A bad archive (`archive_bomb`, `archive_unsafe_path`, `dataset_duplicate`, `dataset_label_invalid`, `dataset_class_unknown`, `dataset_image_missing`, `image_corrupt`, `image_too_many_pixels`), or nothing to take (`dataset_empty`)",
    ),
    503: errorResponse("Database or storage unavailable; nothing was kept"),
    ...authErrorResponses,
  },
});

export const createDataset = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "datasets:write");
  const config = c.var.config;
  let row: Awaited<ReturnType<typeof datasetFromReviews>>;
  if (isZipRequest(c)) {
    const query = c.req.valid("query");
    if (!query.name)
      throw new ApiError("validation_failed", "An imported dataset needs a `name` query parameter");
    row = await importArchive(c, principal.userId, { ...query, name: query.name });
  } else if ((c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    // The route's types merge every media type's schema; a JSON body is always the object.
    const body = c.req.valid("json");
    if (typeof body !== "object") throw new ApiError("validation_failed", "The body must be a JSON object");
    row = await datasetFromReviews(
      c.var.db,
      c.env.IMAGES,
      { ...body, ownerId: principal.userId },
      config.DATASET_MAX_JOBS,
    );
  } else {
    throw new ApiError(
      "unsupported_media_type",
      "Send JSON (a dataset from reviews) or a zip archive (an import)",
    );
  }
  c.var.logger.info("dataset created", { datasetId: row.id, source: row.source, version: row.version });
  c.header("Location", `/v1/datasets/${row.id}`);
  return c.json(toDataset(row), 201);
});
