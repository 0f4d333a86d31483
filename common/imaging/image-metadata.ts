import { z } from "zod";

/**
 * What the edge keeps about an image's pixels beyond its size (issue #15): read from the header at
 * upload (DICONDE tags), shown by the API, used by the viewer to map intensities as inference does
 * (`./intensity.ts`). Every field is optional: a PNG has none of them.
 */
export const ImageMetadataSchema = z.object({
  /** Bits actually used per sample (DICOM Bits Stored), which may be fewer than the container's. */
  bitsStored: z.number().int().min(1).max(32).optional(),
  photometric: z.enum(["MONOCHROME1", "MONOCHROME2"]).optional(),
  rescale: z.object({ slope: z.number(), intercept: z.number() }).optional(),
  /** The file's first Window Center / Width pair, in rescaled values. */
  window: z.object({ center: z.number(), width: z.number().positive() }).optional(),
  /** DICOM transfer syntax UID of the pixel data. */
  transferSyntax: z.string().optional(),
  modality: z.string().optional(),
  /**
   * DICONDE identifiers (ASTM E2339 reuses the patient/study/series modules): component name and
   * id (Patient's Name / ID), examination (Study ID, date, description), series, manufacturer.
   */
  identifiers: z.record(z.string(), z.string()).optional(),
});
export type ImageMetadata = z.infer<typeof ImageMetadataSchema>;
