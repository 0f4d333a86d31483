import { DetectParamsSchema } from "@common/contracts/detect-message";
import { DetectionSchema, ModelIdentitySchema, StageTimingsSchema } from "@common/contracts/detect-result";
import { TileOverlapSchema, type Tiling, TilingSchema } from "@common/contracts/tiling";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { InferenceError } from "@inference/errors";
import { bodyLimit } from "hono/body-limit";
import { serviceAuth } from "../auth";
import type { AppEnv, ServiceContext } from "../context";
import { ErrorBodySchema } from "../errors";

/** A number from the query string, checked as the contract checks that parameter. */
const queryNumber = <T extends z.ZodNumber>(schema: T) =>
  z.preprocess((text) => (typeof text === "string" ? Number(text) : text), schema).optional();

const QuerySchema = z.object({
  model: z.string().min(1).optional(),
  conf: queryNumber(DetectParamsSchema.shape.conf),
  iou: queryNumber(DetectParamsSchema.shape.iou),
  maxDet: queryNumber(DetectParamsSchema.shape.maxDet),
  /** Comma-separated class ids, e.g. `0,2`. */
  classes: z
    .string()
    .regex(/^\d+(,\d+)*$/, "comma-separated class ids")
    .transform((text) => text.split(",").map(Number))
    .optional(),
  agnostic: z.enum(["true", "false"]).optional(),
  /**
   * The job parameter `tiling` (`common/contracts/tiling.ts`) in a query string: `auto` (default),
   * `off`, or a tile size in image pixels, with `overlap` and `wholeImage` beside it.
   */
  tiling: z
    .union([z.enum(["auto", "off"]), z.string().regex(/^\d+$/, "auto, off or a tile size in pixels")])
    .optional(),
  overlap: queryNumber(TileOverlapSchema),
  wholeImage: z.enum(["true", "false"]).optional(),
});

/** The query's tiling as the contract has it; `overlap`/`wholeImage` only go with a tile size. */
function queryTiling(query: z.infer<typeof QuerySchema>): Tiling | undefined {
  const { tiling, overlap, wholeImage } = query;
  if (tiling === undefined || tiling === "auto" || tiling === "off") {
    if (overlap !== undefined || wholeImage !== undefined) {
      throw new InferenceError("validation_failed", "overlap and wholeImage need tiling=<tile size>");
    }
    return tiling;
  }
  const parsed = TilingSchema.safeParse({
    tileSize: Number(tiling),
    ...(overlap === undefined ? {} : { overlap }),
    wholeImage: wholeImage === "true",
  });
  if (!parsed.success) {
    throw new InferenceError("validation_failed", `tiling: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  }
  return parsed.data;
}

export const DetectResponseSchema = z.object({
  model: ModelIdentitySchema,
  image: z.object({ width: z.number().int(), height: z.number().int() }),
  detections: z.array(DetectionSchema),
  timings: StageTimingsSchema,
});

const detectRoute = createRoute({
  method: "post",
  path: "/v1/detect",
  summary: "Detect defects in one image (synchronous)",
  description: "Body: the encoded image (JPEG, PNG, TIFF or WebP). Requires `INFERENCE_API_TOKEN`.",
  security: [{ bearer: [] }],
  request: { query: QuerySchema },
  responses: {
    200: { description: "Detections", content: { "application/json": { schema: DetectResponseSchema } } },
    400: {
      description:
        "Invalid parameters (`validation_failed`), no image (`empty_body`) or an undecodable one (`image_corrupt`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    401: {
      description: "Missing or wrong token (`unauthorized`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    404: {
      description: "Unknown model (`model_not_found`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    413: {
      description: "Over the byte limit (`payload_too_large`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    415: {
      description: "Not JPEG, PNG, TIFF or WebP (`unsupported_image_type`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    422: {
      description: "Over the pixel limit (`image_too_many_pixels`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    503: {
      description: "Model queue full (`queue_full`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
  },
});

export function mountDetect(app: OpenAPIHono<AppEnv>, ctx: ServiceContext): void {
  app.use("/v1/detect", serviceAuth(ctx.config.API_TOKEN));
  app.use("/v1/detect", bodyLimit({ maxSize: ctx.config.MAX_IMAGE_BYTES }));
  app.openapi(detectRoute, async (c) => {
    const query = c.req.valid("query");
    const detector = ctx.models.get(query.model);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) throw new InferenceError("empty_body", "the request body must be the image");
    ctx.metrics.inFlight.inc();
    try {
      const [result] = await detector.detect(
        [bytes],
        {
          conf: query.conf ?? ctx.config.DEFAULT_CONF,
          iou: query.iou ?? ctx.config.DEFAULT_IOU,
          maxDet: query.maxDet ?? ctx.config.DEFAULT_MAX_DET,
          classes: query.classes ?? null,
          tiling: queryTiling(query),
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
