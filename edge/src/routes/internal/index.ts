import { database } from "@edge/middleware/database";
import { createRouter } from "@edge/openapi";
import { postJobClaim } from "./claim";
import { readSignedObject } from "./objects";
import { postJobResult } from "./result";
import { serviceAuth } from "./service-auth";

/**
 * The API the inference service calls, mounted at `/internal/v1`. Its routes are hidden from
 * the public OpenAPI document. Signed object reads carry their own credential (the URL
 * signature); everything else needs the callback token (`INFERENCE_CALLBACK_TOKEN`).
 */
export const internalRouter = createRouter();
internalRouter.use("/jobs/*", serviceAuth(), database());
internalRouter.route("/", readSignedObject).route("/", postJobClaim).route("/", postJobResult);
