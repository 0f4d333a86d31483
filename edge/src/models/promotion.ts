import type { Db, Tx } from "@db/client-worker";
import { modelAliases, modelPromotions } from "@db/schema";
import { and, asc, eq, sql } from "drizzle-orm";
import { ApiError } from "../errors";
import { PRODUCTION_ALIAS } from "./names";
import { findVersion, type ModelVersionRow, productionVersion } from "./registry";

type Change = { ownerId: string; actorId: string | null; name: string; reason: string };

/** Points `production` at `to` and records the change, in the caller's transaction. */
async function setProduction(
  tx: Tx,
  change: Change,
  to: ModelVersionRow,
  audit: { action: "promote" | "rollback"; fromVersion: number | null; forced: boolean },
) {
  await tx
    .insert(modelAliases)
    .values({ ownerId: change.ownerId, name: change.name, alias: PRODUCTION_ALIAS, versionId: to.id })
    .onConflictDoUpdate({
      target: [modelAliases.ownerId, modelAliases.name, modelAliases.alias],
      set: { versionId: to.id, updatedAt: sql`now()` },
    });
  const [row] = await tx
    .insert(modelPromotions)
    .values({
      ownerId: change.ownerId,
      name: change.name,
      actorId: change.actorId,
      reason: change.reason,
      toVersion: to.version,
      ...audit,
    })
    .returning();
  return row as typeof modelPromotions.$inferSelect;
}

/** Serialises changes of one model's alias: read, decide and write happen under this lock. */
const lockModel = (tx: Tx, ownerId: string, name: string) =>
  tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`model-alias\n${ownerId}\n${name}`}, 0))`);

const map50 = (row: ModelVersionRow | null) => {
  const value = row?.metrics?.val?.map50;
  return typeof value === "number" ? value : null;
};

/**
 * Sets the owner's `production` alias of `name` to `version`. The gate: a candidate whose
 * validation mAP@0.5 is below the current production version's (or that has none while the
 * current one has) is refused unless `force`. Every promotion is audited, forced or not.
 */
export async function promoteVersion(db: Db, change: Change & { version: number; force: boolean }) {
  return db.interactiveTransaction(async (tx) => {
    await lockModel(tx, change.ownerId, change.name);
    const candidate = await findVersion(tx, change.ownerId, change.name, change.version);
    if (!candidate) throw new ApiError("not_found", "Model version not found");
    const current = await productionVersion(tx, change.ownerId, change.name);
    if (current?.id === candidate.id) {
      throw new ApiError("conflict", `${change.name}@${change.version} is already in production`);
    }
    const [candidateMap, currentMap] = [map50(candidate), map50(current)];
    const refused = currentMap !== null && (candidateMap === null || candidateMap < currentMap);
    if (refused && !change.force) {
      throw new ApiError(
        "promotion_gate",
        `Validation mAP@0.5 of ${change.name}@${change.version} (${candidateMap ?? "none"}) is below production's (${currentMap}); send force: true to promote anyway`,
        { details: { candidate: candidateMap, production: currentMap, productionVersion: current?.version } },
      );
    }
    return setProduction(tx, change, candidate, {
      action: "promote",
      fromVersion: current?.version ?? null,
      forced: refused,
    });
  });
}

/**
 * Returns `production` to the version it pointed at before the current one. The history is a
 * stack: a promotion pushes its version, a rollback pops one, so repeated rollbacks walk back
 * through earlier promotions rather than toggling between the last two.
 */
export async function rollbackVersion(db: Db, change: Change) {
  return db.interactiveTransaction(async (tx) => {
    await lockModel(tx, change.ownerId, change.name);
    const history = await tx
      .select({ action: modelPromotions.action, toVersion: modelPromotions.toVersion })
      .from(modelPromotions)
      .where(and(eq(modelPromotions.ownerId, change.ownerId), eq(modelPromotions.name, change.name)))
      .orderBy(asc(modelPromotions.id));
    const stack: number[] = [];
    for (const entry of history) {
      if (entry.action === "promote") stack.push(entry.toVersion);
      else stack.pop();
    }
    const current = await productionVersion(tx, change.ownerId, change.name);
    if (!current) throw new ApiError("not_found", "The model has no production version");
    const previous = stack.at(-2);
    const target =
      previous === undefined ? null : await findVersion(tx, change.ownerId, change.name, previous);
    if (!target) throw new ApiError("conflict", "There is no earlier production version to roll back to");
    return setProduction(tx, change, target, {
      action: "rollback",
      fromVersion: current.version,
      forced: false,
    });
  });
}
