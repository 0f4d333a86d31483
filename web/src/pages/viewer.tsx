import { useMemo, useState } from "hono/jsx/dom";
import { DrawPanel } from "../components/draw-panel";
import { ErrorMessage } from "../components/error-message";
import { ExportPanel } from "../components/export-panel";
import { FilmArea } from "../components/film-area";
import { IndicationList } from "../components/indication-list";
import { MeasureOverlay } from "../components/measure-overlay";
import { MeasurePanel } from "../components/measure-panel";
import { ResultModel } from "../components/result-model";
import { ReviewPanel, ReviewSummary } from "../components/review-panel";
import { ViewerControls } from "../components/viewer-controls";
import { documentTitle, useDocumentTitle } from "../document-title";
import type { CaptionMode } from "../viewer/caption-layout";
import { windowUnits } from "../viewer/film";
import { classChoices, drawTargetOf, keyInReview, overlaysOf } from "../viewer/indications";
import { useFilm } from "../viewer/use-film";
import { useFilmView } from "../viewer/use-film-view";
import { useIndications } from "../viewer/use-indications";
import { useMeasure } from "../viewer/use-measure";
import { useModelFigures } from "../viewer/use-model-figures";
import { useReview } from "../viewer/use-review";
import { useViewerKeys } from "../viewer/use-viewer-keys";
import { presetWindows } from "../viewer/window-presets";

export function ViewerPage({ jobId }: { jobId: string }) {
  const [selected, setSelected] = useState<string | null>(null);
  const [drawing, setDrawing] = useState(false);
  const [drawClass, setDrawClass] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [captions, setCaptions] = useState<CaptionMode>("on");

  const film = useFilm(jobId, setError);
  const { job, windowing } = film;
  const imageReady = windowing !== null;
  const { review, busy, act, undo, redo, history } = useReview(
    jobId,
    imageReady && job?.status === "succeeded",
    {
      onError: setError,
      onLoad: (loaded) => setSelected((key) => keyInReview(key, loaded.review)),
    },
  );
  const view = useIndications(job, review, selected);
  const { shown, current, classes } = view;
  // Drawing and relabelling offer the model's classes, not only those on this film.
  const choices = classChoices(job?.model.classes, classes);

  const figures = useModelFigures(job);
  const presets = useMemo(
    () => (windowing ? presetWindows(windowing.histogram, windowing.film.info.rescale) : []),
    [windowing],
  );
  const {
    canvasRef,
    viewRef,
    view: filmView,
  } = useFilmView(jobId, {
    film: windowing?.film ?? null,
    contrast: film.contrast,
    range: windowing?.range ?? null,
    overlays: overlaysOf(shown, selected),
    drawing,
    captions,
    events: {
      onWindow: film.setContrast,
      onSelect: setSelected,
      onDraw: (box) => {
        // One box per press of "Draw": the next drag pans again.
        setDrawing(false);
        const target = drawTargetOf(choices, drawClass);
        if (target) act([{ type: "add", ...target, box }]);
      },
      onResize: (itemId, box) => act([{ type: "resize", itemId, box }]),
    },
  });
  const measuring = useMeasure({ canvasRef, view: filmView, film, review, selected, onError: setError });
  useViewerKeys({
    view: viewRef,
    order: shown.map((item) => item.key),
    selected,
    select: setSelected,
    setMinScore: view.setMinScore,
    autoWindow: film.autoWindow,
    setDrawing,
    decide: review ? (type, itemId) => act([{ type, itemId }]) : null,
    reviewable: review !== null && choices.length > 0,
    undo: review ? undo : null,
    redo: review ? redo : null,
  });

  const title = film.image?.filename ?? job?.image.filename ?? job?.image.id ?? "image";
  const weldId = job?.image.weldId ?? null;
  const partId = job?.image.partId ?? null;
  useDocumentTitle(job ? documentTitle(title, weldId && `weld ${weldId}`) : null);
  return (
    <section class="viewer">
      <header class="film-identity">
        <h1 data-testid="film-name">{title}</h1>
        {(weldId || partId) && (
          <p class="hint" data-testid="film-ids">
            {[weldId && `Weld ${weldId}`, partId && `Part ${partId}`].filter(Boolean).join(" · ")}
          </p>
        )}
      </header>
      <div class="viewer-layout">
        <FilmArea
          canvasRef={canvasRef}
          title={title}
          imageReady={imageReady}
          reviewable={review !== null}
          shownCount={shown.length}
          job={job}
          view={filmView}
        >
          <MeasureOverlay refs={measuring.refs} />
        </FilmArea>
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
            jobConf={job?.params.conf ?? 0}
            figures={figures}
            selectedScore={current?.score != null ? { label: current.label, score: current.score } : null}
            classes={classes}
            hidden={view.hidden}
            onToggleClass={view.toggleClass}
            window={film.contrast}
            range={windowing?.range ?? null}
            units={windowing ? windowUnits(windowing.film) : ""}
            presets={presets}
            onWindow={film.setContrast}
            onAutoWindow={film.autoWindow}
            onResetWindow={film.resetWindow}
            onZoom={(factor) => viewRef.current?.zoomBy(factor)}
            onFit={(kind) => viewRef.current?.fitTo(kind)}
            onStep={(direction) => viewRef.current?.step(direction)}
            captions={captions}
            onCaptions={setCaptions}
          />
          <IndicationList
            shown={shown}
            total={view.indications.length}
            selected={selected}
            onSelect={setSelected}
            sizes={measuring.measures}
          />
          {review && current && <ReviewPanel indication={current} classes={choices} onAct={act} />}
          {review && (
            <ReviewSummary
              review={review.review}
              busy={busy}
              history={history}
              threshold={view.minScore}
              onAct={act}
              onUndo={undo}
              onRedo={redo}
            />
          )}
          {review && (
            <DrawPanel
              classes={choices}
              drawClass={drawClass}
              onDrawClass={setDrawClass}
              drawing={drawing}
              onDrawing={setDrawing}
            />
          )}
          {imageReady && <MeasurePanel measuring={measuring} />}
          {job?.status === "succeeded" && <ExportPanel jobId={jobId} onError={setError} />}
        </aside>
      </div>
    </section>
  );
}
