import type { Box } from "@common/contracts/detect-result";
import { extentForBox } from "@common/measurement-math";
import type { Extent, PixelSize } from "@common/measurements";
import type { Job, JobReview } from "../api/types";
import { JOB_DETECTION_KEY } from "./indications";
import { indicationSize, indicationSizeText } from "./measure-geometry";

/** What the viewer shows of an indication's size: its text, and the line measured on the film. */
export type IndicationMeasure = { text: string; extent: Extent | null };

/**
 * Each indication's length and width by indication key: measured on the film at detection time
 * where the box is still the model's, else the box's sides (said so); in mm under the pixel size,
 * else in film pixels.
 */
export function indicationMeasures(
  job: Job | null,
  review: JobReview | null,
  pixel: PixelSize | null,
): Map<string, IndicationMeasure> {
  const measures = new Map<string, IndicationMeasure>();
  const add = (key: string, box: Box, extent: Extent | null) =>
    measures.set(key, { text: indicationSizeText(indicationSize(box, extent, pixel)), extent });
  if (review) {
    for (const item of review.items) add(item.id, item.box, extentForBox(item.box, item.original));
    return measures;
  }
  (job?.detections ?? []).forEach((detection, index) => {
    add(`${JOB_DETECTION_KEY}${index}`, detection.box, detection.extent ?? null);
  });
  return measures;
}
