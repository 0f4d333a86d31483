import type { WindowLevel } from "@common/imaging/intensity";
import { type RefObject, useEffect, useRef } from "hono/jsx/dom";
import type { Film } from "./film";
import { FilmView, type FilmViewEvents, type Overlay } from "./film-view";

export type FilmViewInput = {
  film: Film | null;
  contrast: WindowLevel | null;
  overlays: Overlay[];
  drawing: boolean;
  events: FilmViewEvents;
};

/**
 * The canvas's `FilmView`, kept in step with the page: the film, its window, the boxes and the
 * pointer mode. The canvas calls back long after render, so it reads the latest events.
 */
export function useFilmView(
  jobId: string,
  { film, contrast, overlays, drawing, events }: FilmViewInput,
): { canvasRef: RefObject<HTMLCanvasElement | null>; viewRef: RefObject<FilmView | null> } {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<FilmView | null>(null);
  const latest = useRef(events);
  latest.current = events;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const view = new FilmView(canvas, {
      onSelect: (key) => latest.current.onSelect(key),
      onDraw: (box) => latest.current.onDraw(box),
      onResize: (key, box) => latest.current.onResize(key, box),
    });
    viewRef.current = view;
    return () => {
      view.dispose();
      viewRef.current = null;
    };
  }, [jobId]);

  useEffect(() => {
    if (film) viewRef.current?.setImage(film);
  }, [film]);
  useEffect(() => {
    if (film && contrast) viewRef.current?.setWindow(contrast);
  }, [film, contrast]);
  useEffect(() => viewRef.current?.setOverlays(overlays));
  useEffect(() => viewRef.current?.setMode(drawing ? "draw" : "select"), [drawing]);

  return { canvasRef, viewRef };
}
