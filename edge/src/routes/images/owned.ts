import type { Db } from "@db/client-worker";
import { images } from "@db/schema";
import { ApiError } from "@edge/errors";
import { and, eq } from "drizzle-orm";

/** The caller's image, or 404: another owner's image is indistinguishable from a missing one. */
export async function ownedImage(db: Db, ownerId: string, id: string) {
  const [row] = await db
    .select()
    .from(images)
    .where(and(eq(images.id, id), eq(images.ownerId, ownerId)));
  if (!row) throw new ApiError("not_found", "Image not found");
  return row;
}
