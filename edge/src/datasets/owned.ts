import type { Db } from "@db/client-worker";
import { datasetItems, datasets } from "@db/schema";
import { and, asc, eq } from "drizzle-orm";
import { ApiError } from "../errors";
import type { ItemDraft } from "./write-version";

/** The caller's dataset version, or 404 for anyone else's: a dataset's existence is not disclosed. */
export async function ownedDataset(db: Db, ownerId: string, id: string) {
  const [row] = await db
    .select()
    .from(datasets)
    .where(and(eq(datasets.id, id), eq(datasets.ownerId, ownerId)));
  if (!row) throw new ApiError("not_found", "Dataset not found");
  return row;
}

/** A version's items as drafts of the next one: same keys, objects, splits and boxes. */
export async function carriedItems(db: Db, datasetId: string): Promise<ItemDraft[]> {
  const rows = await db
    .select()
    .from(datasetItems)
    .where(eq(datasetItems.datasetId, datasetId))
    .orderBy(asc(datasetItems.key));
  return rows.map(({ id: _id, datasetId: _dataset, createdAt: _created, ...item }) => item);
}
