import { type Dataset, type ImportQuery, importPath } from "./datasets";
import { uploadWithProgress } from "./upload";

/**
 * `POST /v1/datasets` with a YOLO or COCO zip, with upload progress. A refused archive is thrown
 * as the API's failure (its code and message: the first problem found; nothing was kept).
 */
export const importDataset = (
  archive: Blob,
  query: ImportQuery & { name: string },
  onProgress: (fraction: number) => void,
) =>
  uploadWithProgress<Dataset>(
    { path: importPath(query), body: archive, contentType: "application/zip", created: 201 },
    onProgress,
  );
