import { describe, expect, test } from "bun:test";
import { apiKeys } from "@db/schema";
import { createApiKey, forgeAccessToken, signedInUser } from "@scripts/testing/auth-fixtures";
import { insertUser } from "@scripts/testing/job-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { createTraining, TRAINING_TEST_VARS, trainableDataset } from "../trainings/training-fixtures";

/**
 * An event stream lives no longer than the credential that opened it: when the access token (or
 * an API key with an expiry) expires, the stream sends a last `reconnect` event saying so and
 * ends; the client signs in again (or refreshes) and reconnects. Without that, a stream opened
 * with a token that expires in minutes would go on delivering for as long as it is held open.
 */

const HEARTBEAT_SECONDS = 1;
const worker = useTestWorker({
  vars: {
    ...TRAINING_TEST_VARS,
    RATE_LIMIT_READ: "100000/60s",
    JOB_EVENTS_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
  },
});

/** Reads the stream until it ends or `withinMs` passes; the text read and whether it ended. */
async function readStream(response: Response, withinMs: number): Promise<{ text: string; ended: boolean }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      await reader.cancel();
      return { text, ended: false };
    }
    const timeout = Bun.sleep(left).then(() => "timeout" as const);
    const read = await Promise.race([reader.read(), timeout]);
    if (read === "timeout") continue;
    if (read.done) return { text, ended: true };
    text += decoder.decode(read.value, { stream: true });
  }
}

/** The data of the stream's `reconnect` event, if it has one. */
function reconnectOf(text: string): { reason?: string } | undefined {
  const block = text.split("\n\n").find((part) => part.startsWith("event: reconnect"));
  const data = block?.split("\n").find((line) => line.startsWith("data: "));
  return data ? (JSON.parse(data.slice("data: ".length)) as { reason?: string }) : undefined;
}

describe("an event stream ends when its credential expires", () => {
  test("an access token's stream ends at the token's exp with a reconnect event", async () => {
    const id = await insertUser(worker.current);
    const exp = Math.floor(Date.now() / 1000) + 3;
    const token = await forgeAccessToken({ claims: { sub: id, exp } });
    const response = await worker.current.fetch("/v1/jobs/events", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const { text, ended } = await readStream(response, 12_000);
    expect(ended).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 1000);
    expect(reconnectOf(text)?.reason).toBe("credential_expired");
  }, 20_000);

  test("a training run's stream ends at the token's exp with a reconnect event", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const run = await createTraining(worker.current, auth, {
      datasetId: dataset.id,
      baseModel: "weld-defects",
      name: "expiring",
      epochs: 1,
    });
    const exp = Math.floor(Date.now() / 1000) + 3;
    const token = await forgeAccessToken({ claims: { sub: user.id, exp } });
    const response = await worker.current.fetch(`/v1/trainings/${run.id}/events`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    // The run stays queued (no trainer pulls here): only the credential can end the stream.
    const { text, ended } = await readStream(response, 12_000);
    expect(ended).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 1000);
    expect(reconnectOf(text)?.reason).toBe("credential_expired");
  }, 30_000);

  test("an API key's stream ends at the key's expiry", async () => {
    const { auth } = await signedInUser(worker.current);
    const { key, apiKey } = await createApiKey(worker.current, auth, ["jobs:read"]);
    const expiresAt = new Date(Date.now() + 3000);
    await worker.current.db.update(apiKeys).set({ expiresAt }).where(eq(apiKeys.id, apiKey.id));
    const response = await worker.current.fetch("/v1/jobs/events", {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const { text, ended } = await readStream(response, 12_000);
    expect(ended).toBe(true);
    expect(reconnectOf(text)?.reason).toBe("credential_expired");
  }, 20_000);
});
