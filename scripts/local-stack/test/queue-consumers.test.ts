import { expect, test } from "bun:test";
import { join } from "node:path";
import { freePort } from "../ports";
import {
  devPullQueueProducers,
  devWorkerEntry,
  localQueueProducer,
  startLocalDetectQueue,
  withDevEntry,
} from "../queue-consumers";
import { repoRoot } from "../settings";

type Parsed = {
  main: string;
  queues: {
    consumers: Array<{ queue: string; dead_letter_queue?: string }>;
    producers: Array<{ binding: string; queue: string }>;
  };
};

test("production wrangler.toml has no Worker consumer for detect or train (inference and the trainer pull them)", async () => {
  const config = Bun.TOML.parse(await Bun.file(join(repoRoot, "wrangler.toml")).text()) as Parsed;
  const queues = config.queues.consumers.map((c) => c.queue);
  expect(queues).not.toContain("detect");
  expect(queues).not.toContain("train");
  expect(queues).toEqual(expect.arrayContaining(["detect-dlq", "train-dlq", "webhooks", "webhooks-dlq"]));
});

test("the generated dev config is wrangler.toml with the dev entry and its DLQ producers, and no Worker consumer of detect or train", async () => {
  const original = await Bun.file(join(repoRoot, "wrangler.toml")).text();
  const generated = Bun.TOML.parse(withDevEntry(original)) as Parsed;
  const base = Bun.TOML.parse(original) as Parsed;
  expect(base.main).toBe("workers/src/index.ts");
  expect(generated.main).toBe(devWorkerEntry);
  expect(await Bun.file(join(repoRoot, generated.main)).exists()).toBe(true);
  expect(generated.queues.consumers).toEqual(base.queues.consumers);
  expect(generated.queues.producers).toEqual([
    ...base.queues.producers,
    { binding: "DETECT_DLQ", queue: "detect-dlq" },
    { binding: "TRAIN_DLQ", queue: "train-dlq" },
  ]);
});

test("the producers the dev entry sends to the local Queues API are wrangler.toml's detect and train bindings", async () => {
  const config = Bun.TOML.parse(await Bun.file(join(repoRoot, "wrangler.toml")).text()) as Parsed;
  const byQueue = Object.fromEntries(config.queues.producers.map((p) => [p.binding, p.queue]));
  for (const [binding, queue] of Object.entries(devPullQueueProducers)) expect(byQueue[binding]).toBe(queue);
});

test("the dev entry's producer sends to the local Queues API, keeps its limits and throws on a refusal", async () => {
  const local = startLocalDetectQueue({ port: await freePort(), edgeOrigin: "http://127.0.0.1:9" });
  try {
    const detect = localQueueProducer(local.workerVars, "detect");
    const sent = await detect.send({ jobId: "a" }, { contentType: "json" });
    expect(sent.metadata.metrics.backlogCount).toBe(1);
    await detect.sendBatch([{ body: { jobId: "b" } }, { body: "plain", contentType: "text" }], {
      delaySeconds: 30,
    });
    expect(local.api.stats("detect")).toMatchObject({ backlog: 3, delayed: 2 });
    expect((await detect.metrics()).backlogCount).toBe(3);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ body: { i } }));
    await expect(detect.sendBatch(tooMany)).rejects.toThrow(/400/);
    await expect(detect.send({ big: "x".repeat(128 * 1024) })).rejects.toThrow(/400/);
    await expect(detect.send({}, { contentType: "v8" })).rejects.toThrow(/"json" or "text"/);
    const intruder = localQueueProducer({ ...local.workerVars, LOCAL_QUEUES_TOKEN: "wrong" }, "train");
    await expect(intruder.send({})).rejects.toThrow(/401/);
    expect(local.api.stats("detect").backlog).toBe(3);
    expect(local.api.stats("train").backlog).toBe(0);
  } finally {
    await local.api.stop();
  }
});
