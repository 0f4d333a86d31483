/**
 * The films jobs run on: the generator's ordinary test films at the sizes it draws them (480–1280 px
 * on the long side, aspect 1–4, a third transposed), as 8-bit grey PNG, the way users send them.
 */
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { percentile } from "../stats";

/** The shipped model's input size, which the generator plans defect sizes for. */
const MODEL_IMGSZ = 320;

export type Film = { png: Buffer; width: number; height: number };

export async function renderFilms(count: number): Promise<Film[]> {
  const films: Film[] = [];
  for (let i = 0; i < count; i++) {
    const sample = renderSample(deriveSeed(2026, "bench-e2e", i), { imgsz: MODEL_IMGSZ });
    const png = Buffer.from(await encodePng(sample.image, 8));
    films.push({ png, width: sample.image.width, height: sample.image.height });
  }
  return films;
}

/** One line: how many films, their sides, pixels and PNG sizes. */
export function describeFilms(films: Film[]): string {
  const sides = films.flatMap((f) => [f.width, f.height]);
  const megapixels = films.map((f) => (f.width * f.height) / 1e6);
  const kib = films.map((f) => f.png.length / 1024);
  const largest = films.reduce((a, f) => (f.width * f.height > a.width * a.height ? f : a));
  return (
    `${films.length} generator films (8-bit PNG): sides ${Math.min(...sides)}–${Math.max(...sides)} px, ` +
    `largest ${largest.width} × ${largest.height}, median ${percentile(megapixels, 50).toFixed(2)} MP ` +
    `(${Math.min(...megapixels).toFixed(2)}–${Math.max(...megapixels).toFixed(2)} MP), ` +
    `PNG median ${percentile(kib, 50).toFixed(0)} KiB (max ${Math.max(...kib).toFixed(0)} KiB)`
  );
}
