import { PixelSizeMmInputSchema, ReferenceLineSchema } from "@common/measurements";
import { z } from "@hono/zod-openapi";

/** One of two ways to calibrate: a stated pixel size, or a reference of known length drawn on the film. */
export const CalibrationRequestSchema = z
  .union([
    z.object({ pixelSizeMm: PixelSizeMmInputSchema }).strict(),
    z.object({ reference: ReferenceLineSchema }).strict(),
  ])
  .openapi("CalibrationRequest", {
    description:
      "`pixelSizeMm`: mm per pixel (a number, or `{ x, y }`), recorded as `stated`. `reference`: a line in film pixels along something of known length (an IQI wire, a marker) and that length in mm, recorded as `reference`",
    example: { reference: { x1: 120, y1: 40, x2: 620, y2: 40, lengthMm: 50 } },
  });
