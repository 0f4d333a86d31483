import { errorFields } from "@common/logger";
import { requestEvaluation } from "@edge/evaluations/create";
import { requireScope } from "@edge/middleware/authenticate";
import { completeModelUpload } from "@edge/models/complete";
import { assertRegistryName } from "@edge/models/names";
import { productionVersion, toModelVersion } from "@edge/models/registry";
import { createModelUpload } from "@edge/models/upload";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import {
  CompleteUploadSchema,
  ModelNameParamSchema,
  ModelUploadSchema,
  ModelVersionSchema,
  UploadParamSchema,
} from "./schema";

const startRoute = createRoute({
  method: "post",
  path: "/{name}/versions",
  tags: ["Models"],
  summary: "Start uploading a new version",
  description: [
    "Answers a signed, single-use URL valid for MODEL_UPLOAD_TTL_SECONDS: `PUT` the ONNX file to it",
    "(with `Content-Length`, at most MAX_MODEL_BYTES), then complete the upload to create the version.",
    "The name may not be a shipped model's. Needs `models:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: { params: ModelNameParamSchema },
  responses: {
    201: { description: "Upload opened", content: { "application/json": { schema: ModelUploadSchema } } },
    400: errorResponse("A malformed or reserved name (`validation_failed`)"),
    ...authErrorResponses,
  },
});

const completeRoute = createRoute({
  method: "post",
  path: "/{name}/versions/{uploadId}/complete",
  tags: ["Models"],
  summary: "Complete an upload: verify it and create the version",
  description: [
    "Checks that the stored file has the `bytes` and `sha256` you name and loads as a detection model",
    "(ONNX with `names` metadata, one NCHW image input of known size, an Ultralytics, YOLOv5 or",
    "end-to-end output), then creates the next version `name@N` with its model card. A failed check",
    "deletes the file and ends the upload; no version is created. Needs `models:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    params: UploadParamSchema,
    body: { required: true, content: { "application/json": { schema: CompleteUploadSchema } } },
  },
  responses: {
    201: { description: "The new version", content: { "application/json": { schema: ModelVersionSchema } } },
    400: errorResponse("Invalid body (`validation_failed`, `malformed_json`)"),
    404: errorResponse("No such upload, dataset or base model among yours (`not_found`)"),
    409: errorResponse("The upload has no bytes yet, or was completed or failed already (`conflict`)"),
    413: errorResponse("The file is over MAX_MODEL_BYTES (`model_too_large`)"),
    422: errorResponse(
      "The stored file is not the one named (`model_checksum_mismatch`), or not a detection model the service can load (`model_invalid`)",
    ),
    ...authErrorResponses,
  },
});

export const modelUploadRoutes = createRouter()
  .openapi(startRoute, async (c) => {
    const principal = requireScope(c, "models:write");
    const { name } = c.req.valid("param");
    assertRegistryName(c.var.config, name);
    const ticket = await createModelUpload(c.var.db, c.var.config, {
      ownerId: principal.userId,
      actorId: principal.userId,
      name,
      baseUrl: new URL(c.req.url).origin,
    });
    return c.json(
      {
        uploadId: ticket.uploadId,
        uploadUrl: ticket.uploadUrl,
        expiresAt: ticket.expiresAt.toISOString(),
        maxBytes: c.var.config.MAX_MODEL_BYTES,
      },
      201,
    );
  })
  .openapi(completeRoute, async (c) => {
    const principal = requireScope(c, "models:write");
    const { name, uploadId } = c.req.valid("param");
    const row = await completeModelUpload(c.var.db, c.env.IMAGES, c.var.config, {
      ...c.req.valid("json"),
      ownerId: principal.userId,
      actorId: principal.userId,
      name,
      uploadId,
    });
    const production = await productionVersion(c.var.db, principal.userId, name);
    c.var.logger.info("model version created", { name, version: row.version, sha256: row.sha256 });
    // The version exists either way; an evaluation not queued now is queued by the sweeper.
    await requestEvaluation(c.var.db, c.var.config, c.env.DETECT_QUEUE, row, c.var.trace.traceparent).catch(
      (error: unknown) =>
        c.var.logger.warn("evaluation not queued", { name, version: row.version, ...errorFields(error) }),
    );
    c.header("Location", `/v1/models/${encodeURIComponent(name)}/versions/${row.version}`);
    return c.json(toModelVersion(row, production?.id ?? null), 201);
  });
