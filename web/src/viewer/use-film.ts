import type { WindowLevel } from "@common/imaging/intensity";
import { useEffect, useRef, useState } from "hono/jsx/dom";
import { getImage, getImageContent } from "../api/images";
import { finishedJob } from "../api/jobs";
import type { Image, Job } from "../api/types";
import { autoWindow, defaultWindow, type Film, filmHistogram } from "./film";
import { loadFilm } from "./film-loading";
import { filmValueRange, type ValueRange } from "./window-presets";

/** What the window controls need of the film, computed once when it is decoded. */
export type Windowing = {
  film: Film;
  histogram: Uint32Array;
  initial: WindowLevel;
  /** The values the film holds: the bounds of the window controls. */
  range: ValueRange;
};

export type FilmState = {
  job: Job | null;
  image: Image | null;
  /** Null until the film is decoded. */
  windowing: Windowing | null;
  /** The window/level the film is shown through. */
  contrast: WindowLevel | null;
  setContrast(window: WindowLevel): void;
  autoWindow(): void;
  resetWindow(): void;
};

/**
 * The job until it finishes, then its image: metadata, bytes, decoded film and the window/level
 * it is shown through.
 */
export function useFilm(jobId: string, onError: (error: unknown) => void): FilmState {
  const [job, setJob] = useState<Job | null>(null);
  const [image, setImage] = useState<Image | null>(null);
  const [windowing, setWindowing] = useState<Windowing | null>(null);
  const [contrast, setContrast] = useState<WindowLevel | null>(null);
  const reportError = useRef(onError);
  reportError.current = onError;

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const found = await finishedJob(jobId, (next) => !cancelled && setJob(next));
      if (cancelled) return;
      const [meta, content] = await Promise.all([getImage(found.image.id), getImageContent(found.image.id)]);
      const film = await loadFilm(content);
      if (cancelled) return;
      const histogram = filmHistogram(film);
      const initial = defaultWindow(film, histogram);
      setImage(meta);
      setWindowing({ film, histogram, initial, range: filmValueRange(histogram, film.info.rescale) });
      setContrast(initial);
    })().catch((failure) => !cancelled && reportError.current(failure));
    return () => {
      cancelled = true;
    };
  }, [jobId]);

  return {
    job,
    image,
    windowing,
    contrast,
    setContrast,
    autoWindow: () => windowing && setContrast(autoWindow(windowing.film, windowing.histogram)),
    resetWindow: () => windowing && setContrast(windowing.initial),
  };
}
