import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { DecisionHold, measuredRefusal } from "../jobs/admission";

/**
 * Sheds job creations before authentication and the rate limiter: when this isolate's drain
 * measurement (read about once per `ADMISSION_CACHE_SECONDS`, shared with admission's counted
 * path), brought forward by the jobs the isolate admitted since and the creations it has in hand,
 * refuses even one more job for everyone, the creation gets the same `503 backlog_full` with
 * `Retry-After` that admission would give, with no caller lookup and no Durable Object call. Under
 * overload the excess then costs about what `GET /health` costs, plus the one shared read a period,
 * instead of a caller lookup, a rate-limit round trip and the counts queued behind the accepted
 * work. A creation let through is held in the estimate until it is decided, so the ones arriving
 * meanwhile count it rather than all passing on to the counted path near the limit.
 * The answer tells an unauthenticated caller no more than that the system is busy and for how
 * long. A keyed creation (`Idempotency-Key`) goes on: its replay, if any, must be found first.
 * The owner's share needs the owner, so that rule stays with admission.
 *
 * @example jobsRouter.use("/", shedFullBacklog())
 */
export function shedFullBacklog() {
  return createMiddleware<AppEnv>(async function shedFullBacklogMiddleware(c, next) {
    if (c.req.method !== "POST" || c.req.header("idempotency-key") !== undefined) return next();
    const refusal = await measuredRefusal(c.var.db, c.var.config, 1, (work) =>
      c.executionCtx.waitUntil(work),
    );
    if (refusal) throw refusal;
    const hold = new DecisionHold(c.var.db, 1);
    c.set("admissionHold", hold);
    try {
      await next();
    } finally {
      hold.release();
    }
  });
}
