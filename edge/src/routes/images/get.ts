import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedImage } from "./owned";
import { ImageIdParamSchema, ImageSchema, toImage } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["Images"],
  summary: "Image metadata",
  security: bearerSecurity,
  request: { params: ImageIdParamSchema },
  responses: {
    200: { description: "The image", content: { "application/json": { schema: ImageSchema } } },
    404: errorResponse("No such image among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const getImage = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "images:read");
  return c.json(toImage(await ownedImage(c.var.db, principal.userId, c.req.valid("param").id)), 200);
});
