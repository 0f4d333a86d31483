import { ApiFailure } from "./client";
import { api } from "./instance";
import { withQuery } from "./query-string";
import type { ErrorBody, Image } from "./types";
import { uploadContentType } from "./upload-content-type";

export type RawUpload = {
  /** The API path, query included. */
  path: string;
  body: Blob;
  contentType: string;
  /** The status of success (201 for a created resource). */
  created: number;
};

/**
 * Sends one raw body. XMLHttpRequest rather than fetch: only it reports upload progress. A 401 is
 * returned as a failure for the caller to refresh and retry.
 */
function sendFile<T>(
  upload: RawUpload,
  accessToken: string,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.path);
    xhr.setRequestHeader("authorization", `Bearer ${accessToken}`);
    xhr.setRequestHeader("content-type", upload.contentType);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    // Every byte is sent (even where progress was not computable): the API is now checking it.
    xhr.upload.onload = () => onProgress(1);
    xhr.onerror = () => reject(new ApiFailure(0, "network_error", "The upload could not reach the server"));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === upload.created) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      const error = (body as ErrorBody | undefined)?.error;
      reject(
        new ApiFailure(
          xhr.status,
          error?.code ?? "http_error",
          error?.message ?? `The server answered ${xhr.status}`,
        ),
      );
    };
    xhr.send(upload.body);
  });
}

/** A raw-body `POST` with progress, refreshing the access token once if it expired meanwhile. */
export async function uploadWithProgress<T>(
  upload: RawUpload,
  onProgress: (fraction: number) => void,
): Promise<T> {
  try {
    return await sendFile<T>(upload, api.session?.accessToken ?? "", onProgress);
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 401 || !(await api.refresh())) throw error;
    return sendFile<T>(upload, api.session?.accessToken ?? "", onProgress);
  }
}

/** The weld and part a film shows, kept with it (`weldId`, `partId` of `POST /v1/images`). */
export type UploadFilmIds = { weldId?: string; partId?: string };

/**
 * `POST /v1/images` with progress. The API decides the type from the bytes; the Content-Type only
 * has to say "a raw image body" (browsers rarely know .dcm files, so a DICONDE file often arrives
 * without a type).
 */
export const uploadImage = (
  file: File,
  onProgress: (fraction: number) => void,
  film: UploadFilmIds & { pixelSizeMm?: number } = {},
): Promise<Image> =>
  uploadWithProgress<Image>(
    {
      path: withQuery("/v1/images", {
        filename: file.name,
        weldId: film.weldId,
        partId: film.partId,
        pixelSizeMm: film.pixelSizeMm,
      }),
      body: file,
      contentType: uploadContentType(file),
      created: 201,
    },
    onProgress,
  );
