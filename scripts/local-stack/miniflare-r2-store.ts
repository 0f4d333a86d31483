/**
 * Reads objects of a local R2 bucket from the folder Miniflare persists it in (`wrangler dev
 * --persist-to=<dir>` keeps it in `<dir>/v3/r2`; Miniflare's `r2Persist` names the folder
 * itself), without going through workerd: Miniflare's R2 simulator keeps each bucket's object
 * rows in a Durable Object's SQLite database (`miniflare-R2BucketObject/<id>.sqlite`, WAL mode,
 * so another process reads committed rows while workerd writes) and each object's bytes in a
 * blob file (`<bucket>/blobs/<blob id>`); a multipart object's bytes are its parts' blobs in
 * part order. Read only: every write stays the Worker's.
 */
import { Database } from "bun:sqlite";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export type StoredObject = {
  key: string;
  size: number;
  /** R2's etag, unquoted (an MD5, or `<md5>-<parts>` for a multipart object). */
  etag: string;
  uploaded: Date;
  httpMetadata: Record<string, string>;
  customMetadata: Record<string, string>;
  /** The blob files holding the bytes, in order, with their sizes. */
  parts: Array<{ path: string; size: number }>;
};

type ObjectRow = {
  key: string;
  blob_id: string | null;
  size: number;
  etag: string;
  uploaded: number;
  http_metadata: string;
  custom_metadata: string;
};

const OBJECT_DIR = "miniflare-R2BucketObject";
const parseRecord = (json: string): Record<string, string> => JSON.parse(json) as Record<string, string>;

export type PersistedBucket = {
  /** The object's row and blob files, or null when the bucket has no such key. */
  head(key: string): StoredObject | null;
  close(): void;
};

/**
 * Opens bucket `bucket` under `r2Dir`. Which SQLite database is the bucket's is told by its
 * blobs: Miniflare names the database after the Durable Object id, and a row belongs to this
 * bucket when its blob is in this bucket's blob folder.
 */
export function openPersistedBucket(r2Dir: string, bucket: string): PersistedBucket {
  const blobDir = join(r2Dir, bucket, "blobs");
  const databases = new Map<string, Database>();

  /** Opens databases that appeared since the last look (a bucket's first write creates its own). */
  function refresh(): void {
    const dir = join(r2Dir, OBJECT_DIR);
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".sqlite") || name === "metadata.sqlite" || databases.has(name)) continue;
      databases.set(name, new Database(join(dir, name), { readonly: true }));
    }
  }

  function partsOf(db: Database, row: ObjectRow): StoredObject["parts"] {
    if (row.blob_id !== null) return [{ path: join(blobDir, row.blob_id), size: row.size }];
    return db
      .query<{ blob_id: string; size: number }, [string]>(
        "SELECT blob_id, size FROM _mf_multipart_parts WHERE object_key = ? ORDER BY part_number",
      )
      .all(row.key)
      .map((part) => ({ path: join(blobDir, part.blob_id), size: part.size }));
  }

  function readRow(db: Database, key: string): ObjectRow | null {
    try {
      return db
        .query<ObjectRow, [string]>(
          "SELECT key, blob_id, size, etag, uploaded, http_metadata, custom_metadata FROM _mf_objects WHERE key = ?",
        )
        .get(key);
    } catch (error) {
      // A database whose Durable Object has not created its tables yet holds no object.
      if (error instanceof Error && error.message.includes("no such table")) return null;
      throw error;
    }
  }

  function lookUp(key: string): StoredObject | null {
    for (const db of databases.values()) {
      const row = readRow(db, key);
      if (!row) continue;
      const parts = partsOf(db, row);
      // Another bucket's row (same key elsewhere), or an object deleted since the row was read.
      if (parts.length === 0 || !parts.every((part) => existsSync(part.path))) continue;
      return {
        key: row.key,
        size: row.size,
        etag: row.etag,
        uploaded: new Date(row.uploaded),
        httpMetadata: parseRecord(row.http_metadata),
        customMetadata: parseRecord(row.custom_metadata),
        parts,
      };
    }
    return null;
  }

  return {
    head(key) {
      const found = lookUp(key);
      if (found) return found;
      refresh();
      return lookUp(key);
    },
    close() {
      for (const db of databases.values()) db.close();
      databases.clear();
    },
  };
}
