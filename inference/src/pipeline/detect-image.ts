import type { DetectParams } from "@common/contracts/detect-message";
import type { Detection, StageTimings } from "@common/contracts/detect-result";
import pLimit from "p-limit";
import { measureExtent } from "../measure/extent";
import type { Candidate } from "../model/decoders/types";
import type { LayoutName } from "../model/layout";
import type { OutputTensor } from "../model/runtime";
import type { TiledCandidate } from "../postprocess/tile-merge";
import { decodeCandidates } from "./candidates";
import { dedupeInput, mergeAcrossTiles } from "./merge";
import { toImage } from "./placement";
import type { Prepare, PreparedImage } from "./prepare";
import type { ModelRun, ModelRunner } from "./run";
import { StageClock } from "./stage-timings";

export interface ImageDetections {
  /** Original image size (after EXIF orientation); boxes are in these pixels. */
  width: number;
  height: number;
  detections: Detection[];
  /** `fetchMs` is 0 here: fetching belongs to the job sources. */
  timings: StageTimings;
  /** How many inputs shared the model run (the largest batch, when the image was tiled). */
  batchSize: number;
}

export interface ImageDetectorParts {
  prepare: Prepare;
  runner: Pick<ModelRunner, "submit" | "admitImage">;
  layout: LayoutName;
  classNames: readonly string[];
  /** Inputs of one image queued for the model at once. */
  inputsInFlight: number;
  /** Largest box whose indication is measured, pixels (`../measure/extent.ts`). */
  measureMaxBoxPixels: number;
}

export type DetectImage = (
  bytes: Uint8Array,
  params: DetectParams,
  agnostic: boolean,
) => Promise<ImageDetections>;

function toDetection(candidate: Candidate, classNames: readonly string[]): Detection {
  return {
    classId: candidate.classId,
    label: classNames[candidate.classId] ?? `class_${candidate.classId}`,
    score: Math.min(1, Math.max(0, candidate.score)),
    box: { x1: candidate.x1, y1: candidate.y1, x2: candidate.x2, y2: candidate.y2 },
  };
}

/**
 * Each detection with its indication's own length and width (`../measure/extent.ts`), measured on
 * the film at its own size; the decode counts as decoding, the measuring as the image's other work.
 */
async function measured(
  detections: Detection[],
  prepared: PreparedImage,
  clock: StageClock,
  stage: "postprocessMs" | "tilingMs",
  maxBoxPixels: number,
): Promise<Detection[]> {
  if (detections.length === 0) return detections;
  const started = performance.now();
  const film = await prepared.filmPixels();
  clock.add("decodeMs", performance.now() - started);
  return clock.time(stage, () =>
    detections.map((detection) => ({
      ...detection,
      extent: measureExtent(film, detection.box, { maxBoxPixels }),
    })),
  );
}

/**
 * One image through the rooms: prepare (decode, letterbox or tiles) → run (shared, batched model
 * runs) → candidates of each input, mapped back to image pixels → merge across tiles → measure. An untiled
 * image's own work is timed as pre- and postprocessing; a tiled image's as tiling.
 */
export function createImageDetector(parts: ImageDetectorParts): DetectImage {
  const { prepare, runner, layout, classNames } = parts;
  return async (bytes, params, agnostic) => {
    const clock = new StageClock();
    const prepared = await prepare(bytes, params, () => runner.admitImage());
    clock.add("decodeMs", prepared.decodeMs);
    const { tiled } = prepared;
    const before = tiled ? "tilingMs" : "preprocessMs";
    const after = tiled ? "tilingMs" : "postprocessMs";
    // Inputs of one batch share a run: its time counts once, however many of them are this image's.
    const runs = new Map<OutputTensor, ModelRun>();
    const found: TiledCandidate[] = [];
    const window = pLimit(parts.inputsInFlight);
    const jobs = prepared.inputs.map((input) =>
      window(async () => {
        const tensor = clock.time(before, () => input.tensor());
        const run = await runner.submit(tensor, { admitted: tiled });
        runs.set(run.output, run);
        clock.time(after, () => {
          const candidates = decodeCandidates(layout, run.output, run.index, params);
          for (const candidate of dedupeInput(candidates, layout, params, agnostic)) {
            const placed = toImage(candidate, input.placement);
            if (placed !== null)
              found.push({ ...candidate, ...placed.box, tile: placed.tile, cut: placed.cut });
          }
        });
      }),
    );
    await Promise.all(jobs);
    const kept = tiled
      ? clock.time("tilingMs", () => mergeAcrossTiles(found, params, agnostic, prepared.wholeImageMerge))
      : found;
    const unmeasured = kept.map((candidate) => toDetection(candidate, classNames));
    const detections = await measured(unmeasured, prepared, clock, after, parts.measureMaxBoxPixels);
    const ran = [...runs.values()];
    return {
      width: prepared.width,
      height: prepared.height,
      detections,
      timings: clock.finish({
        runMs: ran.reduce((sum, run) => sum + run.runMs, 0),
        tiles: prepared.inputs.length,
      }),
      batchSize: Math.max(0, ...ran.map((run) => run.batchSize)),
    };
  };
}
