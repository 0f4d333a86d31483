import { errorMessage } from "@common/logger";
import { retryDelaySeconds } from "@common/retry";
import { reports } from "@db/schema";
import { WORKER_REPORT_FONTS } from "@edge/reports/font-files-worker";
import {
  claimReport,
  completeReport,
  gatherReport,
  ReportInputError,
  recordReportFailure,
} from "@edge/reports/lifecycle";
import { renderReportPdf } from "@edge/reports/render-pdf";
import { ReportMessageSchema } from "@edge/reports/report-message";
import { reportObjectKey } from "@edge/reports/views";
import { enqueueDeliveries } from "@edge/webhooks/deliveries";
import { eq } from "drizzle-orm";
import type { HandlerContext } from "./context";

const toHex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Gathers a claimed report's data, renders its PDF and stores it in R2 with its SHA-256 (R2
 * checks the bytes against it). Also what `npm run bench:reports` measures.
 */
export async function produceReport(
  { config, db, env }: HandlerContext,
  report: typeof reports.$inferSelect,
) {
  const input = await gatherReport(db, report);
  const rendered = await renderReportPdf(
    input,
    async (image) => {
      const object = await env.IMAGES.get(image.objectKey);
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
    {
      maxEmbeddedBytes: config.REPORT_MAX_EMBEDDED_BYTES,
      maxDecodedPixels: config.REPORT_MAX_DECODED_PIXELS,
    },
    WORKER_REPORT_FONTS,
  );
  const sha256 = toHex(await crypto.subtle.digest("SHA-256", rendered.pdf as Uint8Array<ArrayBuffer>));
  const objectKey = reportObjectKey(report.ownerId, report.id);
  await env.IMAGES.put(objectKey, rendered.pdf, { httpMetadata: { contentType: "application/pdf" }, sha256 });
  return { input, rendered, sha256, objectKey };
}

/**
 * Consumer of `reports`: renders one report per message into a PDF, stores it in R2 under
 * `reports/`, records its SHA-256 and fires `report.ready`. A report whose jobs or images are
 * gone fails at once with the reason; any other failure is recorded on the report and retried
 * with exponential backoff, and after the queue's last retry `reports-dlq` marks it failed.
 */
export async function renderReports(batch: MessageBatch<unknown>, ctx: HandlerContext): Promise<void> {
  // One at a time: each render may use most of the isolate's memory (REPORT_MAX_EMBEDDED_BYTES).
  for (const message of batch.messages) await renderOne(message, ctx);
}

async function renderOne(message: Message<unknown>, ctx: HandlerContext): Promise<void> {
  const { config, db, env, logger } = ctx;
  const parsed = ReportMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    logger.error("unreadable report message dropped", { messageId: message.id });
    message.ack();
    return;
  }
  const { reportId } = parsed.data;
  const log = logger.child({ reportId, attempt: message.attempts });
  try {
    const report = await claimReport(db, reportId);
    if (!report) {
      message.ack();
      return;
    }
    const started = Date.now();
    const { input, rendered, sha256, objectKey } = await produceReport(ctx, report);
    const ready = await completeReport(db, report.id, {
      objectKey,
      sha256,
      bytes: rendered.pdf.length,
      pageCount: rendered.pageCount,
      reviewVersions: Object.fromEntries(input.images.map((image) => [image.jobId, image.reviewVersion])),
    });
    log.info("report ready", {
      pages: rendered.pageCount,
      bytes: rendered.pdf.length,
      embeddedBytes: rendered.embeddedBytes,
      decodedPixels: rendered.decodedPixels,
      renderMs: Date.now() - started,
    });
    if (ready?.deliveryIds.length) {
      await enqueueDeliveries(env.WEBHOOK_QUEUE, ready.deliveryIds).catch((error) =>
        log.error("webhook enqueue failed; the sweeper will send them", { error: errorMessage(error) }),
      );
    }
    message.ack();
  } catch (error) {
    if (error instanceof ReportInputError) {
      await recordReportFailure(db, reportId, `input_gone: ${error.message}`, true).catch(() => {});
      log.warn("report failed", { error: error.message });
      message.ack();
      return;
    }
    const delaySeconds = retryDelaySeconds(
      message.attempts,
      config.REPORT_RETRY_BASE_DELAY_SECONDS,
      config.REPORT_RETRY_MAX_DELAY_SECONDS,
    );
    await recordReportFailure(db, reportId, `render_failed: ${errorMessage(error)}`, false).catch(() => {});
    log.error("report rendering failed; retrying", { error: errorMessage(error), delaySeconds });
    message.retry({ delaySeconds });
  }
}

/** Consumer of `reports-dlq`: the report's retries are spent, so it is marked failed with its last error. */
export async function failDeadReports(batch: MessageBatch<unknown>, ctx: HandlerContext): Promise<void> {
  for (const message of batch.messages) {
    const parsed = ReportMessageSchema.safeParse(message.body);
    if (parsed.success) {
      const { reportId } = parsed.data;
      try {
        const [row] = await ctx.db
          .select({ attempts: reports.attempts, error: reports.error })
          .from(reports)
          .where(eq(reports.id, reportId));
        const reason = `dead_lettered: not rendered after ${row?.attempts ?? 0} attempt(s); last error: ${row?.error ?? "none recorded"}`;
        await recordReportFailure(ctx.db, reportId, reason, true);
        ctx.logger.warn("report failed for good", { reportId, reason });
      } catch (error) {
        ctx.logger.error("dead report not recorded; retrying", { reportId, error: errorMessage(error) });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, 5, 300) });
        continue;
      }
    }
    message.ack();
  }
}
