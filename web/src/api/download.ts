/** The endpoints whose answer the user saves as a file. */
import { failureOf } from "./client";
import { api } from "./instance";
import type { JobExport } from "./jobs";
import { segment, withQuery } from "./query-string";
import type { Report } from "./types";

/**
 * Downloads an authenticated resource as a file. A plain link cannot carry the bearer token, so
 * the bytes are fetched and handed to the browser through a short-lived object URL.
 */
async function downloadFile(path: string, filename: string): Promise<void> {
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

/** `GET /v1/jobs/{id}/export`, saved as `filename`. */
export const downloadJobExport = (id: string, query: JobExport, filename: string) =>
  downloadFile(withQuery(`/v1/jobs/${segment(id)}/export`, query), filename);

/** `GET /v1/reports/{id}/pdf`, saved as `<number>.pdf`. */
export const downloadReportPdf = (report: Pick<Report, "id" | "number">) =>
  downloadFile(`/v1/reports/${segment(report.id)}/pdf`, `${report.number}.pdf`);
