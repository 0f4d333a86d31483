/**
 * The model lifecycle with the real Python trainer service (inference/training/service/main.py,
 * run by path as a process): it pulls `train` from the local Queues API through Cloudflare's pull
 * protocol, claims the run from the Worker, downloads the dataset by presigned URLs, fine-tunes the
 * shipped weld-defects model for one epoch with one nice'd thread, reports the epoch, uploads the
 * ONNX file through the registry's signed upload (the edge verifies it) and finishes the run. The
 * real inference service evaluates each new version on its dataset's val split beside the model it
 * would replace, the promotion gate weighs that score, and jobs on the version (by `name@N`, then
 * by the name once it is production) run on that service, which loads it on demand.
 *
 * One team's story in two tests, in order: its labelled archive becomes `welds@1` and production;
 * then films detected by the shipped model, reviewed (accepted, rejected, relabelled, drawn), become
 * a dataset that trains `welds@2`, promoted over `welds@1` through the gate.
 *
 * Needs Python with torch, onnx, numpy, PIL and yaml (CI installs Debian's); skipped with a notice
 * without them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatasetSchema } from "@edge/routes/datasets/schema";
import { ModelVersionSchema, PromotionPageSchema, PromotionSchema } from "@edge/routes/models/schema";
import {
  type PythonTrainer,
  startPythonTrainer,
  TRAINER_APT_PACKAGES,
  trainerPython,
  trainerPythonProblem,
} from "@scripts/local-stack/python-trainer";
import { repoRoot } from "@scripts/local-stack/settings";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import {
  detect,
  evaluatedMap50,
  finishedEvaluation,
  finishedJob,
  importArchive,
  jsonHeaders,
  planReviews,
  renderFilm,
  renderFilms,
  splitDataset,
  startTraining,
  trainingOutcome,
  yoloArchive,
} from "@scripts/testing/lifecycle-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { review } from "@scripts/testing/review-fixtures";
import type { TestWorker } from "@scripts/testing/test-worker";
import { useFullStack } from "./full-stack-fixture";

/** One epoch on a handful of films, BatchNorm calibration, validation and export, on a busy 2-core machine. */
const TRAINING_BOUND_MS = 180_000;
/** Each test: its films, their jobs, one training run, and jobs on the result. */
const TEST_TIMEOUT_MS = 300_000;
/** The team's model: its registry name. */
const MODEL = "welds";

const python = trainerPython();
const problem = await trainerPythonProblem(python);
if (problem) {
  console.log(`model lifecycle system tests skipped: ${problem}; apt-get install ${TRAINER_APT_PACKAGES}`);
}

