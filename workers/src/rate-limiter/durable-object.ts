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
    const decision = gcra(this.tat, Date.now(), limit);
    if (decision.allowed) {
      this.tat = decision.tat;
      await this.ctx.storage.put("tat", decision.tat);
      // Once the bucket is full again the state is worthless; the alarm deletes it.
      await this.ctx.storage.setAlarm(decision.tat);
    }
    return decision;
  }

  override async alarm(): Promise<void> {
    if (this.tat === undefined || this.tat <= Date.now()) {
      this.tat = undefined;
      await this.ctx.storage.deleteAll();
    }
  }
}
