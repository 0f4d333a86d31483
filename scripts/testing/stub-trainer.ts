import { readFile } from "node:fs/promises";
import {
  type TrainClaim,
  TrainClaimSchema,
  type TrainEpoch,
  type TrainFinishAnswer,
  TrainFinishAnswerSchema,
  type TrainFinishRequest,
  type TrainItem,
  TrainItemPageSchema,
  type TrainProgressAnswer,
  TrainProgressAnswerSchema,
  type TrainUploadAnswer,
  TrainUploadAnswerSchema,
} from "@common/contracts/train-claim";
import { TrainMessageSchema } from "@common/contracts/train-message";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import { decodePulledBody, type PulledMessage, QueuesApi } from "@inference/sources/queues-api";
import { readBody } from "./responses";
import type { TestWorker } from "./test-worker";

/** A small detection model with full metadata: what a stand-in trainer uploads as its result. */
export const stubModelFile = async () =>
  new Uint8Array(await readFile("inference/test/fixtures/models/v8-dynamic.onnx"));

const sha256Hex = async (bytes: Uint8Array<ArrayBuffer>) =>
  Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");

export const stubEpoch = (epoch: number, epochs: number): TrainEpoch => ({
  epoch,
  epochs,
  losses: { box: 1 / epoch, cls: 2 / epoch, dfl: 1.5 / epoch },
  val: { map50: Math.min(1, 0.2 * epoch), map50_95: Math.min(1, 0.1 * epoch) },
  seconds: 1.5,
});

/**
 * The tests' trainer: speaks the trainer service's protocol (`common/contracts/train-claim.ts`)
 * with TypeScript in place of torch. It leases `train` messages from the test Worker's local
 * Queues API through the production pull client, claims, pages the dataset and downloads every
 * image by its presigned URL (checking its sha256), reports epochs, uploads a model through the
 * registry's signed upload, finishes and acks, one call at a time so tests can interleave.
 */
export function stubTrainer(worker: TestWorker) {
  const { trainerEnv } = worker.detectQueue;
  const queue = new QueuesApi({
    apiBase: trainerEnv.TRAINER_CF_API_BASE,
    accountId: trainerEnv.TRAINER_CF_ACCOUNT_ID,
    queueId: trainerEnv.TRAINER_CF_QUEUE_ID,
    apiToken: trainerEnv.TRAINER_CF_API_TOKEN,
  });
  const headers = {
    authorization: `Bearer ${worker.trainerCallbackToken}`,
    "content-type": "application/json",
  };
  const call = (id: string, step: string, body: unknown) =>
    worker.fetch(`/internal/v1/trainings/${id}/${step}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });

  return {
    /** Leases the next `train` message, waiting up to `timeoutMs` for one to arrive. */
    async pull(timeoutMs = 10_000): Promise<{ message: PulledMessage; trainingId: string }> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const [message] = await queue.pull(1, TRAIN_PULL_CONSUMER.visibilityTimeoutSeconds * 1000);
        if (message)
          return { message, trainingId: TrainMessageSchema.parse(decodePulledBody(message)).trainingId };
        await Bun.sleep(50);
      }
      throw new Error("no train message arrived");
    },
    ack: (message: PulledMessage) => queue.ack([message.lease_id], []),
    retry: (message: PulledMessage) => queue.ack([], [{ lease_id: message.lease_id, delay_seconds: 0 }]),
    async claim(id: string, delivery = 1): Promise<TrainClaim> {
      return readBody(await call(id, "claim", { version: 1, delivery }), TrainClaimSchema);
    },
    /** Every item of the dataset, each image downloaded by its URL and its sha256 checked. */
    async items(id: string, attempt: number): Promise<TrainItem[]> {
      const items: TrainItem[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `attempt=${attempt}${cursor ? `&cursor=${cursor}` : ""}`;
        const response = await worker.fetch(`/internal/v1/trainings/${id}/items?${query}`, { headers });
        const page = await readBody(response, TrainItemPageSchema);
        for (const item of page.items) {
          const image = new Uint8Array(await (await fetch(item.url)).arrayBuffer());
          if ((await sha256Hex(image)) !== item.sha256)
            throw new Error(`image ${item.key} does not match its sha256`);
        }
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    },
    async progress(id: string, attempt: number, epoch: TrainEpoch): Promise<TrainProgressAnswer> {
      return readBody(
        await call(id, "progress", { version: 1, attempt, ...epoch }),
        TrainProgressAnswerSchema,
      );
    },
    /** Opens the signed upload and PUTs the file; answers the upload's id, or the stop answer. */
    async upload(
      id: string,
      attempt: number,
      file: Uint8Array<ArrayBuffer>,
    ): Promise<TrainUploadAnswer & { sha256: string }> {
      const sha256 = await sha256Hex(file);
      const answer = await readBody(
        await call(id, "upload", { version: 1, attempt, bytes: file.length, sha256 }),
        TrainUploadAnswerSchema,
      );
      if (answer.outcome === "upload") {
        const put = await fetch(answer.url, {
          method: "PUT",
          headers: { ...answer.headers, "content-length": String(file.length) },
          body: file,
        });
        if (!put.ok) throw new Error(`upload answered ${put.status}: ${await put.text()}`);
      }
      return { ...answer, sha256 };
    },
    async finish(id: string, body: TrainFinishRequest): Promise<TrainFinishAnswer> {
      return readBody(await call(id, "finish", body), TrainFinishAnswerSchema);
    },
    /**
     * A whole successful run of one message: pull, claim, items, every epoch, upload, finish,
     * ack. Answers what the finish answered (or the claim, when it did not claim).
     */
    async runOnce(file?: Uint8Array<ArrayBuffer>) {
      const { message, trainingId } = await this.pull();
      const claim = await this.claim(trainingId, message.attempts);
      if (claim.outcome !== "claimed") {
        await this.ack(message);
        return { trainingId, claim };
      }
      const { attempt, training } = claim;
      const items = await this.items(trainingId, attempt);
      for (let epoch = 1; epoch <= training.params.epochs; epoch++) {
        const answer = await this.progress(trainingId, attempt, stubEpoch(epoch, training.params.epochs));
        if (answer.outcome === "stop") {
          await this.ack(message);
          return { trainingId, claim, items, stopped: answer.reason };
        }
      }
      const model = file ?? (await stubModelFile());
      const upload = await this.upload(trainingId, attempt, model);
      if (upload.outcome !== "upload") throw new Error(`upload refused: ${upload.reason}`);
      const epochs = training.params.epochs;
      const finish = await this.finish(trainingId, {
        version: 1,
        attempt,
        status: "succeeded",
        uploadId: upload.uploadId,
        bytes: model.length,
        sha256: upload.sha256,
        metrics: { val: stubEpoch(epochs, epochs).val, bestEpoch: epochs, epochs, seconds: 1.5 * epochs },
      });
      await this.ack(message);
      return { trainingId, claim, items, finish };
    },
  };
}

export type StubTrainer = ReturnType<typeof stubTrainer>;
