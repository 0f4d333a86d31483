/**
 * Per-request cost of authentication and rate limiting in workerd, and the cost of one
 * argon2id hash. Each case is compared with a baseline route measured in the same run.
 *
 *   npm run bench:auth [-- --iterations 400]
 */
import { parseArgs } from "node:util";
import { apiKeys, users } from "@db/schema";
import { generateApiKey } from "@edge/auth/api-keys";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import { stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker } from "@scripts/testing/test-worker";
import { median, ms, percentile, printTable, sample } from "../stats";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "400" } } });
const iterations = Number(values.iterations);

const worker = await startTestWorker({
  entry: "scripts/bench/auth/bench-worker.ts",
  vars: { RATE_LIMIT_READ: "100000000/1s", LOG_LEVEL: "error" },
});
try {
  const [user] = await worker.db
    .insert(users)
    .values({ email: "bench@example.com", passwordHash: "$argon2id$unused" })
    .returning();
  if (!user) throw new Error("no user");
  const key = await generateApiKey();
  await worker.db
    .insert(apiKeys)
    .values({ userId: user.id, name: "bench", prefix: key.prefix, keyHash: key.hash, scopes: ["jobs:read"] });
  const jwt = await forgeAccessToken({ claims: { sub: user.id } });

  const get = (path: string, credential?: string) => async () => {
    const response = await worker.fetch(
      path,
      credential ? { headers: { Authorization: `Bearer ${credential}` } } : {},
    );
    if (response.status !== 204) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  };

  const baseline = await sample(get("/baseline"), iterations);
  const cases: Array<[string, number[]]> = [
    ["baseline (middleware only)", baseline],
    ["database: select 1 over SQL-over-HTTP (for reference)", await sample(get("/database"), iterations)],
    ["JWT: verify (cached key) + user lookup", await sample(get("/authenticated", jwt), iterations)],
    ["API key: SHA-256 + key/user lookup", await sample(get("/authenticated", key.key), iterations)],
    ["rate-limit check (Durable Object)", await sample(get("/rate-limited"), iterations)],
  ];
  const argon2 = await sample(get("/argon2"), Math.max(10, Math.floor(iterations / 20)), 3);

  const base = median(baseline);
  console.log(`\nworkerd via Miniflare, ${iterations} sequential requests per case, milliseconds\n`);
  printTable(
    ["case", "median", "p90", "overhead vs baseline (median)", "ratio"],
    cases.map(([name, samples]) => [
      name,
      ms(median(samples)),
      ms(percentile(samples, 90)),
      ms(median(samples) - base),
      `${(median(samples) / base).toFixed(2)}x`,
    ]),
  );
  console.log(
    `\nargon2id (m=19 MiB, t=2, p=1), one hash per request: median ${ms(median(argon2))} ms, ` +
      `${ms(median(argon2) - base)} ms over baseline (${argon2.length} requests)`,
  );
} finally {
  await worker.dispose();
  await stopSharedServices();
}
