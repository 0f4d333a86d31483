/**
 * One run summed up: a row of the summary table and its verdicts against issue #21's criteria.
 */
import { ms, percentile, secondsSpread } from "../stats";
import { isRefusal, type OpenLoopResult } from "./load";
import type { DatabaseCheck } from "./report";

export type RunKind = "sustained" | "overload" | "kill";

/** issue #21: sustained p99 bound, overload p99 bound for accepted jobs, refusal p99 bound. */
const SUSTAINED_P99_MS = 2_000;
const OVERLOAD_P99_MS = 10_000;
const REFUSAL_P99_MS = 250;
const RECOVERY_BOUND_MS = 15_000;

export type RunInput = {
  plan: { kind: RunKind; rate: number; label: string };
  shape: string;
  stressed: boolean;
  seconds: number;
  loop: OpenLoopResult;
  database: DatabaseCheck;
  workerdErrors: number;
  loneP50: number;
  /** 1-minute load average at the start and the end. */
  load: number[];
  kill?: { recoveredMs: number | undefined; firstSuccessMs: number | undefined };
};

export type RunResult = { headers: string[]; row: Array<string | number>; verdicts: string[]; pass: boolean };

const HEADERS = [
  "run",
  "stack",
  "stress",
  "accepted",
  "refused (answer, Retry-After min)",
  "refusal p50 / p99 ms",
  "creations broken off / hung",
  "succeeded exactly once",
  "failed",
  "5xx",
  "hung",
  "wait p50 / p90 / p99 s",
  "p50 ÷ lone p50",
  "workerd error lines",
  "pending after drain",
  "load avg",
];

const yes = (ok: boolean) => (ok ? "yes" : "NO");

/** Creations answered with anything but 202 (a network failure is no answer: counted apart). */
function refusals(loop: OpenLoopResult) {
  const refused = loop.outcomes.filter((o) => o.created !== 202 && typeof o.created === "number");
  const answers = new Map<string, number>();
  for (const o of refused) {
    const key = typeof o.created === "number" ? `${o.created} ${o.refusedCode}` : String(o.created);
    answers.set(key, (answers.get(key) ?? 0) + 1);
  }
  const retryAfters = refused.map((o) => Number(o.retryAfter)).filter((n) => Number.isFinite(n) && n > 0);
  const latencies = refused.flatMap((o) => (o.createdAt === undefined ? [] : [o.createdAt - o.scheduledAt]));
  return {
    count: refused.length,
    proper: refused.filter(isRefusal).length,
    answers: [...answers].map(([k, n]) => `${n}× ${k}`).join(", "),
    retryAfterMin: retryAfters.length ? Math.min(...retryAfters) : undefined,
    withRetryAfter: retryAfters.length,
    latencies,
  };
}

/** Refusal latency per `details.basis` (the isolate's measurement, or the counts): where the tail is. */
export function refusalsByBasis(loop: OpenLoopResult): string {
  const byBasis = new Map<string, number[]>();
  for (const o of loop.outcomes) {
    if (o.created === 202 || typeof o.created !== "number" || o.createdAt === undefined) continue;
    const basis = o.refusedBasis ?? `no basis (${o.created} ${o.refusedCode})`;
    byBasis.set(basis, [...(byBasis.get(basis) ?? []), o.createdAt - o.scheduledAt]);
  }
  return [...byBasis]
    .map(
      ([basis, latencies]) =>
        `${basis} ${latencies.length}× ${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}`,
    )
    .join(", ");
}

