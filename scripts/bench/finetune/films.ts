/**
 * Style-B films for the fine-tuning bench, drawn by the generator (`inference/generator`, style B:
 * 3,000–6,000 × 400–900 px strips at the model's resolution) with its labels standing in for an
 * inspector's review. Training and held-out films come from separate seed streams, so no film is
 * in both; the first N training films of a larger N are those of a smaller one.
 */
import { planStyleBScene } from "@generator/film";
import { encodePng } from "@generator/png";
import { deriveSeed, Rng } from "@generator/prng";
import { type Label, renderSample } from "@generator/sample";

/** A rendered film: PNG bytes (8-bit grey), its size and the generator's labels in film pixels. */
export type Film = { seed: number; png: Uint8Array; width: number; height: number; labels: Label[] };

export type FilmSet = "train" | "held-out" | "real-size";

/** The shipped model's input: style B's defect count is planned per area of it. */
const MODEL_INPUT_PX = 320;

/** The real-size films: about 5,000 px long with about this many defects each. */
export const REAL_SIZE = { width: 5000, widthSlack: 500, minHeight: 500, defects: 50 } as const;
/**
 * Labels per `imgsz²` of a style-B film: U(0.4, 0.9) defect events, each leaving a few labels (pore
 * clusters, chains); measured on the bench's first real-size films.
 */
const LABELS_PER_AREA = 2.2;
/** Seeds looked at for a real-size film before giving up (a width near 5,000 is one in three). */
const REAL_SIZE_SEED_LIMIT = 10_000;

const filmSeed = (baseSeed: number, set: FilmSet, index: number) =>
  deriveSeed(baseSeed, `finetune-bench-${set}`, index);

async function render(seed: number, imgsz: number): Promise<Film> {
  const sample = renderSample(seed, { imgsz, style: "b" });
  // A plain Uint8Array: Miniflare refuses Node's pooled Buffers as request bodies.
  const png = new Uint8Array(await encodePng(sample.image, 8));
  return { seed, png, width: sample.image.width, height: sample.image.height, labels: sample.labels };
}

/** Films `from`..`to - 1` of a set (style B, defects planned for the shipped model's input). */
export async function renderStyleB(
  baseSeed: number,
  set: FilmSet,
  from: number,
  to: number,
): Promise<Film[]> {
  const films: Film[] = [];
  for (let i = from; i < to; i++) films.push(await render(filmSeed(baseSeed, set, i), MODEL_INPUT_PX));
  return films;
}

/**
 * `count` real-size films: style-B seeds whose planned strip is 4,500–5,500 px long and at least
 * 500 px high (style B stops at 900), drawn with the generator's density control (`imgsz`: defect
 * events per `imgsz²`) set so that about 50 labelled defects fall on each.
 */
export async function renderRealSize(baseSeed: number, count: number): Promise<Film[]> {
  const films: Film[] = [];
  for (let i = 0; films.length < count && i < REAL_SIZE_SEED_LIMIT; i++) {
    const seed = filmSeed(baseSeed, "real-size", i);
    const { width, height } = planStyleBScene(new Rng(deriveSeed(seed, "scene")));
    if (Math.abs(width - REAL_SIZE.width) > REAL_SIZE.widthSlack || height < REAL_SIZE.minHeight) continue;
    const imgsz = Math.round(Math.sqrt((width * height * LABELS_PER_AREA) / REAL_SIZE.defects));
    films.push(await render(seed, imgsz));
  }
  if (films.length < count)
    throw new Error(`only ${films.length} real-size films in ${REAL_SIZE_SEED_LIMIT} seeds`);
  return films;
}

export const objectsIn = (films: readonly Film[]) => films.reduce((sum, film) => sum + film.labels.length, 0);
