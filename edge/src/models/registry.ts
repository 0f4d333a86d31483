import type { Db, Tx } from "@db/client-worker";
import { modelAliases, modelVersions } from "@db/schema";
import { and, count, eq, max } from "drizzle-orm";
import { ApiError } from "../errors";
import { formatModelRef, PRODUCTION_ALIAS } from "./names";

export type ModelVersionRow = typeof modelVersions.$inferSelect;

/** The owner's version `name@version`, or null: another owner's versions never match. */
export async function findVersion(
  db: Db | Tx,
  ownerId: string,
  name: string,
  version: number,
): Promise<ModelVersionRow | null> {
  const [row] = await db
    .select()
    .from(modelVersions)
    .where(
      and(
        eq(modelVersions.ownerId, ownerId),
        eq(modelVersions.name, name),
        eq(modelVersions.version, version),
      ),
    );
  return row ?? null;
}

/** The caller's version `name@version`, or 404 for anyone else's: another owner's models are not disclosed. */
export async function ownedVersion(db: Db, ownerId: string, name: string, version: number) {
  const row = await findVersion(db, ownerId, name, version);
  if (!row) throw new ApiError("not_found", "Model version not found");
  return row;
}

/** The version the owner's `production` alias of `name` points at; null when none was promoted. */
export async function productionVersion(
  db: Db | Tx,
  ownerId: string,
  name: string,
): Promise<ModelVersionRow | null> {
  const [row] = await db
    .select({ version: modelVersions })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    .where(
      and(
        eq(modelAliases.ownerId, ownerId),
        eq(modelAliases.name, name),
        eq(modelAliases.alias, PRODUCTION_ALIAS),
      ),
    );
  return row?.version ?? null;
}

export type ModelSummary = {
  name: string;
  source: "shipped" | "registry";
  productionVersion: number | null;
  latestVersion: number | null;
  versions: number;
};

/** Each of the owner's model names with its version count, latest and production versions. */
export async function registryModels(db: Db, ownerId: string, name?: string): Promise<ModelSummary[]> {
  const [names, aliases] = await db.batch([
    db
      .select({ name: modelVersions.name, versions: count(), latest: max(modelVersions.version) })
      .from(modelVersions)
      .where(
        and(
          eq(modelVersions.ownerId, ownerId),
          name === undefined ? undefined : eq(modelVersions.name, name),
        ),
      )
      .groupBy(modelVersions.name)
      .orderBy(modelVersions.name),
    db
      .select({ name: modelAliases.name, version: modelVersions.version })
      .from(modelAliases)
      .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
      .where(
        and(
          eq(modelAliases.ownerId, ownerId),
          eq(modelAliases.alias, PRODUCTION_ALIAS),
          name === undefined ? undefined : eq(modelAliases.name, name),
        ),
      ),
  ]);
  const production = new Map(aliases.map((alias) => [alias.name, alias.version]));
  return names.map((row) => ({
    name: row.name,
    source: "registry",
    productionVersion: production.get(row.name) ?? null,
    latestVersion: row.latest,
    versions: row.versions,
  }));
}

/** A version as the API shows it. */
export function toModelVersion(row: ModelVersionRow, productionId: string | null) {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    ref: formatModelRef(row.name, row.version),
    production: row.id === productionId,
    sha256: row.sha256,
    bytes: row.bytes,
    classes: row.classes,
    inputSize: row.inputSize,
    layout: row.layout as "ultralytics" | "yolov5" | "end2end",
    metadata: row.metadata,
    metrics: row.metrics,
    datasetId: row.datasetId,
    baseModel: row.baseModel,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    cardUrl: `/v1/models/${encodeURIComponent(row.name)}/versions/${row.version}/card`,
  };
}
