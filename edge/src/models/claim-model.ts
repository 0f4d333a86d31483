import type { ClaimedModel } from "@common/contracts/job-claim";
import { jobs, modelVersions } from "@db/schema";
import { sql } from "drizzle-orm";
import type { Config } from "../config";
import { signObjectUrl } from "../images/signed-url";

type StoredModel = { name: string; version: number; sha256: string; bytes: number; objectKey: string };

/**
 * For a claim's RETURNING: the registry version a job's `model` (`name@N`) names, looked up among
 * the job owner's versions only, so a claim can never hand out another owner's model; null for a
 * shipped model.
 */
export const claimedModelColumn = sql<StoredModel | null>`(
  select json_build_object('name', v.name, 'version', v.version, 'sha256', v.sha256,
    'bytes', v.bytes, 'objectKey', v.object_key)
  from ${modelVersions} v
  where v.owner_id = ${jobs.ownerId} and v.name = split_part(${jobs.model}, '@', 1)
    and v.version::text = split_part(${jobs.model}, '@', 2)
)`.mapWith((value: unknown) => (typeof value === "string" ? JSON.parse(value) : value) as StoredModel | null);

/** The claim's `registryModel`: the version with a freshly signed URL to its file. */
export async function claimedModel(config: Config, stored: StoredModel | null): Promise<ClaimedModel | null> {
  if (stored === null) return null;
  const { url, expiresAt } = await signObjectUrl(config, stored.objectKey);
  return {
    name: stored.name,
    version: stored.version,
    sha256: stored.sha256,
    bytes: Number(stored.bytes),
    url,
    urlExpiresAt: expiresAt.toISOString(),
  };
}
