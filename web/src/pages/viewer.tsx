import type { WindowLevel } from "@common/imaging/intensity";
import { useEffect, useMemo, useRef, useState } from "hono/jsx/dom";
import { api } from "../api/instance";
import type { Image, Job, ReviewAction } from "../api/types";
import { DrawPanel } from "../components/draw-panel";
import { ErrorMessage } from "../components/error-message";
import { ExportPanel } from "../components/export-panel";
import { ReviewPanel } from "../components/review-panel";
import { ViewerControls } from "../components/viewer-controls";
import { classColour, classesOf, isShown } from "../viewer/detections";
import { autoWindow, defaultWindow, type Film, filmHistogram, valueRange, windowUnits } from "../viewer/film";
import { loadFilm } from "../viewer/film-loading";
import { FilmView } from "../viewer/film-view";
import {
  applyActions,
  fromJob,
  fromReview,
  type Indication,
  isStale,
  JOB_DETECTION_KEY,
  loadReview,
  type ReviewState,
} from "../viewer/indications";
import { shortcutFor } from "../viewer/shortcuts";

/** Long-polls until the job has finished (each wait holds no database connection on the edge). */
async function finishedJob(jobId: string, onUpdate: (job: Job) => void): Promise<Job> {
  let job = await api.call<Job>(`/v1/jobs/${jobId}`);
  onUpdate(job);
  while (job.status === "queued" || job.status === "running") {
    job = await api.call<Job>(`/v1/jobs/${jobId}?wait=25`);
    onUpdate(job);
  }
  return job;
}

const PAN_STEP = 60;

/** What the window controls need of the film, computed once when it is decoded. */
type Windowing = {
  film: Film;
  histogram: Uint32Array;
  initial: WindowLevel;
  range: { min: number; max: number };
};

