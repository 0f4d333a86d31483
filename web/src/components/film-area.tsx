import type { RefObject } from "hono/jsx/dom";
import type { Job } from "../api/types";

type Props = {
  canvasRef: RefObject<HTMLCanvasElement | null>;
  title: string;
  imageReady: boolean;
  reviewable: boolean;
  shownCount: number;
  job: Job | null;
};

/** The film's canvas, with the job's state over it until the job has succeeded. */
export function FilmArea({ canvasRef, title, imageReady, reviewable, shownCount, job }: Props) {
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
      {job && job.status !== "succeeded" && (
        <p class="film-status" role="status">
          Job {job.status}
          {job.error ? `: ${job.error}` : "…"}
        </p>
      )}
    </div>
  );
}
