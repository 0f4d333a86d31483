import type { DetectParams } from "@common/contracts/detect-message";
import pLimit from "p-limit";
import { decodeResized, decodeToSize, isGrey, probeImage, resizeRaster } from "../image/decode";
import type { IntensityOptions } from "../image/intensity-options";
import { computeLetterbox, fillTensor, type Letterbox } from "../image/letterbox";
import type { Pixels, Raster } from "../image/raster";
import { fillTileTensor, planTiling, type TilePlan, type TilingSettings } from "../image/tiling";
import type { GreyImage } from "../measure/extent";
import type { WholeImageMergeSettings } from "./merge";
import type { Placement } from "./placement";

export interface PrepareSettings {
  inputWidth: number;
  inputHeight: number;
  /** Largest image accepted, in pixels. */
  maxPixels: number;
  tiling: TilingSettings;
  intensity: IntensityOptions;
  /** Images decoded at once. */
  decodeConcurrency: number;
}

/** One model input of an image; its tensor is filled on demand, so only inputs in flight hold one. */
export interface ModelInput {
  placement: Placement;
  tensor(): Float32Array;
}

export interface PreparedImage {
  /** Original image size (after EXIF orientation). */
  width: number;
  height: number;
  /** Decoding work only, not the wait for a decode slot. */
  decodeMs: number;
  /** Tiled: the inputs are its tiles (plus a whole-image pass when the plan has one). */
  tiled: boolean;
  inputs: ModelInput[];
  /** How a whole-image pass joins the tiles' boxes (the service's tiling settings). */
  wholeImageMerge: WholeImageMergeSettings;
  /**
   * One grey channel at the image's own size, intensity-mapped as the model's input is, for
   * measuring what was found (`../measure/extent.ts`): the tiles' raster when it is that, else
   * decoded again, in a decode slot, only when asked (an image with detections).
   */
  filmPixels(): Promise<GreyImage>;
}

/**
 * Decodes an image (intensity mapping included) and turns it into model inputs: one letterboxed
 * input, or the tiles of its plan. `admitTiled` is called before a tiled image's decode, which is
 * the large one, so a full queue refuses it before any work is spent on it.
 */
export type Prepare = (
  bytes: Uint8Array,
  params: Pick<DetectParams, "tiling">,
  admitTiled: () => void,
) => Promise<PreparedImage>;

export function createPreparer(settings: PrepareSettings): Prepare {
  const { inputWidth, inputHeight, maxPixels, intensity } = settings;
  const inputSize = 3 * inputWidth * inputHeight;
  const decodeSlot = pLimit(settings.decodeConcurrency);
  const wholeImageMerge = {
    ios: settings.tiling.wholeImageIos,
    scoreRatio: settings.tiling.wholeImageScoreRatio,
  };

  const letterboxed = (pixels: Pixels, lb: Letterbox): ModelInput => ({
    placement: { kind: "letterbox", lb },
    tensor() {
      const tensor = new Float32Array(inputSize);
      fillTensor(pixels, lb, tensor);
      return tensor;
    },
  });

  const tiles = (raster: Raster, plan: TilePlan): ModelInput[] =>
    plan.tiles.map(({ x, y }, index) => ({
      placement: { kind: "tile", index, x, y, inputWidth, inputHeight, plan },
      tensor() {
        const tensor = new Float32Array(inputSize);
        fillTileTensor(raster, x, y, inputWidth, inputHeight, tensor);
        return tensor;
      },
    }));

  return (bytes, params, admitTiled) =>
    decodeSlot(async () => {
      const started = performance.now();
      const image = await probeImage(bytes, maxPixels);
      const grey = isGrey(image);
      const plan = planTiling(
        image.width,
        image.height,
        inputWidth,
        inputHeight,
        params.tiling,
        settings.tiling,
      );
      const lb = computeLetterbox(image.width, image.height, inputWidth, inputHeight);
      const size = { width: image.width, height: image.height };
      const decodeFilm = () =>
        decodeSlot(() => decodeToSize(bytes, image.width, image.height, maxPixels, true, intensity));
      if (plan === null) {
        const pixels = await decodeResized(bytes, lb, maxPixels, grey, intensity);
        return {
          ...size,
          decodeMs: performance.now() - started,
          tiled: false,
          inputs: [letterboxed(pixels, lb)],
          wholeImageMerge,
          filmPixels: decodeFilm,
        };
      }
      admitTiled();
      const { scaledWidth, scaledHeight } = plan;
      const raster = await decodeToSize(bytes, scaledWidth, scaledHeight, maxPixels, grey, intensity);
      const inputs = tiles(raster, plan);
      if (plan.wholeImage) inputs.push(letterboxed(await resizeRaster(raster, lb), lb));
      const own = raster.channels === 1 && raster.width === image.width && raster.height === image.height;
      const filmPixels = own ? async () => raster : decodeFilm;
      return {
        ...size,
        decodeMs: performance.now() - started,
        tiled: true,
        inputs,
        wholeImageMerge,
        filmPixels,
      };
    });
}
