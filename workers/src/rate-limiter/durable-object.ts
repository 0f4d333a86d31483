import { DurableObject } from "cloudflare:workers";
import type { RateLimiterRpc } from "@edge/durable-objects";
import { type GcraDecision, type GcraLimit, gcra } from "./gcra";

/**
 * One instance per rate-limit key (policy + caller). A Durable Object processes its calls one
 * at a time, so the count is exact under any concurrency, across every Worker instance.
 */
/** Idle time after which a full bucket's stored state is deleted; no hurry, so alarms stay rare. */
const CLEANUP_DELAY_MS = 60_000;

export class RateLimiter extends DurableObject implements RateLimiterRpc {
  private tat: number | undefined;
  /** Whether a clean-up alarm is already scheduled (setting one is a costly storage write). */
  private alarmScheduled = false;

  check(limit: GcraLimit): Promise<GcraDecision> {
    return this.take(limit, 1);
  }

  /**
   * Counts up to `want` requests at once (a lease one isolate spends locally); `granted` says
   * how many. Every granted request is counted here, so across isolates none is admitted twice.
   */
  async take(limit: GcraLimit, want: number): Promise<GcraDecision> {
    this.tat ??= await this.ctx.storage.get<number>("tat");
    const decision = gcra(this.tat, Date.now(), limit, want);
    if (decision.allowed) {
      this.tat = decision.tat;
      // Decisions are made from memory, which is exact while the object lives; the stored copy
      // only carries the state across an eviction, so the answer need not wait for the write.
      this.ctx.storage.put("tat", decision.tat, { allowUnconfirmed: true });
      // Once the bucket is full again the state is worthless; the alarm deletes it.
      if (!this.alarmScheduled) {
        this.alarmScheduled = true;
        this.ctx.storage.setAlarm(decision.tat + CLEANUP_DELAY_MS, { allowUnconfirmed: true });
      }
    }
    return decision;
  }

  override async alarm(): Promise<void> {
    this.tat ??= await this.ctx.storage.get<number>("tat");
    if (this.tat !== undefined && this.tat + CLEANUP_DELAY_MS > Date.now()) {
      this.alarmScheduled = true;
      await this.ctx.storage.setAlarm(this.tat + CLEANUP_DELAY_MS);
      return;
    }
    this.tat = undefined;
    this.alarmScheduled = false;
    await this.ctx.storage.deleteAll();
  }
}
