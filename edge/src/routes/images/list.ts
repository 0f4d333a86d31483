import { images } from "@db/schema";
import { filmMatching } from "@edge/images/film-search";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { eq, gte, lte } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
import { ImageFormatSchema, ImagePageSchema, toImage } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Images"],
  summary: "List your images",
  description: "Newest first. Needs `images:read`.",
  security: bearerSecurity,
  request: {
    query: PageQuerySchema.extend({
      format: ImageFormatSchema.optional(),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional()
        .openapi({ description: "Find uploads of a given file" }),
      q: z.string().trim().min(1).max(100).optional().openapi({
        description: "Text the file name, weld id or part id contains (case-insensitive)",
        example: "W-17",
      }),
      createdAfter: z.iso.datetime().optional(),
      createdBefore: z.iso.datetime().optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of images",
      content: { "application/json": { schema: ImagePageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const listImages = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "images:read");
  const query = c.req.valid("query");
  const { page, nextCursor } = await selectPage(
    c.var.db.select().from(images).$dynamic(),
    images.id,
    { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "newest" },
    eq(images.ownerId, principal.userId),
    query.format ? eq(images.format, query.format) : undefined,
    query.sha256 ? eq(images.sha256, query.sha256) : undefined,
    query.q ? filmMatching(query.q) : undefined,
    query.createdAfter ? gte(images.createdAt, new Date(query.createdAfter)) : undefined,
    query.createdBefore ? lte(images.createdAt, new Date(query.createdBefore)) : undefined,
  );
  return c.json({ items: page.map(toImage), nextCursor }, 200);
});