export function ViewerPage({ jobId }: { jobId: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<FilmView | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [image, setImage] = useState<Image | null>(null);
  const [review, setReview] = useState<ReviewState | null>(null);
  const [imageReady, setImageReady] = useState(false);
  const [minScore, setMinScore] = useState(0);
  const [hidden, setHidden] = useState<Set<number>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [drawing, setDrawing] = useState(false);
  const [drawClass, setDrawClass] = useState(0);
  const [windowing, setWindowing] = useState<Windowing | null>(null);
  const [contrast, setContrast] = useState<WindowLevel | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const indications: Indication[] = useMemo(
    () => (review ? fromReview(review.review) : job ? fromJob(job) : []),
    [review, job],
  );
  const classes = useMemo(() => classesOf(indications), [indications]);
  const shown = indications.filter((item) =>
    isShown({ score: item.score ?? 1, classId: item.classId }, minScore, hidden),
  );
  const current = indications.find((item) => item.key === selected) ?? null;

  async function act(actions: ReviewAction[]) {
    if (!review) return;
    setBusy(true);
    setError(null);
    try {
      setReview(await applyActions(api, jobId, review.etag, actions));
    } catch (failure) {
      setError(failure);
      if (isStale(failure)) setReview(await loadReview(api, jobId));
    } finally {
      setBusy(false);
    }
  }
  // A drawn box takes the class chosen beside the Draw button.
  const drawTarget = useRef({ classId: 0, label: "defect" });
  const chosen = classes.find((entry) => entry.classId === drawClass);
  drawTarget.current = chosen
    ? { classId: chosen.classId, label: chosen.label }
    : { classId: drawClass, label: "defect" };
  // The canvas calls back long after render: it reads the latest handlers through this ref.
  const handlers = useRef({ act, setSelected, setDrawing });
  handlers.current = { act, setSelected, setDrawing };

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const view = new FilmView(canvas, {
      onSelect: (key) => handlers.current?.setSelected(key),
      onDraw: (box) => {
        // One box per press of "Draw": the next drag pans again.
        handlers.current?.setDrawing(false);
        handlers.current?.act([{ type: "add", ...drawTarget.current, box }]);
      },
      onResize: (itemId, box) => handlers.current?.act([{ type: "resize", itemId, box }]),
    });
    viewRef.current = view;
    let cancelled = false;
    (async () => {
      const found = await finishedJob(jobId, (next) => !cancelled && setJob(next));
      if (cancelled) return;
      const [meta, content] = await Promise.all([
        api.call<Image>(`/v1/images/${found.image.id}`),
        api.request(`/v1/images/${found.image.id}/content`),
      ]);
      if (!content.ok) throw new Error(`the image could not be read (${content.status})`);
      const film = await loadFilm(await content.blob());
      if (cancelled) return;
      const histogram = filmHistogram(film);
      const initial = defaultWindow(film, histogram);
      setImage(meta);
      view.setImage(film);
      setWindowing({ film, histogram, initial, range: valueRange(film) });
      setContrast(initial);
      setImageReady(true);
      if (found.status !== "succeeded") return;
      const loaded = await loadReview(api, jobId);
      if (cancelled) return;
      setReview(loaded);
      // A detection picked before the review arrived stays picked: both lists are in rank order.
      setSelected((key) =>
        key?.startsWith(JOB_DETECTION_KEY)
          ? (loaded.review.items[Number(key.slice(JOB_DETECTION_KEY.length))]?.id ?? null)
          : key,
      );
    })().catch((failure) => !cancelled && setError(failure));
    return () => {
      cancelled = true;
      view.dispose();
      viewRef.current = null;
    };
  }, [jobId]);

  useEffect(() => {
    viewRef.current?.setOverlays(
      shown.map((item) => ({
        key: item.key,
        box: item.box,
        colour: classColour(item.classId),
        caption: `${item.label} ${item.score === null ? "drawn" : item.score.toFixed(2)}${item.decision === "pending" ? "" : ` · ${item.decision}`}`,
        selected: item.key === selected,
        dashed: item.decision === "rejected",
      })),
    );
  });

  useEffect(() => {
    if (imageReady && contrast) viewRef.current?.setWindow(contrast);
  }, [contrast, imageReady]);
  const automatic = () => windowing && setContrast(autoWindow(windowing.film, windowing.histogram));

  useEffect(() => viewRef.current?.setMode(drawing ? "draw" : "select"), [drawing]);

  // Assigned on every render, read by one listener: a key pressed right after a render sees that
  // render's state (its review version), never an earlier one's.
  const onKey = useRef<(event: KeyboardEvent) => void>(() => {});
  onKey.current = (event: KeyboardEvent) => {
    const view = viewRef.current;
    const action = shortcutFor(event);
    if (!view || !action) return;
    const order = shown.map((item) => item.key);
    const at = selected ? order.indexOf(selected) : -1;
    const step: Record<string, () => void> = {
      "zoom-in": () => view.zoomBy(1.25),
      "zoom-out": () => view.zoomBy(0.8),
      fit: () => view.fit(),
      "pan-left": () => view.panBy(PAN_STEP, 0),
      "pan-right": () => view.panBy(-PAN_STEP, 0),
      "pan-up": () => view.panBy(0, PAN_STEP),
      "pan-down": () => view.panBy(0, -PAN_STEP),
      "confidence-down": () => setMinScore((value) => Math.max(0, Math.round((value - 0.05) * 100) / 100)),
      "confidence-up": () => setMinScore((value) => Math.min(1, Math.round((value + 0.05) * 100) / 100)),
      "auto-window": automatic,
      next: () => order.length && setSelected(order[(at + 1) % order.length] ?? null),
      previous: () => order.length && setSelected(order[(at - 1 + order.length) % order.length] ?? null),
      deselect: () => {
        setSelected(null);
        setDrawing(false);
      },
      draw: () => review && setDrawing((value) => !value),
      accept: () => current && review && act([{ type: "accept", itemId: current.key }]),
      reject: () => current && review && act([{ type: "reject", itemId: current.key }]),
    };
    event.preventDefault();
    step[action]?.();
  };
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKey.current(event);
    addEventListener("keydown", listener);
    return () => removeEventListener("keydown", listener);
  }, []);

  const title = image?.filename ?? job?.image.id ?? "image";
  return (
    <section class="viewer">
      <h1 class="visually-hidden">Viewer: {title}</h1>
      <div class="viewer-layout">
        <div class="film-area">
          <canvas
            ref={canvasRef}
            class="film"
            data-testid="film"
            data-image-ready={imageReady ? "true" : "false"}
            data-reviewable={review ? "true" : "false"}
            data-visible-detections={String(shown.length)}
            role="img"
            aria-label={`${title} with ${shown.length} detections shown`}
            tabIndex={0}
          />
          {job && job.status !== "succeeded" && (
            <p class="film-status" role="status">
              Job {job.status}
              {job.error ? `: ${job.error}` : "…"}
            </p>
          )}
        </div>
        <aside class="side-panel" aria-label="Viewer controls">
          <ErrorMessage error={error} />
          <ViewerControls
            minScore={minScore}
            onMinScore={setMinScore}
            classes={classes}
            hidden={hidden}
            onToggleClass={(classId) =>
              setHidden((set) => {
                const next = new Set(set);
                if (!next.delete(classId)) next.add(classId);
                return next;
              })
            }
            window={contrast}
            range={windowing?.range ?? null}
            units={windowing ? windowUnits(windowing.film) : ""}
            onWindow={setContrast}
            onAutoWindow={automatic}
            onResetWindow={() => windowing && setContrast(windowing.initial)}
            onZoom={(factor) => viewRef.current?.zoomBy(factor)}
            onFit={() => viewRef.current?.fit()}
          />
          <section aria-labelledby="indications-heading">
            <h2 id="indications-heading">
              Detections ({shown.length} of {indications.length})
            </h2>
            <ul class="indications">
              {shown.map((item) => (
                <li>
                  <button
                    type="button"
                    class="indication"
                    aria-pressed={item.key === selected}
                    data-decision={item.decision}
                    onClick={() => setSelected(item.key)}
                  >
                    <span
                      class="swatch"
                      style={`background:${classColour(item.classId)}`}
                      aria-hidden="true"
                    />
                    {item.label} {item.score === null ? "drawn" : item.score.toFixed(2)} · {item.decision}
                  </button>
                </li>
              ))}
            </ul>
          </section>
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
