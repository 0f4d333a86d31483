/** The datasets endpoints the app calls, typed from the edge's datasets schemas. */
import type {
  CreateDatasetSchema,
  DatasetItemSchema,
  DatasetSchema,
  DatasetSplitSchema,
  ImportQuerySchema,
  JobFilterSchema,
} from "@edge/routes/datasets/schema";
import type { z } from "zod";
import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import { pagedSource } from "./paged-source";
import { segment, withQuery } from "./query-string";

export type Dataset = z.infer<typeof DatasetSchema>;
export type DatasetItem = z.infer<typeof DatasetItemSchema>;
export type CreateDatasetBody = z.input<typeof CreateDatasetSchema>;
export type DatasetJobFilter = z.input<typeof JobFilterSchema>;
export type ImportQuery = z.input<typeof ImportQuerySchema>;

/** `POST /v1/datasets` from reviewed jobs: the version, with what it left out in `skipped`. */
export const createDataset = (body: CreateDatasetBody) =>
  api.call<Dataset>("/v1/datasets", { method: "POST", json: body });

/** The path of an archive import (`POST /v1/datasets` with a zip body): its settings as the query. */
export const importPath = (query: ImportQuery & { name: string }) =>
  withQuery("/v1/datasets", {
    name: query.name,
    format: query.format,
    seed: query.seed,
    valFraction: query.valFraction === undefined ? undefined : String(query.valFraction),
  });

/** `GET /v1/datasets`, newest first; `name` lists one dataset's versions. */
export const listDatasets = (query: { name?: string } = {}): PagedSource<Dataset> =>
  pagedSource(withQuery("/v1/datasets", query));

/** `GET /v1/datasets/{id}`: classes, counts per split and class, and what was left out. */
export const getDataset = (id: string) => api.call<Dataset>(`/v1/datasets/${segment(id)}`);

/** `GET /v1/datasets/{id}/items`, in key order; `split` lists one split. */
export const listDatasetItems = (
  id: string,
  query: { split?: z.input<typeof DatasetSplitSchema> } = {},
): PagedSource<DatasetItem> => pagedSource(withQuery(`/v1/datasets/${segment(id)}/items`, query));
