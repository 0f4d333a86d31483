import type { Detection } from "@common/contracts/detect-result";
import type { ShadowResult, ShadowResultAnswer } from "@common/contracts/shadow-result";
import type { Db } from "@db/client-worker";
import { detections, jobs, modelShadows, modelVersions, shadowResults } from "@db/schema";
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { ApiError } from "../errors";
import { formatModelRef, parseModelRef } from "../models/names";
import { ownedVersion } from "../models/registry";
import { classAgreement, pickedForShadow, sumAgreement } from "./agreement";

/** The largest share of an owner's jobs a shadow may take. */
export const MAX_SHADOW_SHARE = 0.5;

/** The owner's active shadow of `name`, with its version number; null when none runs. */
export async function activeShadow(db: Db, ownerId: string, name: string) {
  const [row] = await db
    .select({ shadow: modelShadows, version: modelVersions.version })
    .from(modelShadows)
    .innerJoin(modelVersions, eq(modelVersions.id, modelShadows.versionId))
    .where(
      and(eq(modelShadows.ownerId, ownerId), eq(modelShadows.name, name), isNull(modelShadows.stoppedAt)),
    );
  return row ?? null;
}

/**
 * Starts shadowing `name` with one of the owner's versions of it, replacing a running shadow (whose
 * results stay with it). Atomic: the old one stops and the new one starts in one transaction.
 */
export async function startShadow(
  db: Db,
  request: { ownerId: string; actorId: string; name: string; version: number; share: number },
) {
  const version = await ownedVersion(db, request.ownerId, request.name, request.version);
  const id = uuidv7();
  const [, [created]] = await db.batch([
    db
      .update(modelShadows)
      .set({ stoppedAt: sql`now()` })
      .where(
        and(
          eq(modelShadows.ownerId, request.ownerId),
          eq(modelShadows.name, request.name),
          isNull(modelShadows.stoppedAt),
        ),
      ),
    db
      .insert(modelShadows)
      .values({
        id,
        ownerId: request.ownerId,
        name: request.name,
        versionId: version.id,
        share: request.share,
        createdBy: request.actorId,
      })
      .returning(),
  ]);
  if (!created) throw new ApiError("conflict", "The shadow could not be started");
  return created;
}

/** Stops the running shadow of `name`; 404 when none runs. */
export async function stopShadow(db: Db, ownerId: string, name: string) {
  const [stopped] = await db
    .update(modelShadows)
    .set({ stoppedAt: sql`now()` })
    .where(
      and(eq(modelShadows.ownerId, ownerId), eq(modelShadows.name, name), isNull(modelShadows.stoppedAt)),
    )
    .returning();
  if (!stopped) throw new ApiError("not_found", "No shadow runs for this model");
  return stopped;
}

/**
 * At job creation: which of the new jobs also run the owner's shadow of their model's name (a
 * share of them, decided by job id), recorded as pending shadow results the claim reads. Jobs on
 * the shadow version itself, or on a shipped model, never are. Answers the picked job ids.
 */
export async function pickShadowJobs(
  db: Db,
  ownerId: string,
  model: string,
  jobIds: string[],
): Promise<string[]> {
  const ref = parseModelRef(model);
  if (ref?.version == null || jobIds.length === 0) return [];
  const active = await activeShadow(db, ownerId, ref.name);
  if (!active || active.version === ref.version) return [];
  const picked = jobIds.filter((jobId) => pickedForShadow(active.shadow.id, jobId, active.shadow.share));
  if (picked.length > 0) {
    await db
      .insert(shadowResults)
      .values(picked.map((jobId) => ({ jobId, shadowId: active.shadow.id })))
      .onConflictDoNothing();
  }
  return picked;
}

/**
 * The shadow model's report on a job: kept apart from the job, with its per-class agreement with
 * the job's own detections. Only for a job picked for shadow whose own result succeeded, once.
 */
export async function applyShadowResult(
  db: Db,
  jobId: string,
  result: ShadowResult,
): Promise<ShadowResultAnswer> {
  const [row] = await db
    .select({ status: shadowResults.status, jobStatus: jobs.status })
    .from(shadowResults)
    .innerJoin(jobs, eq(jobs.id, shadowResults.jobId))
    .where(eq(shadowResults.jobId, jobId));
  if (row?.status !== "pending" || row.jobStatus !== "succeeded") return { outcome: "ignored" };
  let fields: Partial<typeof shadowResults.$inferInsert>;
  if (result.status === "failed") {
    fields = { status: "failed", error: `${result.error.code}: ${result.error.message}` };
  } else {
    const own = await db
      .select()
      .from(detections)
      .where(eq(detections.jobId, jobId))
      .orderBy(asc(detections.rank));
    const production: Detection[] = own.map((d) => ({
      classId: d.classId,
      label: d.label,
      score: d.score,
      box: { x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 },
    }));
    fields = {
      status: "succeeded",
      model: result.model,
      detections: result.detections,
      agreement: classAgreement(production, result.detections),
    };
  }
  const updated = await db
    .update(shadowResults)
    .set({ ...fields, finishedAt: sql`now()` })
    .where(and(eq(shadowResults.jobId, jobId), eq(shadowResults.status, "pending")))
    .returning({ jobId: shadowResults.jobId });
  return { outcome: updated.length > 0 ? "applied" : "ignored" };
}

/** The owner's latest shadow of `name` (running or stopped) with its aggregated agreement; 404 when none. */
export async function shadowReport(db: Db, ownerId: string, name: string) {
  const [latest] = await db
    .select({ shadow: modelShadows, version: modelVersions.version })
    .from(modelShadows)
    .innerJoin(modelVersions, eq(modelVersions.id, modelShadows.versionId))
    .where(and(eq(modelShadows.ownerId, ownerId), eq(modelShadows.name, name)))
    .orderBy(desc(modelShadows.id))
    .limit(1);
  if (!latest) throw new ApiError("not_found", "This model has never been shadowed");
  const rows = await db
    .select({ status: shadowResults.status, agreement: shadowResults.agreement })
    .from(shadowResults)
    .where(eq(shadowResults.shadowId, latest.shadow.id));
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  const { perClass, total } = sumAgreement(rows.flatMap((row) => (row.agreement ? [row.agreement] : [])));
  return {
    id: latest.shadow.id,
    name,
    version: latest.version,
    ref: formatModelRef(name, latest.version),
    share: latest.shadow.share,
    active: latest.shadow.stoppedAt === null,
    startedAt: latest.shadow.createdAt.toISOString(),
    stoppedAt: latest.shadow.stoppedAt?.toISOString() ?? null,
    jobs: {
      picked: rows.length,
      pending: count("pending"),
      succeeded: count("succeeded"),
      failed: count("failed"),
    },
    agreement: total,
    perClass,
  };
}
