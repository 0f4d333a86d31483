import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { trainings } from "@db/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { eventually } from "@scripts/testing/job-fixtures";
import { stubTrainer } from "@scripts/testing/stub-trainer";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { createTraining, getTraining, TRAINING_TEST_VARS, trainableDataset } from "./training-fixtures";

setDefaultTimeout(30_000);

const worker = useTestWorker({
  r2S3: true,
  vars: { ...TRAINING_TEST_VARS, TRAINING_MAX_ATTEMPTS: "2" },
  // One delivery only: a retried message is dead-lettered at once.
  trainMaxRetries: 0,
  queueConsumers: { "train-dlq": { max_batch_timeout: 0.2 } },
});

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);

async function queuedRun(name: string) {
  const { auth } = await signedInUser(worker.current);
  const dataset = await trainableDataset(worker.current, auth);
  const run = await createTraining(worker.current, auth, {
    datasetId: dataset.id,
    baseModel: "weld-defects",
    name,
  });
  return { auth, run };
}

describe("a trainer that dies", () => {
  test("the sweeper re-enqueues a run stuck running, and fails it trainer_lost at the attempt bound", async () => {
    const { auth, run } = await queuedRun("swept");
    const trainer = stubTrainer(worker.current);
    const first = await trainer.pull();
    expect(await trainer.claim(run.id)).toMatchObject({ outcome: "claimed", attempt: 1 });
    // The trainer is killed: no ack, no report. Its lease would last 12 hours.
    const silent = () =>
      worker.current.db
        .update(trainings)
        .set({ heartbeatAt: hoursAgo(2) })
        .where(eq(trainings.id, run.id));
    await silent();
    const sweep = async () =>
      expect((await (await worker.current.mf.getWorker()).scheduled({ cron: "*/5 * * * *" })).outcome).toBe(
        "ok",
      );
    await sweep();
    expect(await getTraining(worker.current, auth, run.id)).toMatchObject({ status: "queued", attempts: 1 });
    const second = await trainer.pull();
    expect(second.trainingId).toBe(run.id);
    expect(await trainer.claim(run.id)).toMatchObject({ outcome: "claimed", attempt: 2 });
    await silent();
    await sweep();
    const lost = await getTraining(worker.current, auth, run.id);
    expect(lost).toMatchObject({ status: "failed", error: { code: "trainer_lost" } });
    expect(lost.finishedAt).not.toBeNull();
    // The killed trainer's message, when it comes back, is acknowledged without work.
    expect(await trainer.claim(run.id)).toEqual({ outcome: "finished" });
    await trainer.ack(first.message);
    await trainer.ack(second.message);
  });

  test("a message whose retries are spent fails its run dead_lettered with the last error", async () => {
    const { auth, run } = await queuedRun("dead");
    const trainer = stubTrainer(worker.current);
    const { message } = await trainer.pull();
    const claim = await trainer.claim(run.id);
    if (claim.outcome !== "claimed") throw new Error("not claimed");
    await trainer.finish(run.id, {
      version: 1,
      attempt: claim.attempt,
      status: "failed",
      error: { code: "training_failed", message: "CUDA out of memory", permanent: false },
    });
    await trainer.retry(message);
    const failed = await eventually(
      async () => {
        const current = await getTraining(worker.current, auth, run.id);
        return current.status === "failed" ? current : undefined;
      },
      20_000,
      "the dead-lettered run failed",
    );
    expect(failed.error?.code).toBe("dead_lettered");
    expect(failed.error?.message).toContain("training_failed: CUDA out of memory");
  });
});

describe("GET /v1/trainings/{id}/events", () => {
  test("streams the state, then each epoch, then the final status, and ends", async () => {
    const { auth, run } = await queuedRun("followed");
    const response = await worker.current.fetch(`/v1/trainings/${run.id}/events`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const trainer = stubTrainer(worker.current);
    const result = trainer.runOnce();
    const text = await response.text();
    expect((await result).finish?.outcome).toBe("recorded");
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(events[0]).toBe("training.queued");
    expect(events.at(-1)).toBe("training.succeeded");
    expect(events.filter((event) => event === "training.running").length).toBeGreaterThanOrEqual(1);
    const last = text.trim().split("\n").at(-1) ?? "";
    expect(JSON.parse(last.replace(/^data: /, ""))).toMatchObject({
      status: "succeeded",
      model: "followed@1",
    });
  });
});
