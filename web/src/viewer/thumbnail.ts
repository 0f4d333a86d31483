import { getImageContent } from "../api/images";
import { autoWindow, filmHistogram, renderFilm } from "./film";
import { filmFormat } from "./film-format";

/**
 * Small previews of films for the lists, made in the browser with the viewer's own decoders (the
 * edge has no decoder for 16-bit TIFF or DICONDE). Bounded: only films up to
 * `THUMBNAIL_MAX_PIXELS` get one, one film is decoded at a time, and each is made once per tab
 * (the content itself is cached by the browser: the API sends it `private, max-age=3600`).
 */
export const THUMBNAIL = { width: 96, height: 64 } as const;
export const THUMBNAIL_MAX_PIXELS = 24_000_000;
/** Previews kept in memory; the oldest is dropped past this. */
const CACHED = 300;

const made = new Map<string, Promise<string | null>>();
let line: Promise<unknown> = Promise.resolve();

function thumbnailCanvas(width: number, height: number) {
  const scale = Math.min(THUMBNAIL.width / width, THUMBNAIL.height / height, 1);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  return canvas;
}

async function make(id: string): Promise<string> {
  const blob = await getImageContent(id);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const format = filmFormat(bytes.subarray(0, 132));
  let source: CanvasImageSource;
  let width: number;
  let height: number;
  if (format === "browser") {
    const bitmap = await createImageBitmap(blob);
    [source, width, height] = [bitmap, bitmap.width, bitmap.height];
  } else {
    // Stored values through the automatic window, as the viewer first shows a film.
    const film = (await import("./film-decoders")).decodeFilm(bytes, format);
    const full = document.createElement("canvas");
    [full.width, full.height] = [film.width, film.height];
    const context = full.getContext("2d") as CanvasRenderingContext2D;
    const pixels = context.createImageData(film.width, film.height);
    renderFilm(film, autoWindow(film, filmHistogram(film)), pixels.data);
    context.putImageData(pixels, 0, 0);
    [source, width, height] = [full, film.width, film.height];
  }
  const canvas = thumbnailCanvas(width, height);
  (canvas.getContext("2d") as CanvasRenderingContext2D).drawImage(source, 0, 0, canvas.width, canvas.height);
  if (source instanceof ImageBitmap) source.close();
  return canvas.toDataURL("image/png");
}

/** A data URL of the film's preview; null for a film too large to preview or one that failed. */
export function thumbnailOf(image: { id: string; width: number; height: number }): Promise<string | null> {
  if (image.width * image.height > THUMBNAIL_MAX_PIXELS) return Promise.resolve(null);
  const known = made.get(image.id);
  if (known) return known;
  const next = line.then(() => make(image.id)).catch(() => null);
  line = next;
  made.set(image.id, next);
  if (made.size > CACHED) made.delete(made.keys().next().value as string);
  return next;
}
