import { prometheusExposition } from "@edge/metrics/prometheus";
import { Metrics } from "@inference/metrics";

/**
 * Every series name the platform exposes, read from the code that exposes it (never a copy):
 * the inference service's registry and the edge's exposition. A histogram contributes its
 * `_bucket`, `_sum` and `_count` series.
 */
export async function platformMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await new Metrics().registry.getMetricsAsJSON()) {
    if (String(metric.type) === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${metric.name}${suffix}`);
    } else {
      names.add(metric.name);
    }
  }
  const { body } = await prometheusExposition({
    queued: 0,
    running: 0,
    oldestQueuedAgeSeconds: 0,
    finishedLast5m: { succeeded: 0, failed: 0 },
    deadLetteredLast1h: 0,
    webhookDeliveriesFailedLast1h: 0,
    trainings: { queued: 0, running: 0, oldestQueuedAgeSeconds: 0, failedLast1h: 0 },
    evaluations: { queued: 0, running: 0 },
  });
  for (const [, name] of body.matchAll(/^# TYPE (\S+) /gm)) if (name) names.add(name);
  return names;
}

/**
 * Series that come from outside the platform: Prometheus' own `up`, and kube-state-metrics'
 * Deployment status (deploy/prometheus/prometheus.yml scrapes both).
 */
export const EXTERNAL_METRIC_NAMES = new Set(["up", "kube_deployment_status_replicas_unavailable"]);
