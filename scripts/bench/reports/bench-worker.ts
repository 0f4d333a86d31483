/**
 * Benchmark entry: the reports consumer's own work (gather the data, render the PDF, hash it,
 * store it) on a bare route, so one report's cost can be timed from outside the Worker.
 */
import { createLogger } from "@common/logger";
import { reports } from "@db/schema";
import { readConfig } from "@edge/config";
import { databaseFor } from "@edge/database";
import type { Bindings } from "@edge/env";
import { produceReport } from "@workers/queues/report-render";
import { eq } from "drizzle-orm";

export * from "@workers/index";

export default {
  async fetch(request, env) {
    const config = readConfig(env);
    const db = databaseFor(config);
    const reportId = new URL(request.url).pathname.split("/").pop() as string;
    const [report] = await db.select().from(reports).where(eq(reports.id, reportId));
    if (!report) return new Response("no such report", { status: 404 });
    const ctx = { env, config, db, logger: createLogger("error") };
    const { rendered } = await produceReport(ctx, report);
    return Response.json({
      pages: rendered.pageCount,
      bytes: rendered.pdf.length,
      embeddedBytes: rendered.embeddedBytes,
      decodedPixels: rendered.decodedPixels,
    });
  },
} satisfies ExportedHandler<Bindings>;
