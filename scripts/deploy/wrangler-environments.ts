import type { WranglerConfig, WranglerSection } from "../local-stack/wrangler-config";

/** The producer binding of the queue inference pulls (`detect`). */
export const DETECT_QUEUE_BINDING = "DETECT_QUEUE";
/** The producer binding of the queue the trainer service pulls (`train`). */
export const TRAIN_QUEUE_BINDING = "TRAIN_QUEUE";

/** What one deployed environment is made of, all names as wrangler.toml gives them. */
export type Environment = {
  name: string;
  /** Wrangler names an environment's Worker `<top-level name>-<env>` unless the env sets its own. */
  workerName: string;
  /** `QUEUE_NAME_SUFFIX` of the environment (queue names are `<base><suffix>`). */
  queueSuffix: string;
  buckets: string[];
  /** Every queue the environment produces to, consumes or dead-letters into. */
  queues: string[];
  detectQueue: string;
  trainQueue: string;
};

/** Every queue a section names: producers, consumers and their dead-letter queues, each once. */
export function sectionQueues(section: WranglerSection): string[] {
  const names = [
    ...section.queues.producers.map((p) => p.queue),
    ...section.queues.consumers.flatMap((c) => [
      c.queue,
      ...(c.dead_letter_queue ? [c.dead_letter_queue] : []),
    ]),
  ];
  return [...new Set(names)];
}

/** The environment `name` of wrangler.toml; an environment it does not define is refused. */
export function environment(config: WranglerConfig, name: string): Environment {
  const section = config.env[name];
  if (!section) {
    const known = Object.keys(config.env);
    throw new Error(
      `wrangler.toml defines no environment "${name}" (known: ${known.length ? known.join(", ") : "none"})`,
    );
  }
  const detect = section.queues.producers.find((p) => p.binding === DETECT_QUEUE_BINDING);
  if (!detect) throw new Error(`[env.${name}] has no ${DETECT_QUEUE_BINDING} producer`);
  const train = section.queues.producers.find((p) => p.binding === TRAIN_QUEUE_BINDING);
  if (!train) throw new Error(`[env.${name}] has no ${TRAIN_QUEUE_BINDING} producer`);
  return {
    name,
    workerName: section.name ?? `${config.name}-${name}`,
    queueSuffix: section.vars.QUEUE_NAME_SUFFIX ?? "",
    buckets: [...new Set(section.r2_buckets.map((b) => b.bucket_name))],
    queues: sectionQueues(section),
    detectQueue: detect.queue,
    trainQueue: train.queue,
  };
}
