import type { ApiClient } from "./client";
import { failureOf } from "./client";

/**
 * Downloads an authenticated resource as a file. A plain link cannot carry the bearer token, so
 * the bytes are fetched and handed to the browser through a short-lived object URL.
 */
export async function downloadFile(api: ApiClient, path: string, filename: string): Promise<void> {
  const response = await api.request(path);
  if (!response.ok) throw await failureOf(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the download by the next task; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
