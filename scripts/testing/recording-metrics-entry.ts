/**
 * The test Worker (the dev entry: production's plus the local queue producers) with its
 * `METRICS` dataset replaced by one that keeps every data point in memory: Miniflare's local
 * Analytics Engine dataset drops writes, so tests that assert what is written run this entry
 * (`startTestWorker({ entry: RECORDING_METRICS_ENTRY })`) and take the points with
 * `takeDataPoints` (recorded-metrics.ts). Never deployed.
 */
import worker, { type DevBindings } from "../local-stack/dev-worker";
import { DATA_POINTS_PATH } from "./recorded-metrics";

export * from "../local-stack/dev-worker";

const points: AnalyticsEngineDataPoint[] = [];
const recorder: AnalyticsEngineDataset = {
  writeDataPoint(point) {
    // As the real dataset does, the point is taken as it is at the call.
    points.push(structuredClone(point ?? {}));
  },
};

/** One recording env per runtime env, so the config and database caches keyed on it still hold. */
const envs = new WeakMap<DevBindings, DevBindings>();
function recording(env: DevBindings): DevBindings {
  let wrapped = envs.get(env);
  if (!wrapped) {
    wrapped = { ...env, METRICS: recorder };
    envs.set(env, wrapped);
  }
  return wrapped;
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === DATA_POINTS_PATH) return Response.json(points.splice(0));
    return worker.fetch(request, recording(env), ctx);
  },
  queue: (batch, env) => worker.queue(batch, recording(env)),
  scheduled: (controller, env) => worker.scheduled(controller, recording(env)),
} satisfies ExportedHandler<DevBindings>;
