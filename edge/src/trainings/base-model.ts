import type { TrainBase } from "@common/contracts/train-claim";
import type { Db } from "@db/client-worker";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { signObjectUrl } from "../images/signed-url";
import { isShippedModel, parseModelRef } from "../models/names";
import { findVersion, type ModelVersionRow } from "../models/registry";

export type ResolvedBase = { kind: "shipped"; name: string } | { kind: "registry"; row: ModelVersionRow };

/**
 * The base a run fine-tunes from: one of the owner's registry versions (`name@N`, 404 for anyone
 * else's, as for a missing one) or a shipped model (`DETECTION_MODELS`, read-only, every owner's).
 */
export async function resolveBaseModel(
  db: Db,
  config: Config,
  ownerId: string,
  baseModel: string,
): Promise<ResolvedBase> {
  const ref = parseModelRef(baseModel);
  if (ref?.version == null) {
    if (!isShippedModel(config, baseModel)) {
      throw new ApiError(
        "unknown_model",
        `Unknown base model "${baseModel}"; name a version of yours (name@N) or one of: ${config.DETECTION_MODELS.join(", ")}`,
      );
    }
    return { kind: "shipped", name: baseModel };
  }
  const row = await findVersion(db, ownerId, ref.name, ref.version);
  if (!row) throw new ApiError("not_found", `Model version ${baseModel} not found`);
  return { kind: "registry", row };
}

/** The base as the claim hands it to the trainer: a registry version with a fresh presigned URL. */
export async function trainBase(config: Config, base: ResolvedBase): Promise<TrainBase> {
  if (base.kind === "shipped") return base;
  const { url, expiresAt } = await signObjectUrl(config, base.row.objectKey);
  return {
    kind: "registry",
    name: base.row.name,
    version: base.row.version,
    url,
    urlExpiresAt: expiresAt.toISOString(),
    sha256: base.row.sha256,
    bytes: base.row.bytes,
  };
}
