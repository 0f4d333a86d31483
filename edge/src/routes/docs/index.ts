import type { AppEnv } from "@edge/env";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";

/** Path of the API reference's browser bundle, served from static assets (no CDN at run time). */
export const referenceScript = "/vendor/scalar-api-reference.js";

/** Mounts the generated OpenAPI 3.1 document and the interactive reference that reads it. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Defect Detection API",
      version: "1.0.0",
      description:
        "Upload inspection images (weld radiographs, castings, steel surfaces), run defect detection jobs and fetch their results.",
    },
  });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Defect Detection API", cdn: referenceScript }));
}
