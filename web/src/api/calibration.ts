/** Calibrating an image's pixel size, typed from the edge's calibration route. */
import type { CalibrationRequestSchema } from "@edge/routes/images/calibration-schema";
import type { z } from "zod";
import { api } from "./instance";
import { segment } from "./query-string";
import type { Image } from "./types";

export type CalibrationRequest = z.input<typeof CalibrationRequestSchema>;

/** `PUT /v1/images/{id}/calibration`: a stated pixel size, or a reference line of known length. */
export const calibrateImage = (imageId: string, body: CalibrationRequest) =>
  api.call<Image>(`/v1/images/${segment(imageId)}/calibration`, { method: "PUT", json: body });

/** `DELETE /v1/images/{id}/calibration`: back to the film's own pixel size, or none. */
export const removeCalibration = (imageId: string) =>
  api.call<Image>(`/v1/images/${segment(imageId)}/calibration`, { method: "DELETE" });
