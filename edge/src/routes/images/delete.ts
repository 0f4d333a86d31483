import { images } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedImage } from "./owned";
import { ImageIdParamSchema } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["Images"],
  summary: "Delete an image",
  description:
    "Deletes the file and its jobs with their detections. A job still queued or running is dropped: its result is ignored when it arrives. Needs `images:write`.",
  security: bearerSecurity,
  request: { params: ImageIdParamSchema },
  responses: {
    204: { description: "Deleted" },
    404: errorResponse("No such image among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const deleteImage = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "images:write");
  const image = await ownedImage(c.var.db, principal.userId, c.req.valid("param").id);
  // Row first: if the object delete then fails, the sweeper removes the unreferenced object.
  await c.var.db.delete(images).where(eq(images.id, image.id));
  await c.env.IMAGES.delete(image.objectKey).catch((error) =>
    c.var.logger.warn("object delete failed; left to the sweeper", {
      objectKey: image.objectKey,
      error: String(error),
    }),
  );
  return c.body(null, 204);
});
