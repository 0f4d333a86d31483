import {
  EVALUATION_PARAMS,
  EVALUATION_THRESHOLD,
  type EvaluatedModel,
  type EvaluationClaim,
  type EvaluationProgressAnswer,
} from "@common/contracts/evaluation";
import type { Db } from "@db/client-worker";
import { datasetItems, datasets, type EvaluationBaseline, modelEvaluations, modelVersions } from "@db/schema";
import { and, asc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { Config } from "../config";
import { signObjectUrl } from "../images/signed-url";

type EvaluationRow = typeof modelEvaluations.$inferSelect;

/** Running, but no claim or progress report for EVALUATION_STUCK_AFTER_SECONDS: its service is gone. */
export function evaluatorSilent(config: Config): SQL {
  return sql`coalesce(${modelEvaluations.heartbeatAt}, ${modelEvaluations.updatedAt}) < now() - make_interval(secs => ${config.EVALUATION_STUCK_AFTER_SECONDS})`;
}

/** A version's file as a claim hands it out: by a freshly signed URL, with its size and hash. */
async function registryModel(
  config: Config,
  row: Pick<typeof modelVersions.$inferSelect, "name" | "version" | "sha256" | "bytes" | "objectKey">,
): Promise<EvaluatedModel> {
  const { url, expiresAt } = await signObjectUrl(config, row.objectKey);
  return {
    source: "registry",
    name: row.name,
    version: row.version,
    sha256: row.sha256,
    bytes: Number(row.bytes),
    url,
    urlExpiresAt: expiresAt.toISOString(),
  };
}

/** Both sides, looked up among the evaluation owner's versions only; null if one is gone. */
async function sides(db: Db, config: Config, row: EvaluationRow) {
  const baseline: EvaluationBaseline = row.baseline;
  const ids = [row.versionId, ...(baseline.source === "registry" ? [baseline.versionId] : [])];
  const versions = await db
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.ownerId, row.ownerId), inArray(modelVersions.id, ids)));
  const byId = new Map(versions.map((version) => [version.id, version]));
  const candidate = byId.get(row.versionId);
  if (!candidate) return null;
  if (baseline.source === "shipped") {
    return {
      candidate: await registryModel(config, candidate),
      baseline: { source: "shipped" as const, name: baseline.name },
    };
  }
  const base = byId.get(baseline.versionId);
  if (!base) return null;
  return { candidate: await registryModel(config, candidate), baseline: await registryModel(config, base) };
}

/** The dataset's validation items (the first EVALUATION_MAX_ITEMS by id), each with a signed URL. */
async function validationItems(db: Db, config: Config, datasetId: string) {
  const rows = await db
    .select({
      key: datasetItems.key,
      objectKey: datasetItems.objectKey,
      sha256: datasetItems.sha256,
      boxes: datasetItems.boxes,
    })
    .from(datasetItems)
    .where(and(eq(datasetItems.datasetId, datasetId), eq(datasetItems.split, "val")))
    .orderBy(asc(datasetItems.id))
    .limit(config.EVALUATION_MAX_ITEMS);
  return Promise.all(
    rows.map(async (item) => {
      const { url, expiresAt } = await signObjectUrl(config, item.objectKey);
      return {
        key: item.key,
        url,
        urlExpiresAt: expiresAt.toISOString(),
        sha256: item.sha256,
        boxes: item.boxes,
      };
    }),
  );
}

/** Ends an evaluation that cannot run (a side or the dataset is gone); null if already finished. */
export async function failEvaluation(db: Db, id: string, code: string, message: string) {
  const [row] = await db
    .update(modelEvaluations)
    .set({ status: "failed", errorCode: code, error: message, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(modelEvaluations.id, id), inArray(modelEvaluations.status, ["queued", "running"])))
    .returning();
  return row ?? null;
}

/**
 * Claims an evaluation for one attempt, in one conditional UPDATE: a queued one, or a running one
 * whose service went silent, becomes `running` with its claim counted. One that another attempt
 * still reports progress on is `busy`; a finished (or deleted) one is `finished`. The answer
 * carries the validation items and both models with freshly signed URLs.
 */
export async function claimEvaluation(db: Db, config: Config, id: string): Promise<EvaluationClaim> {
  const [row] = await db
    .update(modelEvaluations)
    .set({
      status: "running",
      attempts: sql`${modelEvaluations.attempts} + 1`,
      startedAt: sql`now()`,
      heartbeatAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(modelEvaluations.id, id),
        or(
          eq(modelEvaluations.status, "queued"),
          and(eq(modelEvaluations.status, "running"), evaluatorSilent(config)),
        ),
      ),
    )
    .returning();
  if (!row) {
    const [current] = await db
      .select({ status: modelEvaluations.status })
      .from(modelEvaluations)
      .where(eq(modelEvaluations.id, id));
    return current?.status === "running" || current?.status === "queued"
      ? { outcome: "busy" }
      : { outcome: "finished" };
  }
  const [[dataset], models] = await Promise.all([
    db.select({ classes: datasets.classes }).from(datasets).where(eq(datasets.id, row.datasetId)),
    sides(db, config, row),
  ]);
  if (!dataset || !models) {
    await failEvaluation(db, id, "not_found", "the version, its baseline or its dataset no longer exists");
    return { outcome: "finished" };
  }
  return {
    outcome: "claimed",
    attempts: row.attempts,
    evaluation: {
      id: row.id,
      datasetId: row.datasetId,
      classes: dataset.classes,
      params: { ...EVALUATION_PARAMS },
      threshold: EVALUATION_THRESHOLD,
      items: await validationItems(db, config, row.datasetId),
      ...models,
    },
  };
}

/** The current attempt's heartbeat; any other attempt (or a finished evaluation) is told to stop. */
export async function recordProgress(db: Db, id: string, attempt: number): Promise<EvaluationProgressAnswer> {
  const [row] = await db
    .update(modelEvaluations)
    .set({ heartbeatAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(modelEvaluations.id, id),
        eq(modelEvaluations.status, "running"),
        eq(modelEvaluations.attempts, attempt),
      ),
    )
    .returning({ id: modelEvaluations.id });
  return { outcome: row ? "continue" : "stop" };
}

/** Evaluations that never reached their service, or whose service died, up to `limit`. */
export function stuckEvaluations(db: Db, config: Config, limit: number) {
  const cutoff = sql`now() - make_interval(secs => ${config.EVALUATION_STUCK_AFTER_SECONDS})`;
  return db
    .select({ id: modelEvaluations.id })
    .from(modelEvaluations)
    .where(
      or(
        and(eq(modelEvaluations.status, "running"), evaluatorSilent(config)),
        and(
          eq(modelEvaluations.status, "queued"),
          lt(sql`coalesce(${modelEvaluations.enqueuedAt}, ${modelEvaluations.createdAt})`, cutoff),
        ),
      ),
    )
    .orderBy(asc(modelEvaluations.createdAt))
    .limit(limit)
    .for("update", { skipLocked: true });
}
