import { Gauge, Registry } from "prom-client";
import type { OperationsFigures } from "./operations-figures";

/**
 * The figures in Prometheus' text exposition format, written by prom-client (it bundles and runs
 * in workerd under `nodejs_compat`; only its default process metrics need Node and are not
 * used). A registry per scrape: nothing is shared between requests of the isolate.
 */
export async function prometheusExposition(
  figures: OperationsFigures,
): Promise<{ body: string; contentType: string }> {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });

  const unfinished = gauge("edge_jobs", "Jobs waiting for or in inference, by status.", ["status"]);
  unfinished.set({ status: "queued" }, figures.queued);
  unfinished.set({ status: "running" }, figures.running);
  gauge(
    "edge_jobs_oldest_queued_age_seconds",
    "Seconds since the oldest queued job was created; 0 when none is queued.",
  ).set(figures.oldestQueuedAgeSeconds);
  const finished = gauge(
    "edge_jobs_finished_last_5m",
    "Jobs finished in the last 5 minutes, by final status.",
    ["status"],
  );
  finished.set({ status: "succeeded" }, figures.finishedLast5m.succeeded);
  finished.set({ status: "failed" }, figures.finishedLast5m.failed);
  gauge(
    "edge_jobs_dead_lettered_last_1h",
    "Jobs failed in the last hour because their detect message was dead-lettered.",
  ).set(figures.deadLetteredLast1h);
  gauge(
    "edge_webhook_deliveries_failed_last_1h",
    "Webhook deliveries whose retries ran out in the last hour.",
  ).set(figures.webhookDeliveriesFailedLast1h);

  const runs = gauge("edge_trainings", "Training runs waiting for or on a trainer, by status.", ["status"]);
  runs.set({ status: "queued" }, figures.trainings.queued);
  runs.set({ status: "running" }, figures.trainings.running);
  gauge(
    "edge_trainings_oldest_queued_age_seconds",
    "Seconds since the longest-waiting queued training run was queued; 0 when none is.",
  ).set(figures.trainings.oldestQueuedAgeSeconds);
  gauge(
    "edge_trainings_failed_last_1h",
    "Training runs failed in the last hour (retries spent, or a permanent error).",
  ).set(figures.trainings.failedLast1h);
  const evaluations = gauge(
    "edge_model_evaluations",
    "Model evaluations waiting for or in the inference service, by status.",
    ["status"],
  );
  evaluations.set({ status: "queued" }, figures.evaluations.queued);
  evaluations.set({ status: "running" }, figures.evaluations.running);

  return { body: await registry.metrics(), contentType: registry.contentType };
}
