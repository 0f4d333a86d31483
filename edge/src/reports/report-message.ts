import { z } from "zod";

/** Message on the `reports` queue: the report row holds everything else. */
export const ReportMessageSchema = z.object({ version: z.literal(1), reportId: z.uuid() });
export type ReportMessage = z.infer<typeof ReportMessageSchema>;

export async function enqueueReport(queue: Queue<unknown>, reportId: string): Promise<void> {
  await queue.send({ version: 1, reportId } satisfies ReportMessage, { contentType: "json" });
}
