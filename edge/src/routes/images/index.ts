import { authenticate } from "../../middleware/authenticate";
import { database } from "../../middleware/database";
import { rateLimit } from "../../middleware/rate-limit";
import { createRouter } from "../../openapi";
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
