/** The images endpoints the app calls, typed from the edge's images schemas. */
import type { ImageFormatSchema } from "@edge/routes/images/schema";
import type { z } from "zod";
import { failureOf } from "./client";
import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import { pagedSource } from "./paged-source";
import { segment, withQuery } from "./query-string";
import type { Image } from "./types";

/** `GET /v1/images`, newest first; `q` finds a film by name, weld or part id. */
export const listImages = (
  query: { format?: z.input<typeof ImageFormatSchema>; q?: string } = {},
): PagedSource<Image> => pagedSource(withQuery("/v1/images", query));

/** `GET /v1/images/{id}`: the image's metadata. */
export const getImage = (id: string) => api.call<Image>(`/v1/images/${segment(id)}`);

/** `GET /v1/images/{id}/content`: the original bytes as uploaded. */
export async function getImageContent(id: string): Promise<Blob> {
  const response = await api.request(`/v1/images/${segment(id)}/content`);
  if (!response.ok) throw await failureOf(response);
  return response.blob();
}
