import { createRouter } from "@edge/openapi";
import { reviewActions } from "./actions";
import { getReview } from "./get";
import { reviewHistory } from "./history";

/**
 * `/v1/jobs/{id}/review...`: mounted inside the jobs router, which authenticates and rate-limits
 * (mounting it beside that router would run those twice).
 */
export const reviewRoutes = createRouter()
  .route("/", getReview)
  .route("/", reviewActions)
  .route("/", reviewHistory);
