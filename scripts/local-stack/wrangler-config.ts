import { join } from "node:path";
import { z } from "zod";
import { repoRoot } from "./settings";

/**
 * wrangler.toml as the tools around the Worker read it: the test harness mirrors its bindings in
 * Miniflare, the deploy scripts create what each environment binds. One schema for both, so a
 * binding wrangler knows is never known to one tool and missed by the other.
 */

const QueueConsumerSchema = z.looseObject({
  queue: z.string(),
  max_batch_size: z.number().optional(),
  max_batch_timeout: z.number().optional(),
  max_retries: z.number().optional(),
  dead_letter_queue: z.string().optional(),
  retry_delay: z.number().optional(),
});

/** The top level or one `[env.<name>]`: bindings are not inherited, so each section lists its own. */
const SectionSchema = z.object({
  name: z.string().optional(),
  vars: z.record(z.string(), z.string()).default({}),
  r2_buckets: z.array(z.object({ binding: z.string(), bucket_name: z.string() })).default([]),
  analytics_engine_datasets: z.array(z.object({ binding: z.string(), dataset: z.string() })).default([]),
  durable_objects: z
    .object({ bindings: z.array(z.object({ name: z.string(), class_name: z.string() })).default([]) })
    .default({ bindings: [] }),
  queues: z
    .object({
      producers: z.array(z.object({ binding: z.string(), queue: z.string() })).default([]),
      consumers: z.array(QueueConsumerSchema).default([]),
    })
    .default({ producers: [], consumers: [] }),
});
export type WranglerSection = z.infer<typeof SectionSchema>;

const WranglerSchema = SectionSchema.extend({
  name: z.string(),
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
  assets: z.object({ directory: z.string(), binding: z.string() }).optional(),
  env: z.record(z.string(), SectionSchema).default({}),
});
export type WranglerConfig = z.infer<typeof WranglerSchema>;

export function parseWranglerConfig(text: string): WranglerConfig {
  return WranglerSchema.parse(Bun.TOML.parse(text));
}

export async function readWranglerConfig(path = join(repoRoot, "wrangler.toml")): Promise<WranglerConfig> {
  return parseWranglerConfig(await Bun.file(path).text());
}

/** The bucket behind the `IMAGES` binding at the top level (signed object URLs name it). */
export async function imagesBucketName(): Promise<string> {
  const bucket = (await readWranglerConfig()).r2_buckets.find((b) => b.binding === "IMAGES");
  if (!bucket) throw new Error("wrangler.toml binds no IMAGES bucket");
  return bucket.bucket_name;
}
