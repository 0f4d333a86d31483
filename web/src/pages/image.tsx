import { useEffect, useState } from "hono/jsx/dom";
import { getImage } from "../api/images";
import { listJobs } from "../api/jobs";
import type { Image, Job } from "../api/types";
import { usePagedList } from "../api/use-paged-list";
import { ErrorMessage } from "../components/error-message";
import { filmIds, filmName } from "../components/film-identity";
import { FilmThumbnail } from "../components/film-thumbnail";
import { JobRow } from "../components/job-row";
import { LoadMore } from "../components/load-more";
import { TableHead } from "../components/table-head";
import { documentTitle, useDocumentTitle } from "../document-title";

function pixelSizeText(image: Image): string {
  const size = image.pixelSizeMm;
  if (!size) return "unknown";
  const value = size.x === size.y ? `${size.x}` : `${size.x} × ${size.y}`;
  return `${value} mm per pixel (${size.source})`;
}

function reviewText(job: Job): string {
  if (!job.review) return "–";
  const { pending, accepted, rejected } = job.review;
  return `${pending} pending · ${accepted} accepted · ${rejected} rejected`;
}

/** One film: what it is, and every job run on it (newest first), each a link to its viewer. */
export function ImagePage({ id }: { id: string }) {
  const [image, setImage] = useState<Image | null>(null);
  const [error, setError] = useState<unknown>(null);
  const jobs = usePagedList(listJobs({ imageId: id }));
  useEffect(() => {
    let cancelled = false;
    setImage(null);
    getImage(id).then(
      (loaded) => !cancelled && setImage(loaded),
      (failure: unknown) => !cancelled && setError(failure),
    );
    return () => {
      cancelled = true;
    };
  }, [id]);
  const ids = image ? filmIds(image) : null;
  useDocumentTitle(image ? documentTitle(filmName(image), image.weldId && `weld ${image.weldId}`) : null);

  return (
    <section>
      <ErrorMessage error={error} />
      {image && (
        <header class="film-identity">
          <h1 data-testid="film-name">{filmName(image)}</h1>
          {ids && (
            <p class="hint" data-testid="film-ids">
              {ids}
            </p>
          )}
        </header>
      )}
      {image && (
        <dl class="facts">
          <dt>Preview</dt>
          <dd>
            <FilmThumbnail image={image} alt={`Preview of ${filmName(image)}`} />
          </dd>
          <dt>Format</dt>
          <dd>
            {image.format.toUpperCase()} {image.bitDepth}-bit, {image.width} × {image.height} px
          </dd>
          <dt>Pixel size</dt>
          <dd>{pixelSizeText(image)}</dd>
          <dt>Uploaded</dt>
          <dd>{new Date(image.createdAt).toLocaleString()}</dd>
        </dl>
      )}
      <table aria-live="polite">
        <caption>Jobs on this film (newest first)</caption>
        <TableHead columns={["Created", "Model", "Status", "Review"]} actions="Open" />
        <tbody>
          {jobs.items.map((job) => (
            <JobRow job={job} review={reviewText(job)} />
          ))}
        </tbody>
      </table>
      <LoadMore list={jobs} noun="jobs" />
      {jobs.loaded && jobs.items.length === 0 && <p>No job has run on this film yet.</p>}
    </section>
  );
}
