import { z } from "@hono/zod-openapi";

export const StartShadowSchema = z
  .object({
    version: z.number().int().min(1).openapi({ description: "One of your versions of this model" }),
    share: z.number().gt(0).max(0.5).openapi({
      description: "Share of your jobs on this model that also run the version (0 < share ≤ 0.5)",
    }),
  })
  .openapi("StartShadow");

const counts = { matched: z.number().int(), extra: z.number().int(), missing: z.number().int() };

export const ShadowSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int(),
    ref: z.string(),
    share: z.number(),
    active: z.boolean(),
    startedAt: z.iso.datetime(),
    stoppedAt: z.iso.datetime().nullable(),
    jobs: z.object({
      picked: z.number().int(),
      pending: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
    }),
    agreement: z
      .object({ ...counts, agreement: z.number().min(0).max(1) })
      .openapi({ description: "matched / (matched + extra + missing); 1 when nothing was found" }),
    perClass: z.array(z.object({ label: z.string(), ...counts, agreement: z.number().min(0).max(1) })),
  })
  .openapi("ModelShadow");
