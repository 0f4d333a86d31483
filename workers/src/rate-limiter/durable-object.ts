import { DurableObject } from "cloudflare:workers";
import { type GcraDecision, type GcraLimit, gcra } from "./gcra";

/**
 * One instance per rate-limit key (policy + caller). A Durable Object processes its calls one
 * at a time, so the count is exact under any concurrency, across every Worker instance.
 */
export class RateLimiter extends DurableObject {
  private tat: number | undefined;

  async check(limit: GcraLimit): Promise<GcraDecision> {
    this.tat ??= await this.ctx.storage.get<number>("tat");
    const now = Date.now();
    const wasIdle = this.tat === undefined || this.tat <= now;
    const decision = gcra(this.tat, now, limit);
    if (decision.allowed) {
      this.tat = decision.tat;
      // Decisions are made from memory, which is exact while the object lives; the stored copy
      // only carries the state across an eviction, so the answer need not wait for the write.
      this.ctx.storage.put("tat", decision.tat, { allowUnconfirmed: true });
      // Once the bucket is full again the state is worthless; the alarm deletes it.
      if (wasIdle) await this.ctx.storage.setAlarm(decision.tat);
    }
    return decision;
  }

  override async alarm(): Promise<void> {
    this.tat ??= await this.ctx.storage.get<number>("tat");
    if (this.tat !== undefined && this.tat > Date.now()) {
      await this.ctx.storage.setAlarm(this.tat);
      return;
    }
    this.tat = undefined;
    await this.ctx.storage.deleteAll();
  }
}
