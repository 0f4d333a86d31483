import type { WindowLevel } from "@common/imaging/intensity";
import { type RefObject, useEffect, useRef, useState } from "hono/jsx/dom";
import type { CaptionMode } from "./caption-layout";
import type { Film } from "./film";
import { FilmView, type FilmViewEvents, type Overlay } from "./film-view";
import type { ValueRange } from "./window-presets";

export type FilmViewInput = {
  film: Film | null;
  contrast: WindowLevel | null;
  /** The values right-drag window/level stays within. */
  range: ValueRange | null;
  overlays: Overlay[];
  drawing: boolean;
  captions: CaptionMode;
  events: FilmViewEvents;
};

/**
 * The canvas's `FilmView`, kept in step with the page: the film, its window, the boxes, their
 * captions and the pointer mode. The canvas calls back long after render, so it reads the latest events.
 */
export function useFilmView(
  jobId: string,
  { film, contrast, range, overlays, drawing, captions, events }: FilmViewInput,
): {
  canvasRef: RefObject<HTMLCanvasElement | null>;
  viewRef: RefObject<FilmView | null>;
  /** The same view as state, for components that draw from it (the overview map). */
  view: FilmView | null;
} {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<FilmView | null>(null);
  const [view, setView] = useState<FilmView | null>(null);
  const latest = useRef(events);
  latest.current = events;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const view = new FilmView(canvas, {
      onSelect: (key) => latest.current.onSelect(key),
      onDraw: (box) => latest.current.onDraw(box),
      onResize: (key, box) => latest.current.onResize(key, box),
      onWindow: (window) => latest.current.onWindow(window),
    });
    viewRef.current = view;
    setView(view);
    return () => {
      view.dispose();
      viewRef.current = null;
      setView(null);
    };
  }, [jobId]);

  useEffect(() => {
    if (film) viewRef.current?.setImage(film);
  }, [film]);
  useEffect(() => {
    if (film && contrast) viewRef.current?.setWindow(contrast);
  }, [film, contrast]);
  useEffect(() => viewRef.current?.setWindowRange(range), [range]);
  useEffect(() => viewRef.current?.setOverlays(overlays));
  useEffect(() => viewRef.current?.setCaptions(captions), [captions]);
  useEffect(() => viewRef.current?.setMode(drawing ? "draw" : "select"), [drawing]);

  return { canvasRef, viewRef, view };
}
