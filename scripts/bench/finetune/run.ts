/**
 * `npm run bench:finetune`: what the model lifecycle buys on a film style the shipped model was not
 * trained on (issue #20). Through the product's API only, for each N: detect on N style-B films
 * with the shipped model, write the generator's labels as the review, build a dataset of those
 * reviewed jobs, fine-tune the shipped model on it with the real trainer service, and score the
 * shipped model and the new version on held-out style-B films by jobs (see held-out.ts).
 * `--real-size` instead times one fine-tune on 5 real-size films against the 30-minute target.
 *
 *   npm run bench:finetune -- [--n 10,25,50] [--held-out 200] [--epochs 10] [--imgsz 320]
 *     [--tile-size 320] [--threads 2] [--seed 1] [--train-timeout-min 120] [--real-size]
 *
 * Needs Python with torch, onnx, numpy, PIL and yaml (`PYTHON`, else Debian's); exits 2 without.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  TRAINER_APT_PACKAGES,
  trainerPython,
  trainerPythonProblem,
} from "@scripts/local-stack/python-trainer";
import { uploadImage, versionEvaluation } from "./api";
import { objectsIn, renderRealSize, renderStyleB } from "./films";
import { type HeldOut, scoreOnHeldOut } from "./held-out";
import { BASE_MODEL, detectAndReview, type Reviewed, type TrainParams, trainOn } from "./loop";
import { perClassTable, type Row, TARGET, table, targetHolds } from "./report";
import { type BenchStack, startBenchStack } from "./stack";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10,25,50" },
    "held-out": { type: "string", default: "200" },
    epochs: { type: "string", default: "10" },
    imgsz: { type: "string" },
    "tile-size": { type: "string" },
    threads: { type: "string", default: "2" },
    seed: { type: "string", default: "1" },
    "train-timeout-min": { type: "string", default: "120" },
    "real-size": { type: "boolean", default: false },
  },
});

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got ${text}`);
  return value;
}

const ns = (values.n ?? "").split(",").map((part) => positive("n", part.trim()));
const heldOutCount = positive("held-out", values["held-out"]);
const seed = positive("seed", values.seed);
const threads = positive("threads", values.threads);
const trainBoundMs = positive("train-timeout-min", values["train-timeout-min"]) * 60_000;
const params: TrainParams = {
  epochs: positive("epochs", values.epochs),
  ...(values.imgsz ? { imgsz: positive("imgsz", values.imgsz) } : {}),
  ...(values["tile-size"] ? { tileSize: positive("tile-size", values["tile-size"]) } : {}),
};
/** Jobs on a batch of style-B strips on a busy machine. */
const JOBS_BOUND_MS = 60 * 60_000;
/**
 * The product's own evaluation of a version (a few val strips, two models: about a minute); past
 * this the table shows "–" for it rather than hold up the run.
 */
const EVALUATION_BOUND_MS = 5 * 60_000;
/** Issue #20: a fine-tune on 5 real-size films finishes within 30 minutes on the 2-core machine. */
const REAL_SIZE_FILMS = 5;
const REAL_SIZE_TARGET_SECONDS = 30 * 60;

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

async function heldOutSet(stack: BenchStack): Promise<HeldOut> {
  const films = await renderStyleB(seed, "held-out", 0, heldOutCount);
  log(`held-out: ${films.length} style-B films, ${objectsIn(films)} objects; uploading`);
  const imageIds: string[] = [];
  for (const film of films) imageIds.push(await uploadImage(stack.worker, stack.auth, film.png));
  return { films, imageIds };
}

