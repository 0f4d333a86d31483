import { useEffect } from "hono/jsx/dom";
import { followJobEvents } from "../api/event-stream";
import { api } from "../api/instance";
import { type JobListQuery, listJobs } from "../api/jobs";
import type { JobStatus } from "../api/types";
import { usePagedList } from "../api/use-paged-list";
import { LoadMore } from "../components/load-more";
import { ResultModel } from "../components/result-model";
import { TableHead } from "../components/table-head";
import { BASE, linkHandler, navigate, useRoute } from "../router";

const STATUSES: JobStatus[] = ["queued", "running", "succeeded", "failed"];

/** The list's filters live in the URL, so a filtered view can be bookmarked and shared. */
function listQuery(query: URLSearchParams): JobListQuery {
  const status = STATUSES.find((known) => known === query.get("status"));
  return { status, model: query.get("model") ?? undefined };
}

export function JobsPage() {
  const { query } = useRoute();
  const source = listJobs(listQuery(query));
  const jobs = usePagedList(source);

  useEffect(() => {
    const filtered = Boolean(query.get("status"));
    return followJobEvents(api, (event) => {
      let shown = false;
      jobs.update((list) =>
        list.map((job) => {
          if (job.id !== event.job.id) return job;
          shown = true;
          return { ...job, status: event.job.status, error: event.job.error };
        }),
      );
      // A job not listed (a new one), or one that may now leave the filter: read the list again,
      // as many jobs as are shown, so the pages the user loaded stay.
      if (!shown || filtered) jobs.reload();
    });
  }, [source.path]);

  function filter(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const params = new URLSearchParams();
    for (const name of ["status", "model"]) {
      const value = String(form.get(name) ?? "").trim();
      if (value) params.set(name, value);
    }
    navigate(`/jobs${params.size ? `?${params}` : ""}`);
  }

  return (
    <section>
      <h1>Jobs</h1>
      <form onSubmit={filter} class="inline-form" aria-label="Filter jobs">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" name="status">
          <option value="">any</option>
          {STATUSES.map((status) => (
            <option value={status} selected={query.get("status") === status}>
              {status}
            </option>
          ))}
        </select>
        <label htmlFor="model-filter">Model</label>
        <input id="model-filter" name="model" value={query.get("model") ?? ""} />
        <button type="submit">Filter</button>
      </form>
      <table aria-live="polite">
        <caption>Your jobs (newest first; status updates live)</caption>
        <TableHead columns={["Created", "Image", "Model", "Status"]} actions="Open" />
        <tbody>
          {jobs.items.map((job) => (
            <tr data-job-id={job.id} data-status={job.status}>
              <td>{new Date(job.createdAt).toLocaleString()}</td>
              <td>
                {job.image.width} × {job.image.height}
              </td>
              <td data-testid="job-model">
                <ResultModel model={job.model} />
              </td>
              <td>
                <span class={`status status-${job.status}`}>{job.status}</span>
                {job.error && <span class="hint"> {job.error}</span>}
              </td>
              <td>
                <a href={`${BASE}/jobs/${job.id}`} onClick={linkHandler(`/jobs/${job.id}`)}>
                  Open viewer
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={jobs} noun="jobs" />
      {jobs.loaded && jobs.items.length === 0 && <p>No jobs yet: select images and start detection.</p>}
    </section>
  );
}