describe.skipIf(problem !== null)("the model lifecycle with the real trainer service", () => {
  const stack = useFullStack({ intraOpThreads: 1 });
  let trainer: PythonTrainer | undefined;
  let workDir = "";

  /** The trainer service, started once for the file, pulling the test Worker's `train`. */
  async function runningTrainer(worker: TestWorker): Promise<PythonTrainer> {
    if (trainer) return trainer;
    workDir = await mkdtemp(join(tmpdir(), "trainer-service-"));
    trainer = startPythonTrainer(python, {
      ...worker.detectQueue.trainerEnv,
      TRAINER_EDGE_URL: worker.origin,
      TRAINER_CALLBACK_TOKEN: worker.trainerCallbackToken,
      TRAINER_MODELS_DIR: join(repoRoot, "inference", "models"),
      TRAINER_WORK_DIR: workDir,
    });
    return trainer;
  }

  /** Queues a one-epoch fine-tune of the shipped model and waits for the trainer service to finish it. */
  async function trainToCompletion(
    worker: TestWorker,
    auth: string,
    body: { datasetId: string; name: string },
  ) {
    const startedAt = Date.now();
    const queued = await startTraining(worker, auth, { ...body, baseModel: "weld-defects", epochs: 1 });
    expect(queued.status).toBe("queued");
    const service = await runningTrainer(worker);
    const run = await trainingOutcome(worker, auth, queued.id, TRAINING_BOUND_MS, service.output);
    console.log(
      `training ${run.model}: ${((Date.now() - startedAt) / 1000).toFixed(1)} s from POST to succeeded`,
    );
    return run;
  }

  const modelVersion = async (worker: TestWorker, auth: string, n: number) =>
    readBody(
      await worker.fetch(`/v1/models/${MODEL}/versions/${n}`, { headers: { Authorization: auth } }),
      ModelVersionSchema,
    );

  const promote = (
    worker: TestWorker,
    auth: string,
    body: { version: number; reason: string; force?: boolean },
  ) =>
    worker.fetch(`/v1/models/${MODEL}/promote`, {
      method: "POST",
      headers: jsonHeaders(auth),
      body: JSON.stringify(body),
    });

  afterAll(async () => {
    await trainer?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** One team (one owner) through the file: its models are per owner. */
  let teamAuth = "";
  beforeAll(async () => {
    teamAuth = (await signedInUser(stack.worker)).auth;
  });

  test(
    "a labelled archive trains into a verified registry version that runs jobs, then becomes production",
    async () => {
      const worker = stack.worker;
      const auth = teamAuth;
      const films = await renderFilms(6, "trainer-service");
      const dataset = await importArchive(
        worker,
        auth,
        yoloArchive(films),
        "name=imported-welds&seed=split-2&valFraction=0.5",
      );

      const run = await trainToCompletion(worker, auth, { datasetId: dataset.id, name: MODEL });
      expect(run).toMatchObject({ status: "succeeded", attempts: 1, model: `${MODEL}@1`, error: null });
      expect(run.progress).toHaveLength(1);
      expect(run.progress[0]).toMatchObject({ epoch: 1, epochs: 1 });
      expect(run.progress[0]?.val.map50).toBeNumber();
      expect(run.metrics).toMatchObject({ bestEpoch: 1, epochs: 1 });

      const version = await modelVersion(worker, auth, 1);
      // The registry read the uploaded file's ONNX header when it verified the upload.
      expect(version).toMatchObject({
        ref: `${MODEL}@1`,
        layout: "ultralytics",
        datasetId: dataset.id,
        baseModel: "weld-defects",
        inputSize: { height: 320, width: 320 },
        classes: dataset.classes,
        production: false,
      });

      // The inference service scores it on the dataset's val split beside its base model; its
      // figures become the version's (what the gate reads), the trainer's are kept beside them.
      const evaluation = await finishedEvaluation(worker, auth, { name: MODEL, version: 1 });
      expect(evaluation).toMatchObject({
        datasetId: dataset.id,
        split: "val",
        candidate: { ref: `${MODEL}@1` },
        baseline: { source: "shipped", ref: "weld-defects" },
        images: dataset.counts.images.val,
      });
      const evaluated = await modelVersion(worker, auth, 1);
      expect(evaluated.metrics?.val?.map50).toBe(evaluatedMap50(evaluation) as number);
      expect(evaluated.metrics?.reportedVal).toMatchObject({ map50: run.metrics?.val.map50 });

      const job = await detect(
        worker,
        auth,
        (await renderFilm(101, "trainer-service-job")).png,
        `${MODEL}@1`,
      );
      expect(job.model.requested).toBe(`${MODEL}@1`);
      const done = await finishedJob(worker, auth, job.id);
      expect(done.status).toBe("succeeded");
      expect(done.model).toMatchObject({ version: "1", sha256: version.sha256 });

      // Nothing in production to beat: the gate lets the first version through.
      const promoted = await promote(worker, auth, { version: 1, reason: "first model from our archive" });
      expect(await readBody(promoted, PromotionSchema)).toMatchObject({ fromVersion: null, toVersion: 1 });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "reviews of detected films train the next version, promoted through the gate, run by the model's name",
    async () => {
      const worker = stack.worker;
      const auth = teamAuth;
      const production = await modelVersion(worker, auth, 1);
      if (!production.production)
        throw new Error(`${MODEL}@1 is not in production: run the file's first test`);

      // Films detected by the shipped model, as an inspection team's daily jobs.
      const films = await renderFilms(6, "model-lifecycle");
      const jobs = await Promise.all(
        films.map(async (film) => (await detect(worker, auth, film.png, "weld-defects")).id),
      );
      const detected = await Promise.all(jobs.map((id) => finishedJob(worker, auth, id)));
      expect(detected.map((job) => job.status)).toEqual(jobs.map(() => "succeeded"));

      // Reviewers accept most indications, reject one, relabel one and draw one the model missed.
      const plan = await planReviews(worker, auth, jobs, films);
      for (const { jobId, actions } of plan.reviews) await review(worker, auth, jobId, actions);
      const created = await worker.fetch("/v1/datasets", {
        method: "POST",
        headers: jsonHeaders(auth),
        body: JSON.stringify({ name: "reviewed-welds", fromJobs: jobs, seed: "split-1", valFraction: 0.5 }),
      });
      const dataset = splitDataset(await readBody(created, DatasetSchema));
      expect(dataset).toMatchObject({
        source: "reviews",
        skipped: { pending: 0, unreviewed: 0, duplicate: 0 },
      });
      expect(dataset.counts.images.total).toBe(films.length);
      expect(dataset.counts.boxes.total).toBe(plan.keptBoxes);
      expect(dataset.classes).toContain(plan.relabeledTo);

      const run = await trainToCompletion(worker, auth, { datasetId: dataset.id, name: MODEL });
      expect(run).toMatchObject({ status: "succeeded", model: `${MODEL}@2` });
      expect(await modelVersion(worker, auth, 2)).toMatchObject({
        datasetId: dataset.id,
        baseModel: "weld-defects",
        production: false,
      });

      // Evaluated on the reviewed val split beside the production version it would replace.
      const evaluation = await finishedEvaluation(worker, auth, { name: MODEL, version: 2 });
      expect(evaluation).toMatchObject({
        candidate: { ref: `${MODEL}@2` },
        baseline: { source: "registry", ref: `${MODEL}@1`, model: { sha256: production.sha256 } },
      });
      const candidate = await modelVersion(worker, auth, 2);
      expect(candidate.metrics?.val?.map50).toBe(evaluatedMap50(evaluation) as number);

      // The gate weighs the evaluated mAP@0.5 against production's; a refusal is forced with a reason.
      const current = await modelVersion(worker, auth, 1);
      const [ours, theirs] = [candidate.metrics?.val?.map50 ?? 0, current.metrics?.val?.map50 ?? 0];
      const refused = ours < theirs;
      const reason = refused
        ? "trained on our reviewed films: their labels outweigh the archive model's score"
        : "trained on our reviews";
      const first = await promote(worker, auth, { version: 2, reason });
      if (refused) {
        await expectError(first, 409, "promotion_gate");
        expect((await promote(worker, auth, { version: 2, reason, force: true })).status).toBe(200);
      } else {
        expect(first.status).toBe(200);
      }
      const history = await readBody(
        await worker.fetch(`/v1/models/${MODEL}/history`, { headers: { Authorization: auth } }),
        PromotionPageSchema,
      );
      expect(history.items[0]).toMatchObject({
        action: "promote",
        fromVersion: 1,
        toVersion: 2,
        reason,
        forced: refused,
      });
      console.log(
        `promotion gate: ${MODEL}@2 mAP@0.5 ${ours} vs production's ${theirs}: ${refused ? "forced" : "passed"}`,
      );

      // The model's name now runs the new version.
      const job = await detect(worker, auth, (await renderFilm(202, "model-lifecycle-job")).png, MODEL);
      expect(job.model.requested).toBe(`${MODEL}@2`);
      const done = await finishedJob(worker, auth, job.id);
      expect(done.status).toBe("succeeded");
      expect(done.model).toMatchObject({ version: "2", sha256: candidate.sha256 });
    },
    TEST_TIMEOUT_MS,
  );
});
