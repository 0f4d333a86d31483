import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { measuredRefusal } from "../jobs/admission";

/**
 * Sheds job creations before authentication and the rate limiter: when this isolate's drain
 * figures (read about once per `ADMISSION_CACHE_SECONDS`, shared with admission's counted path)
 * refuse even one more job for everyone, the creation gets the same `503 backlog_full` with
 * `Retry-After` that admission would give, with no caller lookup and no Durable Object call. Under
 * overload the excess then costs about what `GET /health` costs, plus the one shared read a period,
 * instead of a caller lookup and a rate-limit round trip queued behind the accepted work.
 * The answer tells an unauthenticated caller no more than that the system is busy and for how
 * long. A keyed creation (`Idempotency-Key`) goes on: its replay, if any, must be found first.
 * The owner's share needs the owner, so that rule stays with admission.
 *
 * @example jobsRouter.use("/", shedFullBacklog())
 */
export function shedFullBacklog() {
  return createMiddleware<AppEnv>(async function shedFullBacklogMiddleware(c, next) {
    if (c.req.method === "POST" && c.req.header("idempotency-key") === undefined) {
      const refusal = await measuredRefusal(c.var.db, c.var.config, 1, (work) =>
        c.executionCtx.waitUntil(work),
      );
      if (refusal) throw refusal;
    }
    await next();
  });
}
