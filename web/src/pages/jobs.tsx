import { useEffect } from "hono/jsx/dom";
import { followJobEvents } from "../api/event-stream";
import { api } from "../api/instance";
import { getJob, type JobListQuery, type JobSort, listJobs } from "../api/jobs";
import type { Job, JobStatus } from "../api/types";
import { usePagedList } from "../api/use-paged-list";
import { AppLink } from "../components/app-link";
import { FilmIdentity, filmLabel } from "../components/film-identity";
import { FilmThumbnail } from "../components/film-thumbnail";
import { JobRow } from "../components/job-row";
import { LoadMore } from "../components/load-more";
import { TableHead } from "../components/table-head";
import { navigate, useRoute } from "../router";

const STATUSES: JobStatus[] = ["queued", "running", "succeeded", "failed"];
const SORTS: Array<{ value: JobSort; label: string }> = [
  { value: "newest", label: "Newest first" },
  { value: "oldest", label: "Oldest first" },
  { value: "filename", label: "File name A–Z" },
  { value: "weld", label: "Weld id A–Z" },
];
/** The URL's filter fields, in the order the form shows them. */
const FIELDS = ["q", "needsReview", "status", "model", "from", "to", "sort"] as const;

/** Start of a local calendar day (`from`), or the start of the next one (`to` is inclusive). */
function dayBoundary(day: string | null, next: boolean): string | undefined {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (next) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

/** The list's filters live in the URL, so a worklist can be bookmarked and shared. */
function listQuery(query: URLSearchParams): JobListQuery {
  const status = STATUSES.find((known) => known === query.get("status"));
  const sort = SORTS.find((known) => known.value === query.get("sort"))?.value;
  const text = query.get("q")?.trim();
  return {
    q: text ? text.slice(0, 100) : undefined,
    needsReview: query.get("needsReview") === "true" ? "true" : undefined,
    status,
    model: query.get("model") || undefined,
    createdAfter: dayBoundary(query.get("from"), false),
    createdBefore: dayBoundary(query.get("to"), true),
    sort,
  };
}

function ReviewCounts({ job }: { job: Job }) {
  if (!job.review) return <span class="hint">–</span>;
  const { pending, accepted, rejected } = job.review;
  return (
    <span data-testid="job-review" data-pending={String(pending)}>
      {pending > 0 ? <strong>{pending} pending</strong> : "reviewed"}
      <span class="hint">
        {" "}
        · {accepted} accepted · {rejected} rejected
      </span>
    </span>
  );
}

function JobFilters({ query }: { query: URLSearchParams }) {
  function filter(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const value = String(form.get(name) ?? "").trim();
      if (value && !(name === "sort" && value === "newest")) params.set(name, value);
    }
    navigate(`/jobs${params.size ? `?${params}` : ""}`);
  }
  return (
    <form onSubmit={filter} class="inline-form" aria-label="Filter jobs">
      <label htmlFor="job-search">Film, weld or part</label>
      <input id="job-search" name="q" type="search" maxLength={100} value={query.get("q") ?? ""} />
      <label>
        <input
          type="checkbox"
          name="needsReview"
          value="true"
          checked={query.get("needsReview") === "true"}
        />{" "}
        Needs review
      </label>
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
      <input id="model-filter" name="model" maxLength={100} value={query.get("model") ?? ""} />
      <label htmlFor="from-filter">From</label>
      <input id="from-filter" name="from" type="date" value={query.get("from") ?? ""} />
      <label htmlFor="to-filter">To</label>
      <input id="to-filter" name="to" type="date" value={query.get("to") ?? ""} />
      <label htmlFor="sort-order">Sort</label>
      <select id="sort-order" name="sort">
        {SORTS.map((sort) => (
          <option value={sort.value} selected={(query.get("sort") ?? "newest") === sort.value}>
            {sort.label}
          </option>
        ))}
      </select>
      <button type="submit">Filter</button>
    </form>
  );
}

export function JobsPage() {
  const { query } = useRoute();
  const source = listJobs(listQuery(query));
  const jobs = usePagedList(source);
  const filtered = FIELDS.some((name) => name !== "sort" && query.get(name));

  useEffect(() => {
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
      else if (event.job.status === "succeeded") {
        // Just finished, nobody has reviewed it yet: every detection is pending.
        getJob(event.job.id).then(
          (job) => {
            const review = { pending: job.detections?.length ?? 0, accepted: 0, rejected: 0 };
            jobs.update((list) => list.map((entry) => (entry.id === job.id ? { ...entry, review } : entry)));
          },
          () => {},
        );
      }
    });
  }, [source.path]);

  return (
    <section>
      <h1>Jobs</h1>
      <JobFilters query={query} />
      <table aria-live="polite">
        <caption>
          {query.get("needsReview") === "true" ? "Films waiting for review" : "Your jobs"} (status updates
          live)
        </caption>
        <TableHead columns={["Film", "Created", "Model", "Status", "Review"]} actions="Open" />
        <tbody>
          {jobs.items.map((job) => (
            <JobRow
              job={job}
              film={
                <td class="film-column">
                  <AppLink to={`/images/${job.image.id}`} label={`Image page of ${filmLabel(job.image)}`}>
                    <FilmThumbnail image={job.image} alt="" />
                  </AppLink>
                  <FilmIdentity image={job.image} />
                  <span class="hint">
                    {" "}
                    {job.image.width} × {job.image.height}
                  </span>
                </td>
              }
              statusNote={job.error && <span class="hint"> {job.error}</span>}
              review={<ReviewCounts job={job} />}
            />
          ))}
        </tbody>
      </table>
      <LoadMore list={jobs} noun="jobs" />
      {jobs.loaded && jobs.items.length === 0 && (
        <p>
          {filtered ? "No job matches these filters." : "No jobs yet: select images and start detection."}
        </p>
      )}
    </section>
  );
}
