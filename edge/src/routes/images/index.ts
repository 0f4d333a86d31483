import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { allowBodyBytes } from "@edge/middleware/request-body";
import { createRouter } from "@edge/openapi";
import { deleteCalibration, putCalibration } from "./calibration";
import { deleteImage } from "./delete";
import { downloadImage } from "./download";
import { getImage } from "./get";
import { listImages } from "./list";
import { MULTIPART_ENVELOPE_BYTES, uploadImage } from "./upload";

export const imagesRouter = createRouter();
// The upload's own limit (MAX_IMAGE_BYTES) applies to the file; a form adds its envelope.
imagesRouter.use(
  "/",
  allowBodyBytes((config) => config.MAX_IMAGE_BYTES + MULTIPART_ENVELOPE_BYTES),
);
imagesRouter.use(
  "*",
  database(),
  authenticate(),
  rateLimit((c) => (c.req.method === "GET" ? "read" : "write")),
);
imagesRouter
  .route("/", uploadImage)
  .route("/", listImages)
  .route("/", getImage)
  .route("/", downloadImage)
  .route("/", deleteImage)
  .route("/", putCalibration)
  .route("/", deleteCalibration);
