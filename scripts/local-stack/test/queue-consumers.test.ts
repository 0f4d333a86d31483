import { expect, test } from "bun:test";
import { join } from "node:path";
import { devDetectConsumer, devTrainConsumer, devWorkerEntry, withDevConsumer } from "../queue-consumers";
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

test("the generated dev config is wrangler.toml with the dev entry, its DLQ producers and the detect and train consumers", async () => {
  const original = await Bun.file(join(repoRoot, "wrangler.toml")).text();
  const generated = Bun.TOML.parse(withDevConsumer(original)) as Parsed;
  const base = Bun.TOML.parse(original) as Parsed;
  expect(base.main).toBe("workers/src/index.ts");
  expect(generated.main).toBe(devWorkerEntry);
  expect(await Bun.file(join(repoRoot, generated.main)).exists()).toBe(true);
  expect(generated.queues.consumers).toEqual([...base.queues.consumers, devDetectConsumer, devTrainConsumer]);
  expect(generated.queues.producers).toEqual([
    ...base.queues.producers,
    { binding: "DETECT_DLQ", queue: "detect-dlq" },
    { binding: "TRAIN_DLQ", queue: "train-dlq" },
  ]);
  expect(devDetectConsumer.dead_letter_queue).toBe("detect-dlq");
});
