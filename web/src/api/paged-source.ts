import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import type { Page } from "./types";

/**
 * A list endpoint read through the app's client: `path` (with its filters) and its pages, each
 * `{ items, nextCursor }` as every edge list answers (`pageResponse`).
 */
export const pagedSource = <T>(path: string): PagedSource<T> => ({
  path,
  fetchPage: (url) => api.call<Page<T>>(url),
});
