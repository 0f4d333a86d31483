import { DetectionSchema, ModelIdentitySchema, StageTimingsSchema } from "@common/contracts/detect-result";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { InferenceError } from "@inference/errors";
import { bodyLimit } from "hono/body-limit";
import { serviceAuth } from "../auth";
import type { AppEnv, ServiceContext } from "../context";

const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
});

const QuerySchema = z.object({
  model: z.string().min(1).optional(),
  conf: z.coerce.number().min(0).max(1).optional(),
  iou: z.coerce.number().min(0).max(1).optional(),
  maxDet: z.coerce.number().int().min(1).max(3000).optional(),
  /** Comma-separated class ids, e.g. `0,2`. */
  classes: z
    .string()
    .regex(/^\d+(,\d+)*$/, "comma-separated class ids")
    .transform((text) => text.split(",").map(Number))
    .optional(),
  agnostic: z.enum(["true", "false"]).optional(),
});

const DetectResponseSchema = z.object({
  model: ModelIdentitySchema,
  image: z.object({ width: z.number().int(), height: z.number().int() }),
  detections: z.array(DetectionSchema),
  timings: StageTimingsSchema,
});

const detectRoute = createRoute({
  method: "post",
  path: "/v1/detect",
  summary: "Detect defects in one image (synchronous)",
  description: "Body: the encoded image (JPEG, PNG, TIFF or WebP). Requires the service token.",
  security: [{ bearer: [] }],
  request: { query: QuerySchema },
  responses: {
    200: { description: "Detections", content: { "application/json": { schema: DetectResponseSchema } } },
    400: { description: "Invalid parameters", content: { "application/json": { schema: ErrorSchema } } },
    401: { description: "Missing or wrong token", content: { "application/json": { schema: ErrorSchema } } },
    404: { description: "Unknown model", content: { "application/json": { schema: ErrorSchema } } },
    413: { description: "Image too large", content: { "application/json": { schema: ErrorSchema } } },
    422: { description: "Undecodable image", content: { "application/json": { schema: ErrorSchema } } },
    503: { description: "Model queue full", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function mountDetect(app: OpenAPIHono<AppEnv>, ctx: ServiceContext): void {
  app.use("/v1/detect", serviceAuth(ctx.config.SERVICE_TOKEN));
  app.use("/v1/detect", bodyLimit({ maxSize: ctx.config.MAX_IMAGE_BYTES }));
  app.openapi(detectRoute, async (c) => {
    const query = c.req.valid("query");
    const detector = ctx.models.get(query.model);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) throw new InferenceError("invalid_request", "the request body must be the image");
    ctx.metrics.inFlight.inc();
    try {
      const [result] = await detector.detect(
        [bytes],
        {
          conf: query.conf ?? ctx.config.DEFAULT_CONF,
          iou: query.iou ?? ctx.config.DEFAULT_IOU,
          maxDet: query.maxDet ?? ctx.config.DEFAULT_MAX_DET,
          classes: query.classes ?? null,
        },
        { agnostic: query.agnostic === "true" },
      );
      if (result === undefined) throw new InferenceError("internal", "detector returned no result");
      ctx.metrics.observeDetection(result.timings);
      return c.json(
        {
          model: { name: detector.info.name, version: detector.info.version, sha256: detector.info.sha256 },
          image: { width: result.width, height: result.height },
          detections: result.detections,
          timings: result.timings,
        },
        200,
      );
    } finally {
      ctx.metrics.inFlight.dec();
    }
  });
}
