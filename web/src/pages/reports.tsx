import { useEffect, useState } from "hono/jsx/dom";
import { downloadReportPdf } from "../api/download";
import { listJobs } from "../api/jobs";
import { createReport, listReports, type ReportHeader, type ReportVerdict } from "../api/reports";
import type { Report } from "../api/types";
import { usePagedList } from "../api/use-paged-list";
import { ErrorMessage } from "../components/error-message";
import { jobPickerLabel } from "../components/film-identity";
import { LoadMore } from "../components/load-more";
import { TableHead } from "../components/table-head";
import { useRoute } from "../router";
import { toggled } from "../toggled";

const VERDICTS = ["accept", "repair", "reject"] as const satisfies readonly ReportVerdict[];
const HEADER_FIELDS = [
  { name: "customer", label: "Customer" },
  { name: "partId", label: "Part" },
  { name: "weldId", label: "Weld" },
  { name: "inspectionId", label: "Inspection" },
  { name: "inspectionMethod", label: "Method" },
  { name: "technique", label: "Technique" },
  { name: "inspector", label: "Inspector" },
  { name: "reviewer", label: "Reviewer" },
] as const satisfies ReadonlyArray<{ name: keyof ReportHeader; label: string }>;
/** Reports render on a queue; their status is read again at this pace until it settles. */
const POLL_MS = 1000;

const settled = (report: Report) => report.status === "ready" || report.status === "failed";

export function ReportsPage() {
  const { query } = useRoute();
  const jobs = usePagedList(listJobs({ status: "succeeded" }));
  const reports = usePagedList(listReports());
  const [chosen, setChosen] = useState<Set<string>>(new Set(query.getAll("job")));
  const [error, setError] = useState<unknown>(null);

  const rendering = reports.items.some((report) => !settled(report));
  useEffect(() => {
    if (!rendering) return;
    const timer = setInterval(() => reports.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [rendering]);

  async function create(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const header: ReportHeader = {};
    for (const field of [...HEADER_FIELDS.map((entry) => entry.name), "remarks"] as const) {
      const value = String(form.get(field) ?? "").trim();
      if (value) header[field] = value;
    }
    const pixelSize = Number(form.get("pixelSizeMm"));
    setError(null);
    try {
      const report = await createReport({
        jobIds: [...chosen],
        // The select offers VERDICTS only.
        verdict: String(form.get("verdict")) as ReportVerdict,
        header,
        ...(pixelSize > 0 ? { pixelSizeMm: pixelSize } : {}),
      });
      reports.update((list) => [report, ...list]);
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section>
      <h1>Reports</h1>
      <form onSubmit={create} aria-labelledby="new-report-heading">
        <h2 id="new-report-heading">New inspection report</h2>
        <p class="hint">The report shows each job's reviewed set: review the detections first.</p>
        <fieldset>
          <legend>Jobs ({chosen.size} chosen)</legend>
          {jobs.loaded && jobs.items.length === 0 && <p>No succeeded jobs yet.</p>}
          {jobs.items.map((job) => (
            <label class="check">
              <input
                type="checkbox"
                checked={chosen.has(job.id)}
                onChange={() => setChosen((set) => toggled(set, job.id))}
              />
              {jobPickerLabel(job)}
            </label>
          ))}
          <LoadMore list={jobs} noun="succeeded jobs" />
        </fieldset>
        <div class="inline-form">
          <label htmlFor="verdict">Verdict</label>
          <select id="verdict" name="verdict" required>
            {VERDICTS.map((verdict) => (
              <option value={verdict}>{verdict}</option>
            ))}
          </select>
          {HEADER_FIELDS.map((field) => (
            <>
              <label htmlFor={`report-${field.name}`}>{field.label}</label>
              <input id={`report-${field.name}`} name={field.name} maxLength={200} />
            </>
          ))}
          <label htmlFor="pixel-size">Pixel size (mm)</label>
          <input id="pixel-size" name="pixelSizeMm" type="number" min={0} max={10} step="any" />
        </div>
        <label htmlFor="remarks">Remarks</label>
        <textarea id="remarks" name="remarks" rows={2} maxLength={2000} />
        <div class="button-row">
          <button type="submit" disabled={chosen.size === 0}>
            Create report
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      <table aria-live="polite">
        <caption>Your reports</caption>
        <TableHead columns={["Number", "Verdict", "Jobs", "Status"]} actions="Download" />
        <tbody>
          {reports.items.map((report) => (
            <tr data-report-id={report.id} data-status={report.status}>
              <td>{report.number}</td>
              <td>{report.verdict}</td>
              <td>{report.jobs.length}</td>
              <td>
                {report.status}
                {report.error && <span class="hint"> {report.error}</span>}
              </td>
              <td>
                {report.status === "ready" && (
                  <button type="button" onClick={() => downloadReportPdf(report).catch(setError)}>
                    Download PDF
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={reports} noun="reports" />
    </section>
  );
}
