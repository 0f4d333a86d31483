import { randomBytes } from "node:crypto";

/** W3C trace context: version-traceid-parentid-flags. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  const match = header?.trim().toLowerCase().match(TRACEPARENT);
  if (!match || match[1] === "ff" || match[2] === ZERO_TRACE || match[3] === ZERO_SPAN) return null;
  return { traceId: match[2] as string, spanId: match[3] as string, flags: match[4] as string };
}

/** A new span in the parent's trace (or a new sampled trace when the parent is invalid). */
export function childSpan(parent: string | null | undefined): TraceContext {
  const context = parseTraceparent(parent);
  return {
    traceId: context?.traceId ?? randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    flags: context?.flags ?? "01",
  };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`;
}
