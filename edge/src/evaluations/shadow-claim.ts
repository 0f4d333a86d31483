import { jobs, modelShadows, modelVersions, shadowResults } from "@db/schema";
import { sql } from "drizzle-orm";

type StoredModel = { name: string; version: number; sha256: string; bytes: number; objectKey: string };

/**
 * For a job claim's RETURNING: the shadow version a job was picked to run as well (its shadow
 * result still pending), from the job owner's versions only; null when it was not picked.
 */
export const shadowModelColumn = sql<StoredModel | null>`(
  select json_build_object('name', v.name, 'version', v.version, 'sha256', v.sha256,
    'bytes', v.bytes, 'objectKey', v.object_key)
  from ${shadowResults} r
  join ${modelShadows} s on s.id = r.shadow_id
  join ${modelVersions} v on v.id = s.version_id and v.owner_id = ${jobs.ownerId}
  where r.job_id = ${jobs.id} and r.status = 'pending'
)`.mapWith((value: unknown) => (typeof value === "string" ? JSON.parse(value) : value) as StoredModel | null);
