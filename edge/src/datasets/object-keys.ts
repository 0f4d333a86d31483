import { randomToken } from "../auth/secrets";

/**
 * Where a version stores the images it adds: under its owner and its own id, unguessable. Later
 * versions reference these keys instead of copying, so a failed request deletes only its own.
 */
export function datasetObjectKey(ownerId: string, datasetId: string): string {
  return `datasets/${ownerId}/${datasetId}/${randomToken(16)}`;
}

/** The archive of an import while it is read; deleted when the request ends, however it ends. */
export function archiveObjectKey(ownerId: string, datasetId: string): string {
  return `datasets/${ownerId}/${datasetId}/archive.zip`;
}

/** Deletes objects a failed request wrote (R2 takes at most 1000 keys per call). */
export async function deleteObjects(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}
