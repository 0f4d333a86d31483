import type { Film } from "./film";
import { DECODE_MEASURE, filmFormat } from "./film-format";

/** Pixels the browser decodes, read once into 8-bit RGBA. */
async function decodeInBrowser(blob: Blob): Promise<Film> {
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  return { width: canvas.width, height: canvas.height, channels: 4, values: data, info: { bitsStored: 8 } };
}

/**
 * Decodes a downloaded film once. The JavaScript decoders are a separate chunk, loaded on the
 * first PNG, TIFF or DICONDE film, so pages without a film never download them.
 */
export async function loadFilm(blob: Blob): Promise<Film> {
  const started = performance.now();
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const format = filmFormat(bytes.subarray(0, 132));
  let film: Film;
  if (format === "browser") film = await decodeInBrowser(blob);
  else film = (await import("./film-decoders")).decodeFilm(bytes, format);
  performance.measure(DECODE_MEASURE, { start: started, detail: format });
  return film;
}
