import { describe, expect, test } from "bun:test";
import type { Bindings } from "@edge/env";
import { generateLocalSecrets } from "@scripts/local-stack/secrets";
import { handleQueue } from "@workers/queues";

// A deployed environment's queues carry its QUEUE_NAME_SUFFIX (wrangler.toml's [env.*]); the
// Worker dispatches on the name without it. Nothing here reaches a database: the messages are
// ones the dead-letter handler drops before any query (no job id).

function env(vars: Record<string, string>): Bindings {
  const secrets = generateLocalSecrets();
  return {
    APP_ENV: "test",
    LOG_LEVEL: "error",
    DATABASE_URL: "postgresql://user:pw@127.0.0.1:1/none",
    JWT_KEYS: '{"keys":[]}',
    INFERENCE_EDGE_URL: "https://edge.example.com",
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    OPERATIONS_TOKEN: secrets.operationsToken,
    IMAGE_URL_SIGNING_KEY: secrets.imageUrlSigningKey,
    ...vars,
  } as unknown as Bindings;
}

/** A batch of one message without a job id, recording how it was settled. */
function batch(queue: string) {
  const settled: string[] = [];
  const message = {
    id: "m1",
    body: { note: "no job id" },
    attempts: 1,
    timestamp: new Date(),
    ack: () => settled.push("ack"),
    retry: () => settled.push("retry"),
  };
  const value = {
    queue,
    messages: [message],
    ackAll: () => settled.push("ackAll"),
    retryAll: () => settled.push("retryAll"),
  } as unknown as MessageBatch<unknown>;
  return { value, settled };
}

describe("queue dispatch", () => {
  test("an environment's suffixed queue reaches the handler of its base name", async () => {
    const { value, settled } = batch("detect-dlq-staging");
    await handleQueue(value, env({ QUEUE_NAME_SUFFIX: "-staging" }));
    // The dead-letter handler acks a message it cannot read: it was dispatched there.
    expect(settled).toEqual(["ack"]);
  });

  test("without a suffix the names are the top level's", async () => {
    const { value, settled } = batch("detect-dlq");
    await handleQueue(value, env({}));
    expect(settled).toEqual(["ack"]);
  });

  test("another environment's queue has no handler here: the batch is left for redelivery", async () => {
    const { value, settled } = batch("detect-dlq-production");
    await handleQueue(value, env({ QUEUE_NAME_SUFFIX: "-staging" }));
    expect(settled).toEqual(["retryAll"]);
  });

  test("a suffix that is not dash-separated lowercase words is refused at configuration", async () => {
    const { value } = batch("detect-dlq");
    await expect(handleQueue(value, env({ QUEUE_NAME_SUFFIX: "staging" }))).rejects.toThrow(
      "QUEUE_NAME_SUFFIX",
    );
  });
});
