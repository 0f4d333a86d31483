/**
 * What the Worker and workerd print during a run, counted instead of printed. Miniflare hands each
 * line of workerd's stdout / stderr to console.log / console.error (the in-process stack); the
 * `npm run dev` stack's lines arrive through its child's pipes. Access-log lines are counted by
 * route and status; workerd's own error lines by the failures issue #21 names.
 */
import { z } from "zod";

/** workerd's error lines that mean the runtime dropped or broke off work, by what they say. */
export const WORKERD_ERROR_PATTERNS = [
  "overloaded",
  "hung",
  "Network connection lost",
  "send() after close()",
  // workerd cancels what a request awaits when another request settles it (a shared promise).
  "from a different request context",
] as const;

/** A stack frame continuing the line before it: neither printed nor counted again. */
const STACK_FRAME = /^at /;

/** Any other line that reads as an error (workerd's own `workerd/…` lines, uncaught exceptions). */
const OTHER_ERROR = /workerd\/|uncaught|\berror\b|exception/i;

/** The fields of the Worker's access-log line (edge/src/middleware/request-log.ts) counted here. */
const AccessLogLineSchema = z.looseObject({
  msg: z.string().optional(),
  level: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional(),
  status: z.number().optional(),
});

export type LogCounts = {
  /** Access-log lines by `level method route status`. */
  access: Map<string, number>;
  /** workerd error lines by pattern, and "other error line". */
  errors: Map<string, number>;
  /** The first few error lines, for the report. */
  samples: string[];
};

const emptyCounts = (): LogCounts => ({ access: new Map(), errors: new Map(), samples: [] });
let counts = emptyCounts();

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");

/** True when `line` was a Worker access-log line, now counted. */
function foldAccessLog(line: string): boolean {
  if (!line.startsWith('{"time"')) return false;
  try {
    const entry = AccessLogLineSchema.parse(JSON.parse(line));
    if (entry.msg !== "request") return false;
    const route = (entry.path ?? "").replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      "{id}",
    );
    bump(counts.access, `${entry.level} ${entry.method} ${route} ${entry.status}`);
    return true;
  } catch {
    return false;
  }
}

/** Counts one line of the Worker's or workerd's output; true when it was counted, not printed. */
export function countLine(raw: string): boolean {
  const line = stripAnsi(raw).trim();
  if (line === "") return true;
  if (foldAccessLog(line) || STACK_FRAME.test(line)) return true;
  const pattern = WORKERD_ERROR_PATTERNS.find((p) => line.includes(p));
  if (pattern === undefined && !OTHER_ERROR.test(line)) return false;
  bump(counts.errors, pattern ?? "other error line");
  if (counts.samples.length < 5) counts.samples.push(line.slice(0, 3000));
  return true;
}

/** Routes console.log / console.error through `countLine`; lines it does not count still print. */
export function captureConsole(): void {
  for (const stream of ["log", "error"] as const) {
    const original = console[stream].bind(console);
    console[stream] = (...args: unknown[]) => {
      const [raw] = args;
      if (args.length === 1 && typeof raw === "string" && raw.split("\n").every(countLine)) return;
      original(...args);
    };
  }
}

/** The counts since the last call, and a fresh start. */
export function takeLogCounts(): LogCounts {
  const taken = counts;
  counts = emptyCounts();
  return taken;
}

export const errorLineTotal = (taken: LogCounts) => [...taken.errors.values()].reduce((a, b) => a + b, 0);

/** `pattern ×n, …`, or "none". */
export function describeErrors(taken: LogCounts): string {
  if (taken.errors.size === 0) return "none";
  return [...taken.errors].map(([key, n]) => `${key} ×${n}`).join(", ");
}
