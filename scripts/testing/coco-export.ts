import { ImagePixelSizeSchema, SizeMmSchema } from "@common/measurements";
import { z } from "zod";

/**
 * A COCO export (`GET /v1/jobs/{id}/export?format=coco`, `POST /v1/exports`): COCO's results
 * structure plus the platform's fields, as `toCoco` (edge/src/jobs/exports.ts) writes it. The
 * route documents it only as an open object, so tests read it through this. Objects are loose:
 * a field not named here is kept, and an exact assertion on an object still sees it.
 */
export const CocoExportSchema = z.looseObject({
  info: z.looseObject({
    description: z.string(),
    date_created: z.iso.datetime(),
    detection_set: z.enum(["model", "reviewed"]),
  }),
  images: z.array(
    z.looseObject({
      id: z.number().int(),
      file_name: z.string(),
      width: z.number().int(),
      height: z.number().int(),
      image_uid: z.uuid(),
      job_id: z.uuid(),
      pixel_size_mm: ImagePixelSizeSchema.optional(),
    }),
  ),
  annotations: z.array(
    z.looseObject({
      id: z.number().int(),
      image_id: z.number().int(),
      category_id: z.number().int(),
      /** [x, y, width, height] in pixels. */
      bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
      area: z.number(),
      iscrowd: z.union([z.literal(0), z.literal(1)]),
      score: z.number(),
      size_mm: SizeMmSchema.optional(),
    }),
  ),
  categories: z.array(z.looseObject({ id: z.number().int(), name: z.string(), supercategory: z.string() })),
});
