import { useState } from "hono/jsx/dom";
import { DrawPanel } from "../components/draw-panel";
import { ErrorMessage } from "../components/error-message";
import { ExportPanel } from "../components/export-panel";
import { FilmArea } from "../components/film-area";
import { IndicationList } from "../components/indication-list";
import { ResultModel } from "../components/result-model";
import { ReviewPanel } from "../components/review-panel";
import { ViewerControls } from "../components/viewer-controls";
import { windowUnits } from "../viewer/film";
import { drawTargetOf, keyInReview, overlaysOf } from "../viewer/indications";
import { useFilm } from "../viewer/use-film";
import { useFilmView } from "../viewer/use-film-view";
import { useIndications } from "../viewer/use-indications";
import { useReview } from "../viewer/use-review";
import { useViewerKeys } from "../viewer/use-viewer-keys";

export function ViewerPage({ jobId }: { jobId: string }) {
  const [selected, setSelected] = useState<string | null>(null);
  const [drawing, setDrawing] = useState(false);
  const [drawClass, setDrawClass] = useState(0);
  const [error, setError] = useState<unknown>(null);

  const film = useFilm(jobId, setError);
  const { job, windowing } = film;
  const imageReady = windowing !== null;
  const { review, busy, act } = useReview(jobId, imageReady && job?.status === "succeeded", {
    onError: setError,
    onLoad: (loaded) => setSelected((key) => keyInReview(key, loaded.review)),
  });
  const view = useIndications(job, review, selected);
  const { shown, current, classes } = view;

  const { canvasRef, viewRef } = useFilmView(jobId, {
    film: windowing?.film ?? null,
    contrast: film.contrast,
    overlays: overlaysOf(shown, selected),
    drawing,
    events: {
      onSelect: setSelected,
      onDraw: (box) => {
        // One box per press of "Draw": the next drag pans again.
        setDrawing(false);
        act([{ type: "add", ...drawTargetOf(classes, drawClass), box }]);
      },
      onResize: (itemId, box) => act([{ type: "resize", itemId, box }]),
    },
  });
  useViewerKeys({
    view: viewRef,
    order: shown.map((item) => item.key),
    selected,
    select: setSelected,
    setMinScore: view.setMinScore,
    autoWindow: film.autoWindow,
    setDrawing,
    decide: review && current ? (type) => act([{ type, itemId: current.key }]) : null,
    reviewable: review !== null,
  });

  const title = film.image?.filename ?? job?.image.id ?? "image";
  return (
    <section class="viewer">
      <h1 class="visually-hidden">Viewer: {title}</h1>
      <div class="viewer-layout">
        <FilmArea
          canvasRef={canvasRef}
          title={title}
          imageReady={imageReady}
          reviewable={review !== null}
          shownCount={shown.length}
          job={job}
        />
        <aside class="side-panel" aria-label="Viewer controls">
          <ErrorMessage error={error} />
          {job && (
            <p class="hint" data-testid="viewer-model">
              Detections by <ResultModel model={job.model} />
            </p>
          )}
          <ViewerControls
            minScore={view.minScore}
            onMinScore={view.setMinScore}
            classes={classes}
            hidden={view.hidden}
            onToggleClass={view.toggleClass}
            window={film.contrast}
            range={windowing?.range ?? null}
            units={windowing ? windowUnits(windowing.film) : ""}
            onWindow={film.setContrast}
            onAutoWindow={film.autoWindow}
            onResetWindow={film.resetWindow}
            onZoom={(factor) => viewRef.current?.zoomBy(factor)}
            onFit={() => viewRef.current?.fit()}
          />
          <IndicationList
            shown={shown}
            total={view.indications.length}
            selected={selected}
            onSelect={setSelected}
          />
          {review && current && (
            <ReviewPanel indication={current} classes={classes} onAct={act} busy={busy} />
          )}
          {review && (
            <DrawPanel
              classes={classes}
              drawClass={drawClass}
              onDrawClass={setDrawClass}
              drawing={drawing}
              onDrawing={setDrawing}
            />
          )}
          {job?.status === "succeeded" && <ExportPanel jobId={jobId} onError={setError} />}
        </aside>
      </div>
    </section>
  );
}
