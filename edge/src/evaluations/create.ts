import { type EvaluateMessage, EvaluateMessageSchema } from "@common/contracts/detect-message";
import type { Db } from "@db/client-worker";
import { type EvaluationBaseline, modelEvaluations, modelVersions } from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config";
import { isShippedModel, parseModelRef } from "../models/names";
import { type ModelVersionRow, productionVersion } from "../models/registry";

type EvaluationRow = typeof modelEvaluations.$inferSelect;

/**
 * What a new version is set against: the owner's production version of the name (unless that is
 * the candidate itself), else the model it was fine-tuned from (a shipped model, or one of the
 * owner's versions), else the first shipped model.
 */
export async function resolveBaseline(
  db: Db,
  config: Config,
  version: ModelVersionRow,
): Promise<EvaluationBaseline> {
  const production = await productionVersion(db, version.ownerId, version.name);
  if (production && production.id !== version.id) {
    return {
      source: "registry",
      name: production.name,
      version: production.version,
      versionId: production.id,
    };
  }
  const base = version.baseModel;
  if (base && isShippedModel(config, base)) return { source: "shipped", name: base };
  const ref = base ? parseModelRef(base) : null;
  if (ref?.version != null) {
    const [row] = await db
      .select({ id: modelVersions.id })
      .from(modelVersions)
      .where(
        and(
          eq(modelVersions.ownerId, version.ownerId),
          eq(modelVersions.name, ref.name),
          eq(modelVersions.version, ref.version),
        ),
      );
    if (row) return { source: "registry", name: ref.name, version: ref.version, versionId: row.id };
  }
  return { source: "shipped", name: config.DETECTION_MODELS[0] as string };
}

export function evaluationMessage(row: Pick<EvaluationRow, "id" | "traceparent">): EvaluateMessage {
  return EvaluateMessageSchema.parse({
    version: 1,
    kind: "evaluate",
    evaluationId: row.id,
    traceparent: row.traceparent ?? "",
    enqueuedAt: new Date().toISOString(),
  });
}

/** Sends evaluate messages as JSON (the pull consumer's encoding) and marks them enqueued. */
export async function enqueueEvaluations(
  db: Db,
  queue: Queue<unknown>,
  rows: EvaluationRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await queue.sendBatch(rows.map((row) => ({ body: evaluationMessage(row), contentType: "json" as const })));
  await db
    .update(modelEvaluations)
    .set({ enqueuedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      inArray(
        modelEvaluations.id,
        rows.map((row) => row.id),
      ),
    );
}

/**
 * Creates the evaluation of a version that names a dataset (once per version: a second request
 * finds the first) and queues it. Null for a version without a dataset. A failed send leaves it
 * queued and unsent; the sweeper sends it after EVALUATION_STUCK_AFTER_SECONDS.
 */
export async function requestEvaluation(
  db: Db,
  config: Config,
  queue: Queue<unknown>,
  version: ModelVersionRow,
  traceparent: string | null,
): Promise<EvaluationRow | null> {
  if (version.datasetId === null) return null;
  const baseline = await resolveBaseline(db, config, version);
  const [created] = await db
    .insert(modelEvaluations)
    .values({
      id: uuidv7(),
      ownerId: version.ownerId,
      versionId: version.id,
      datasetId: version.datasetId,
      baseline,
      traceparent,
    })
    .onConflictDoNothing({ target: modelEvaluations.versionId })
    .returning();
  if (!created) {
    const [existing] = await db
      .select()
      .from(modelEvaluations)
      .where(eq(modelEvaluations.versionId, version.id));
    return existing ?? null;
  }
  await enqueueEvaluations(db, queue, [created]);
  return created;
}