export function summarise(input: RunInput): RunResult {
  const { loop, database, plan } = input;
  const outcomes = loop.outcomes;
  const succeeded = outcomes.filter((o) => o.succeededAt !== undefined);
  const waits = succeeded.map((o) => (o.succeededAt as number) - o.scheduledAt);
  const fiveXx = outcomes.reduce((n, o) => n + o.fiveXx, 0);
  const hung = outcomes.reduce((n, o) => n + o.hung, 0);
  const broken = outcomes.reduce((n, o) => n + o.broken, 0);
  const refused = refusals(loop);
  const p99 = percentile(waits, 99);
  const refusalP99 = percentile(refused.latencies, 99);
  // A creation whose answer a kill cut off may still have committed: the client saw no 202, so it
  // is no accepted job, but only there may such a row exist.
  const allOnce =
    database.accepted > 0 &&
    database.succeededOnce === database.accepted &&
    (plan.kind === "kill" || database.withoutAccept === 0);
  const row = [
    `${plan.label} × ${input.seconds} s`,
    input.shape,
    input.stressed ? "1 core" : "–",
    `${database.accepted} of ${outcomes.length + loop.dropped}`,
    refused.count ? `${refused.count} (${refused.answers}; ${refused.retryAfterMin ?? "none"})` : "0",
    refused.latencies.length ? `${ms(percentile(refused.latencies, 50))} / ${ms(refusalP99)}` : "–",
    `${outcomes.filter((o) => o.created === "network").length} / ${outcomes.filter((o) => o.created === "hung").length}`,
    `${database.succeededOnce} / ${database.accepted}`,
    database.failed,
    fiveXx,
    hung,
    secondsSpread(waits),
    (percentile(waits, 50) / input.loneP50).toFixed(2),
    input.workerdErrors,
    database.pending,
    input.load.map((l) => l.toFixed(1)).join(" → "),
  ];
  const facts = `${plan.label}${input.stressed ? " with a CPU-bound process on one core" : ""} (${input.shape})`;
  const common = [
    `0 5xx: ${yes(fiveXx === 0)} (${fiveXx}); 0 hung: ${yes(hung === 0)} (${hung}; ${broken} broken off by the network)`,
    `0 pending after the drain: ${yes(database.pending === 0)} (${database.pending})`,
    `every accepted job succeeded exactly once: ${yes(allOnce)} (${database.succeededOnce}/${database.accepted}, ${database.failed} failed, ${database.redelivered} redelivered; ${database.withoutAccept} jobs created whose 202 the client never got; ${database.getFailures} GETs after the drain not 200)`,
  ];
  const specific = kindVerdicts(input, { refused, p99, refusalP99, workerdErrors: input.workerdErrors });
  const pass = [
    fiveXx === 0,
    hung === 0,
    database.pending === 0,
    allOnce,
    ...specific.map(([, ok]) => ok),
  ].every(Boolean);
  return {
    headers: HEADERS,
    row,
    pass,
    verdicts: [
      `${facts}: ${pass ? "PASS" : "FAIL"}`,
      ...[...common, ...specific.map(([line]) => line)].map((l) => `  ${l}`),
    ],
  };
}

type Facts = { refused: ReturnType<typeof refusals>; p99: number; refusalP99: number; workerdErrors: number };

function kindVerdicts(input: RunInput, facts: Facts): Array<[string, boolean]> {
  const { refused, p99, refusalP99 } = facts;
  if (input.plan.kind === "sustained") {
    const unanswered = input.loop.outcomes.filter((o) => typeof o.created !== "number").length;
    const none = refused.count + input.loop.dropped + unanswered === 0;
    return [
      [
        `0 refused, dropped or broken off: ${yes(none)} (${refused.count} refused, ${input.loop.dropped} dropped, ${unanswered} creations without an answer)`,
        none,
      ],
      [`0 failed: ${yes(input.database.failed === 0)}`, input.database.failed === 0],
      [
        `p99 < ${SUSTAINED_P99_MS / 1000} s: ${yes(p99 < SUSTAINED_P99_MS)} (${(p99 / 1000).toFixed(2)} s)`,
        p99 < SUSTAINED_P99_MS,
      ],
      [
        `no workerd error line: ${yes(facts.workerdErrors === 0)} (${facts.workerdErrors})`,
        facts.workerdErrors === 0,
      ],
    ];
  }
  if (input.plan.kind === "overload") {
    // A stack that keeps up has no excess: nothing to refuse, and then nothing may be refused late.
    const none = refused.count === 0;
    const fast = none || refusalP99 < REFUSAL_P99_MS;
    const allRetryAfter = none || (refused.proper === refused.count && (refused.retryAfterMin ?? 0) >= 1);
    return [
      [
        `excess refused within ${REFUSAL_P99_MS} ms p99: ${yes(fast)} (${none ? "no excess: nothing refused" : `${refused.count} refused, p99 ${ms(refusalP99)} ms`})`,
        fast,
      ],
      [
        `every refusal carries Retry-After ≥ 1: ${yes(allRetryAfter)} (${refused.withRetryAfter} of ${refused.count}, min ${refused.retryAfterMin ?? "none"})`,
        allRetryAfter,
      ],
      [
        `accepted jobs p99 < ${OVERLOAD_P99_MS / 1000} s: ${yes(p99 < OVERLOAD_P99_MS)} (${(p99 / 1000).toFixed(2)} s)`,
        p99 < OVERLOAD_P99_MS,
      ],
    ];
  }
  const recovered = input.kill?.recoveredMs;
  const first = input.kill?.firstSuccessMs;
  return [
    [
      `serving again within ${RECOVERY_BOUND_MS / 1000} s: ${yes(recovered !== undefined && recovered < RECOVERY_BOUND_MS)} (restarted and /health/ready 200 after ${recovered === undefined ? "never" : `${(recovered / 1000).toFixed(1)} s`}; first job created after the kill succeeded ${first === undefined ? "never" : `${(first / 1000).toFixed(1)} s`} after it)`,
      recovered !== undefined && recovered < RECOVERY_BOUND_MS,
    ],
  ];
}
