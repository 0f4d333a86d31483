import type { Child } from "hono/jsx";
import type { Job } from "../api/types";
import { AppLink } from "./app-link";
import { ResultModel } from "./result-model";

/**
 * A job's row in the lists of jobs: when it was created, the model, its status and review, and a
 * link to its viewer. Each list adds its own film cell, note on the status and review summary.
 */
export function JobRow({
  job,
  film,
  statusNote,
  review,
}: {
  job: Job;
  film?: Child;
  statusNote?: Child;
  review: Child;
}) {
  return (
    <tr data-job-id={job.id} data-status={job.status}>
      {film}
      <td>{new Date(job.createdAt).toLocaleString()}</td>
      <td data-testid="job-model">
        <ResultModel model={job.model} />
      </td>
      <td>
        <span class={`status status-${job.status}`}>{job.status}</span>
        {statusNote}
      </td>
      <td>{review}</td>
      <td>
        <AppLink to={`/jobs/${job.id}`}>Open viewer</AppLink>
      </td>
    </tr>
  );
}
