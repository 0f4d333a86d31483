import type { Logger } from "@common/logger";
import type { Db } from "@db/client-worker";
import type { Principal } from "./auth/scopes";
import type { Config } from "./config";
import type { JobEventsRpc, RateLimiterRpc } from "./durable-objects";
import type { DecisionHold } from "./jobs/admission";
import type { RequestBody } from "./middleware/request-body";
import type { TraceContext } from "./middleware/trace-context";
import type { TrainingEventsRpc } from "./trainings/events";

/** Bindings declared in wrangler.toml, plus the string vars and secrets read by `readConfig`. */
export type Bindings = {
  IMAGES: R2Bucket;
  DETECT_QUEUE: Queue<unknown>;
  WEBHOOK_QUEUE: Queue<unknown>;
  REPORT_QUEUE: Queue<unknown>;
  ASSETS: Fetcher;
  RATE_LIMITER: DurableObjectNamespace<RateLimiterRpc>;
  JOB_EVENTS: DurableObjectNamespace<JobEventsRpc>;
  /** One object per training run: its event streams (edge/src/trainings/events.ts). */
  TRAINING_EVENTS: DurableObjectNamespace<TrainingEventsRpc>;
  TRAIN_QUEUE: Queue<unknown>;
  /** Workers Analytics Engine dataset: requests by route and status, job outcomes (edge/src/metrics/). */
  METRICS: AnalyticsEngineDataset;
} & { [K in keyof Config]?: string };

export type Variables = {
  requestId: string;
  config: Config;
  logger: Logger;
  trace: TraceContext;
  db: Db;
  principal: Principal;
  requestBody: RequestBody;
  /** A job creation's place in the isolate's admission estimate (shed-backlog), while decided. */
  admissionHold?: DecisionHold;
};

export type AppEnv = { Bindings: Bindings; Variables: Variables };
