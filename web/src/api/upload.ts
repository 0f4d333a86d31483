import { ApiFailure } from "./client";
import { api } from "./instance";
import { withQuery } from "./query-string";
import type { ErrorBody, Image } from "./types";
import { uploadContentType } from "./upload-content-type";

/**
 * Uploads one file as a raw body. XMLHttpRequest rather than fetch: only it reports upload
 * progress. A 401 is returned as a failure for the caller to refresh and retry.
 */
function uploadFile(file: File, accessToken: string, onProgress: (fraction: number) => void): Promise<Image> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", withQuery("/v1/images", { filename: file.name }));
    xhr.setRequestHeader("authorization", `Bearer ${accessToken}`);
    // The API decides the type from the bytes; this only has to say "a raw image body". Browsers
    // rarely know .dcm files, so a DICONDE file often arrives without a type.
    xhr.setRequestHeader("content-type", uploadContentType(file));
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiFailure(0, "network_error", "The upload could not reach the server"));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === 201) {
        onProgress(1);
        resolve(body as Image);
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
    xhr.send(file);
  });
}

/** `POST /v1/images` with progress, refreshing the access token once if it expired meanwhile. */
export async function uploadImage(file: File, onProgress: (fraction: number) => void): Promise<Image> {
  try {
    return await uploadFile(file, api.session?.accessToken ?? "", onProgress);
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 401 || !(await api.refresh())) throw error;
    return uploadFile(file, api.session?.accessToken ?? "", onProgress);
  }
}
