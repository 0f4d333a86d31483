import { describe, expect, test } from "bun:test";
import type { WranglerSection } from "../../local-stack/wrangler-config";
import { readWranglerConfig } from "../../local-stack/wrangler-config";
import { environment, sectionQueues } from "../wrangler-environments";

// Wrangler does not inherit vars or bindings into [env.*]: a binding added at the top level
// (what tests and `npm run dev` run) and forgotten in an environment would be missing only in
// that deployment. Each environment must mirror the top level, with its own queue and bucket names.

const config = await readWranglerConfig();
const names = Object.keys(config.env);

/** The environment's own names for top-level ones: queues get the suffix, buckets likewise. */
const suffixed = (suffix: string) => (name: string) => `${name}${suffix}`;

function bindings(section: WranglerSection, rename: (name: string) => string) {
  return {
    r2: section.r2_buckets.map((b) => [b.binding, rename(b.bucket_name)]),
    analytics: section.analytics_engine_datasets.map((d) => d.binding),
    durableObjects: section.durable_objects.bindings,
    producers: section.queues.producers.map((p) => [p.binding, rename(p.queue)]),
    consumers: section.queues.consumers.map((c) => ({
      ...c,
      queue: rename(c.queue),
      ...(c.dead_letter_queue ? { dead_letter_queue: rename(c.dead_letter_queue) } : {}),
    })),
  };
}

describe("wrangler environments", () => {
  test("staging and production are defined", () => {
    expect(names).toEqual(["staging", "production"]);
  });

  for (const name of names) {
    const section = config.env[name] as WranglerSection;
    const suffix = section.vars.QUEUE_NAME_SUFFIX ?? "";

    test(`${name}: every top-level binding, with the environment's names`, () => {
      expect(bindings(section, (n) => n)).toEqual(bindings(config, suffixed(suffix)));
    });

    test(`${name}: every top-level var with the same value, plus its own names`, () => {
      expect(section.vars).toEqual({
        ...config.vars,
        QUEUE_NAME_SUFFIX: suffix,
        R2_BUCKET_NAME: `${config.r2_buckets[0]?.bucket_name}${suffix}`,
      });
    });

    test(`${name}: its own dataset, and what deploy:setup creates is what it binds`, () => {
      const dataset = section.analytics_engine_datasets[0]?.dataset;
      expect(dataset).toBeDefined();
      expect(dataset).not.toBe(config.analytics_engine_datasets[0]?.dataset);
      const env = environment(config, name);
      expect(env.queues.sort()).toEqual(sectionQueues(config).map(suffixed(suffix)).sort());
      expect(env.detectQueue).toBe(`detect${suffix}`);
      expect(env.trainQueue).toBe(`train${suffix}`);
      expect(env.queues).toContain(`train-dlq${suffix}`);
    });
  }

  test("environments share no queue, bucket or dataset (they may share an account)", () => {
    const all = names.flatMap((name) => {
      const env = environment(config, name);
      return [
        ...env.queues,
        ...env.buckets,
        ...(config.env[name]?.analytics_engine_datasets ?? []).map((d) => d.dataset),
      ];
    });
    expect(new Set(all).size).toBe(all.length);
  });

  test("no environment shares a queue or bucket with the top level, so a deploy without --env cannot reach one", () => {
    const topLevel = new Set([...sectionQueues(config), ...config.r2_buckets.map((b) => b.bucket_name)]);
    for (const name of names) {
      const env = environment(config, name);
      expect([...env.queues, ...env.buckets].filter((n) => topLevel.has(n))).toEqual([]);
      expect(config.env[name]?.vars.QUEUE_NAME_SUFFIX).toMatch(/^-[a-z0-9]+$/);
    }
  });
});
