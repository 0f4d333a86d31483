import type { Child, RefObject } from "hono/jsx/dom";
import type { Job } from "../api/types";
import type { FilmView } from "../viewer/film-view";
import { OverviewMapCanvas } from "./overview-map";

type Props = {
  canvasRef: RefObject<HTMLCanvasElement | null>;
  title: string;
  imageReady: boolean;
  reviewable: boolean;
  shownCount: number;
  job: Job | null;
  /** The film view once mounted, for the overview map. */
  view: FilmView | null;
  /** Laid over the film (the measuring layer). */
  children?: Child;
};

/**
 * The film's canvas, with the job's state over it until the job has succeeded, and the overview
 * map of the whole film under it once the film is shown.
 */
export function FilmArea({
  canvasRef,
  title,
  imageReady,
  reviewable,
  shownCount,
  job,
  view,
  children,
}: Props) {
  return (
    <div class="film-area">
      <canvas
        ref={canvasRef}
        class="film"
        data-testid="film"
        data-image-ready={imageReady ? "true" : "false"}
        data-reviewable={reviewable ? "true" : "false"}
        data-visible-detections={String(shownCount)}
        role="img"
        aria-label={`${title} with ${shownCount} detections shown`}
        tabIndex={0}
      />
      {children}
      {imageReady && <OverviewMapCanvas view={view} />}
      {job && job.status !== "succeeded" && (
        <p class="film-status" role="status">
          Job {job.status}
          {job.error ? `: ${job.error}` : "…"}
        </p>
      )}
    </div>
  );
}
