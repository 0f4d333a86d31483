import { describe, expect, test } from "bun:test";
import { freePort } from "../../local-stack/ports";
import { sharedServices } from "../../testing/shared-services";
import { startTestWorker, useTestWorker } from "../../testing/test-worker";
import { smokeCheck } from "../smoke";

// The post-deploy smoke check, run against a real Worker in workerd instead of a deployment.

const worker = useTestWorker();

async function run(url: string, operationsToken?: string) {
  const lines: string[] = [];
  const ok = await smokeCheck({ url, timeoutMs: 0, operationsToken, say: (line) => lines.push(line) });
  return { ok, lines };
}

describe("deploy:smoke", () => {
  test("a ready Worker that accepts the operations token passes", async () => {
    const { secrets } = await sharedServices();
    const { ok, lines } = await run(`${worker.current.origin}/`, secrets.operationsToken);
    expect(lines[0]).toStartWith("readiness, attempt 1: 200 database ok");
    const empty = { queued: 0, running: 0, backlog: 0, oldestQueuedAgeSeconds: 0 };
    expect(lines[1]).toBe(`backlog: 200 ${JSON.stringify({ ...empty, trainings: empty })}`);
    expect(ok).toBe(true);
  });

  test("an operations token the Worker refuses fails it", async () => {
    const { ok, lines } = await run(worker.current.origin, "a-token-the-worker-never-issued");
    expect(lines.at(-1)).toBe("backlog: 401");
    expect(ok).toBe(false);
  });

  test("a Worker that is not ready fails it, naming the failed check", async () => {
    const down = await startTestWorker({ sqlEndpoint: `http://127.0.0.1:${await freePort()}/sql` });
    try {
      const { ok, lines } = await run(down.origin);
      expect(lines[0]).toStartWith("readiness, attempt 1: 503 database error");
      expect(ok).toBe(false);
    } finally {
      await down.dispose();
    }
  });

  test("nothing listening fails it", async () => {
    const { ok, lines } = await run(`http://127.0.0.1:${await freePort()}`);
    expect(lines).toHaveLength(1);
    expect(ok).toBe(false);
  });
});
