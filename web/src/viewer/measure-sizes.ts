import { extentForBox, type PixelSize } from "@common/measurements";
import type { Job, JobReview } from "../api/types";
import { JOB_DETECTION_KEY } from "./indications";
import { indicationSize, indicationSizeText } from "./measure-geometry";

/**
 * Each indication's length and width as the list shows it, by indication key: measured on the
 * film at detection time where the box is still the model's, else the box's sides (said so); in
 * mm under the pixel size, else in film pixels.
 */
export function indicationSizes(
  job: Job | null,
  review: JobReview | null,
  pixel: PixelSize | null,
): Map<string, string> {
  const sizes = new Map<string, string>();
  if (review) {
    for (const item of review.items) {
      const extent = extentForBox(item.box, item.original);
      sizes.set(item.id, indicationSizeText(indicationSize(item.box, extent, pixel)));
    }
    return sizes;
  }
  (job?.detections ?? []).forEach((detection, index) => {
    const size = indicationSize(detection.box, detection.extent ?? null, pixel);
    sizes.set(`${JOB_DETECTION_KEY}${index}`, indicationSizeText(size));
  });
  return sizes;
}
