import { useState } from "hono/jsx/dom";
import { type DatasetPreview, previewDataset, reviewFate } from "../api/dataset-preview";
import { createDataset, type Dataset } from "../api/datasets";
import { type JobListQuery, listJobs } from "../api/jobs";
import type { Job, JobReview } from "../api/types";
import { usePagedList } from "../api/use-paged-list";
import { navigate, useRoute } from "../router";
import { toggled } from "../toggled";
import { ErrorMessage } from "./error-message";
import { filmLabel } from "./film-identity";
import { LoadMore } from "./load-more";
import { ResultModel } from "./result-model";
import { TableHead } from "./table-head";
import { useJobReviews } from "./use-job-reviews";
import { ValidationShareField, validationShare } from "./validation-share";

/** The picker's filter, kept in the URL: model, and a day range in the user's time zone. */
function jobQuery(query: URLSearchParams): JobListQuery {
  const day = (name: string, time: string) => {
    const value = query.get(name);
    return value ? new Date(`${value}T${time}`).toISOString() : undefined;
  };
  return {
    status: "succeeded",
    model: query.get("model") || undefined,
    createdAfter: day("from", "00:00:00"),
    createdBefore: day("to", "23:59:59.999"),
  };
}

function reviewText(review: JobReview | undefined): string {
  if (!review) return "reading its review…";
  const fate = reviewFate(review);
  if (fate === "pending") return `${review.counts.pending} pending: would be left out`;
  if (fate === "unreviewed") return "not reviewed: would be left out";
  return `reviewed: ${review.counts.accepted} accepted, ${review.counts.rejected} rejected`;
}

function FilterForm({ query }: { query: URLSearchParams }) {
  function apply(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const params = new URLSearchParams();
    for (const name of ["model", "from", "to", "reviewed"]) {
      const value = String(form.get(name) ?? "").trim();
      if (value) params.set(name, value);
    }
    navigate(`/datasets${params.size ? `?${params}` : ""}`);
  }
  return (
    <form onSubmit={apply} class="inline-form" aria-label="Filter jobs for the dataset">
      <label htmlFor="dataset-model">Model</label>
      <input id="dataset-model" name="model" value={query.get("model") ?? ""} />
      <label htmlFor="dataset-from">Created from</label>
      <input id="dataset-from" name="from" type="date" value={query.get("from") ?? ""} />
      <label htmlFor="dataset-to">Created to</label>
      <input id="dataset-to" name="to" type="date" value={query.get("to") ?? ""} />
      <label class="check">
        <input type="checkbox" name="reviewed" value="1" checked={query.get("reviewed") === "1"} />
        Reviewed only
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

function PreviewTable({ preview }: { preview: DatasetPreview }) {
  const { pending, unreviewed, duplicate } = preview.skipped;
  return (
    <div aria-live="polite" data-testid="dataset-preview">
      <p>
        Would take {preview.images} image(s) with {preview.boxes} box(es); left out: {pending} pending,{" "}
        {unreviewed} unreviewed{duplicate ? `, ${duplicate} duplicate` : ""}.
      </p>
      {preview.perClass.length > 0 && (
        <table class="compact">
          <caption>Boxes per class</caption>
          <TableHead columns={["Class", "Boxes"]} />
          <tbody>
            {preview.perClass.map((entry) => (
              <tr>
                <td>{entry.name}</td>
                <td>{entry.boxes}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

type PickerProps = {
  jobs: Job[];
  reviews: Map<string, JobReview>;
  chosen: Set<string>;
  toggle(id: string): void;
};

function JobChoices({ jobs, reviews, chosen, toggle }: PickerProps) {
  return (
    <>
      {jobs.map((job) => (
        <div class="check-row" data-job-id={job.id}>
          <label class="check">
            <input type="checkbox" checked={chosen.has(job.id)} onChange={() => toggle(job.id)} />
            {filmLabel(job.image)} · {new Date(job.createdAt).toLocaleString()} ·{" "}
            {reviewText(reviews.get(job.id))}
          </label>
          <span class="hint">
            {" "}
            by <ResultModel model={job.model} />
          </span>
        </div>
      ))}
    </>
  );
}

/** Picks reviewed jobs, previews what a version would take, and creates it. */
export function DatasetBuilder({ onCreated }: { onCreated(dataset: Dataset): void }) {
  const { query } = useRoute();
  const jobs = usePagedList(listJobs(jobQuery(query)));
  const { reviews, error: reviewError } = useJobReviews(jobs.items.map((job) => job.id));
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const reviewedOnly = query.get("reviewed") === "1";
  const shown = jobs.items.filter((job) => {
    const review = reviews.get(job.id);
    return !reviewedOnly || (review !== undefined && reviewFate(review) === "kept");
  });
  const picked = jobs.items.filter((job) => chosen.has(job.id));
  const preview = previewDataset(picked.flatMap((job) => reviews.get(job.id) ?? []));
  const toggle = (id: string) => setChosen((set) => toggled(set, id));

  async function create(event: Event) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    setError(null);
    try {
      const dataset = await createDataset({
        name: String(form.get("name") ?? "").trim(),
        fromJobs: picked.map((job) => job.id),
        ...validationShare(form),
      });
      setChosen(new Set());
      formElement.reset();
      onCreated(dataset);
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section aria-labelledby="builder-heading">
      <h2 id="builder-heading">New version from reviewed jobs</h2>
      <FilterForm query={query} />
      <fieldset>
        <legend>Succeeded jobs ({chosen.size} chosen)</legend>
        <div class="button-row">
          <button type="button" onClick={() => setChosen(new Set(shown.map((job) => job.id)))}>
            Choose all shown
          </button>
          <button type="button" onClick={() => setChosen(new Set())}>
            Clear
          </button>
        </div>
        <JobChoices jobs={shown} reviews={reviews} chosen={chosen} toggle={toggle} />
        {jobs.loaded && shown.length === 0 && <p>No jobs match.</p>}
        <LoadMore list={jobs} noun="jobs" />
        <ErrorMessage error={reviewError} />
      </fieldset>
      <PreviewTable preview={preview} />
      <form onSubmit={create} class="inline-form" aria-label="Create the dataset version">
        <label htmlFor="dataset-name">Dataset name</label>
        <input id="dataset-name" name="name" required maxLength={100} />
        <ValidationShareField id="dataset-val" />
        <button type="submit" disabled={picked.length === 0}>
          Create version from {picked.length} job(s)
        </button>
      </form>
      <ErrorMessage error={error} />
    </section>
  );
}
