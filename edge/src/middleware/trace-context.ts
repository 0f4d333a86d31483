import { createMiddleware } from "hono/factory";

/** W3C Trace Context of the current request (https://www.w3.org/TR/trace-context/). */
export type TraceContext = {
  traceId: string;
  /** This request's own span id: the parent of anything it calls or enqueues. */
  spanId: string;
  sampled: boolean;
  /** The `traceparent` value to send downstream (queue messages, outbound fetches). */
  traceparent: string;
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Continues the caller's trace when its header is valid, otherwise starts a new sampled one. */
export function parseTraceparent(header: string | undefined | null): TraceContext {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  const valid = match && !/^0+$/.test(match[1] ?? "") && !/^0+$/.test(match[2] ?? "");
  const traceId = valid && match[1] ? match[1] : randomHex(16);
  const flags = valid && match[3] ? match[3] : "01";
  const spanId = randomHex(8);
  return {
    traceId,
    spanId,
    sampled: (Number.parseInt(flags, 16) & 1) === 1,
    traceparent: `00-${traceId}-${spanId}-${flags}`,
  };
}

/**
 * Reads the incoming `traceparent` into `c.var.trace`.
 *
 * @example app.use(traceContext())
 */
export function traceContext() {
  return createMiddleware<{ Variables: { trace: TraceContext } }>(
    async function traceContextMiddleware(c, next) {
      c.set("trace", parseTraceparent(c.req.header("traceparent")));
      await next();
    },
  );
}
