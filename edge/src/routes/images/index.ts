import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { deleteImage } from "./delete";
import { downloadImage } from "./download";
import { getImage } from "./get";
import { listImages } from "./list";
import { uploadImage } from "./upload";

export const imagesRouter = createRouter();
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
  .route("/", deleteImage);
