import type { Db } from "@db/client-worker";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { formatModelRef, isShippedModel, parseModelRef } from "./names";
import { ownedVersion, productionVersion } from "./registry";

/**
 * What a new job runs, fixed at creation: a shipped model by name (default: the first of
 * DETECTION_MODELS), the owner's `name@N`, or the owner's `name`, which is its `production`
 * version at this moment (stored as `name@N`, so a later promotion does not change queued jobs).
 * Another owner's version is 404, like one that does not exist.
 */
export async function resolveJobModel(
  db: Db,
  config: Config,
  ownerId: string,
  requested: string | undefined,
): Promise<string> {
  const model = requested ?? (config.DETECTION_MODELS[0] as string);
  if (isShippedModel(config, model)) return model;
  const ref = parseModelRef(model);
  if (ref === null) {
    throw new ApiError(
      "unknown_model",
      `Unknown model "${model}"; available: ${config.DETECTION_MODELS.join(", ")}, or one of your models (name or name@N)`,
    );
  }
  if (ref.version !== null) {
    const row = await ownedVersion(db, ownerId, ref.name, ref.version);
    return formatModelRef(row.name, row.version);
  }
  const production = await productionVersion(db, ownerId, ref.name);
  if (!production) {
    throw new ApiError(
      "unknown_model",
      `Unknown model "${model}": neither a shipped model (${config.DETECTION_MODELS.join(", ")}) nor one of yours with a production version`,
    );
  }
  return formatModelRef(production.name, production.version);
}
