import type { CreateReportSchema } from "@edge/routes/reports/schema";
import type { z } from "zod";
import { getReview, review } from "./review-fixtures";
import type { TestWorker } from "./test-worker";

type CreateReportBody = z.input<typeof CreateReportSchema>;

/** A film technique as EN ISO 17636-2 asks it stated: X-ray, class B, a wire IQI. */
export const TECHNIQUE = {
  testingClass: "B",
  arrangement: "SWSI",
  source: { kind: "x-ray", voltageKv: 250, focalSpotMm: 3 },
  sfdMm: 700,
  detector: { kind: "film", system: "EN ISO 11699-1 C5, Pb 0.1 mm", density: 2.8 },
  iqi: { type: "iso-19232-1-wire", position: "source-side", sensitivity: "W13" },
} as const satisfies CreateReportBody["technique"];

export const PERSONNEL = {
  inspector: { name: "J. Smith", certificationScheme: "EN ISO 9712", level: "2", certificateNumber: "12345" },
  reviewer: { name: "A. Jones", certificationScheme: "EN ISO 9712", level: "3", certificateNumber: "67890" },
} as const satisfies CreateReportBody["personnel"];

/** EN ISO 10675-1 level 2 over a 10 mm multi-pass weld, 100 mm per film, 12 mm wide. */
export const LEVEL_2 = { standard: "en-iso-10675-1", level: 2 } as const;
export const WELD = { thicknessMm: 10, lengthMm: 100, widthMm: 12, passes: "multiple" } as const;

/** A complete body for `POST /v1/reports`; `overrides` replace whole fields. */
export function reportBody(jobIds: string[], overrides: Partial<CreateReportBody> = {}): CreateReportBody {
  return {
    jobIds,
    acceptance: LEVEL_2,
    weld: WELD,
    technique: TECHNIQUE,
    personnel: PERSONNEL,
    ...overrides,
  };
}

/** Accepts every pending indication of a job, so a report over it can be issued. */
export async function acceptAll(worker: TestWorker, auth: string, jobId: string) {
  const { review: state } = await getReview(worker, auth, jobId);
  const pending = state.items.filter((item) => item.decision === "pending");
  if (pending.length === 0) return;
  await review(
    worker,
    auth,
    jobId,
    pending.map((item) => ({ type: "accept", itemId: item.id })),
  );
}
