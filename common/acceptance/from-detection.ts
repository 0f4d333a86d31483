import type { Detection } from "../contracts/detect-result";
import { sizeInMm } from "../measurement-math";
import type { PixelSize } from "../measurements";
import type { Indication } from "./schema";

/**
 * An indication in weld coordinates from a detection's pixel box: millimetres under the image's
 * pixel size, x along the weld. `weldAxis` says which image axis the weld runs along ("x" for a
 * horizontal bead, "y" for a vertical one); a vertical bead's box is turned so x is along it. The
 * length and width measured on the film (the detection's `extent`) are preferred to the box's sides:
 * a slanted crack is longer than its box's longer side.
 */
export function indicationFromDetection(
  id: string,
  detection: Pick<Detection, "label" | "box" | "extent">,
  pixel: PixelSize,
  weldAxis: "x" | "y",
): Indication {
  const { x1, y1, x2, y2 } = detection.box;
  const mm = { x1: x1 * pixel.x, y1: y1 * pixel.y, x2: x2 * pixel.x, y2: y2 * pixel.y };
  const box = weldAxis === "x" ? mm : { x1: mm.y1, y1: mm.x1, x2: mm.y2, y2: mm.x2 };
  const size = sizeInMm(detection.box, pixel, detection.extent);
  return {
    id,
    label: detection.label,
    box,
    ...(size.measured ? { lengthMm: size.length, widthMm: size.breadth } : {}),
  };
}