async function sweep(stack: BenchStack): Promise<Row[]> {
  const heldOut = await heldOutSet(stack);
  const before = await scoreOnHeldOut(stack.worker, stack.auth, heldOut, BASE_MODEL, JOBS_BOUND_MS);
  log(
    `shipped model on held-out: mAP@0.5 ${before.metrics.map50.toFixed(3)} (${before.seconds.toFixed(0)} s)`,
  );
  const reviewed: Reviewed = { jobIds: [], tallies: [] };
  const rows: Row[] = [];
  for (const n of [...ns].sort((a, b) => a - b)) {
    const films = await renderStyleB(seed, "train", reviewed.jobIds.length, n);
    log(`N = ${n}: ${films.length} more training films (${objectsIn(films)} objects); detect and review`);
    await detectAndReview(stack, films, reviewed, JOBS_BOUND_MS);
    log(`N = ${n}: training (${JSON.stringify(params)}), load ${load()}`);
    const trained = await trainOn(stack, reviewed, n, "style-b", params, trainBoundMs);
    log(
      `N = ${n}: ${trained.model} in ${trained.wallSeconds.toFixed(0)} s, CPU ${trained.cpuSeconds.toFixed(0)} s`,
    );
    const after = await scoreOnHeldOut(stack.worker, stack.auth, heldOut, trained.model, JOBS_BOUND_MS);
    const own = await versionEvaluation(
      stack.worker,
      stack.auth,
      { name: "style-b", version: trained.version },
      EVALUATION_BOUND_MS,
    );
    const productValMap50 = own?.table?.metrics.find((m) => m.metric === "mAP@0.5")?.candidate ?? null;
    rows.push({ n, ...trained, before: before.metrics, after: after.metrics, productValMap50 });
    log(`N = ${n}: held-out mAP@0.5 ${before.metrics.map50.toFixed(3)} → ${after.metrics.map50.toFixed(3)}`);
    // The table so far, so a run stopped before the largest N still leaves its measurements.
    console.log(`\n${table(rows)}\n\n${perClassTable(rows)}\n`);
  }
  return rows;
}

async function realSize(stack: BenchStack) {
  const films = await renderRealSize(seed, REAL_SIZE_FILMS);
  const sizes = films.map((film) => `${film.width}×${film.height} (${film.labels.length})`).join(", ");
  log(`real-size: ${films.length} films, ${objectsIn(films)} objects: ${sizes}`);
  const reviewed: Reviewed = { jobIds: [], tallies: [] };
  await detectAndReview(stack, films, reviewed, JOBS_BOUND_MS);
  log(`real-size: training (${JSON.stringify(params)}), load ${load()}`);
  const trained = await trainOn(stack, reviewed, films.length, "real-size", params, trainBoundMs);
  const within = trained.wallSeconds <= REAL_SIZE_TARGET_SECONDS;
  console.log(
    `\n| films (objects) | films train/val | epochs | training wall s (claim→finish) | trainer CPU s | load before/after | within 30 min |`,
  );
  console.log("|---|---|---|---|---|---|---|");
  console.log(
    `| ${sizes} | ${trained.films.train}/${trained.films.val} | ${trained.epochs} | ${trained.wallSeconds.toFixed(0)} (${trained.trainerSeconds?.toFixed(0) ?? "–"}) | ${trained.cpuSeconds.toFixed(0)} | ${trained.load.before.toFixed(1)}/${trained.load.after.toFixed(1)} | **${within ? "yes" : "no"}** |`,
  );
}

async function main(): Promise<number> {
  const python = trainerPython();
  const problem = await trainerPythonProblem(python);
  if (problem) {
    console.error(
      `bench:finetune needs the trainer's Python: ${problem}; apt-get install ${TRAINER_APT_PACKAGES}`,
    );
    return 2;
  }
  log(`load average ${load()}; options ${JSON.stringify({ ns, heldOutCount, seed, threads, ...params })}`);
  const workDir = await mkdtemp(join(tmpdir(), "bench-finetune-"));
  const stack = await startBenchStack({
    python,
    workDir,
    trainerThreads: threads,
    inferenceThreads: threads,
  });
  try {
    if (values["real-size"]) {
      await realSize(stack);
      return 0;
    }
    const rows = await sweep(stack);
    console.log(`\n${table(rows)}\n\nPer-class AP@0.5 on the held-out films:\n\n${perClassTable(rows)}\n`);
    const row = rows.find((r) => r.n === TARGET.n);
    console.log(
      row
        ? `target (N = ${TARGET.n}: mAP@0.5 ×${TARGET.factor} and ≥ ${TARGET.map50}): ${targetHolds(row) ? "holds" : "does not hold"}`
        : `target not measured: it is for N = ${TARGET.n}`,
    );
    log(`load average at the end ${load()}`);
    return 0;
  } catch (error) {
    console.error(error);
    return 1;
  } finally {
    await stack.dispose();
    await rm(workDir, { recursive: true, force: true });
  }
}

process.exit(await main());
