import type { Db } from "@db/client-worker";
import { idempotencyKeys } from "@db/schema";
import { and, eq } from "drizzle-orm";
import { sha256Hex } from "../auth/secrets";
import { ApiError } from "../errors";

export type Replay = { status: number; body: unknown };

/** Status of a claimed key whose request is still being processed. */
const IN_PROGRESS = 0;

/**
 * Claims `key` for this request (IETF draft "The Idempotency-Key HTTP Header Field"): returns the
 * stored response when the same request was already answered; throws 409 when the key was used
 * with another body, or while its first request is still running.
 */
export async function claimIdempotencyKey(
  db: Db,
  ownerId: string,
  key: string,
  fingerprint: string,
): Promise<Replay | null> {
  const requestHash = await sha256Hex(fingerprint);
  const [claimed] = await db
    .insert(idempotencyKeys)
    .values({ ownerId, key, requestHash, responseStatus: IN_PROGRESS, responseBody: {} })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (claimed) return null;
  const [existing] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.ownerId, ownerId), eq(idempotencyKeys.key, key)));
  if (!existing) throw new ApiError("idempotency_request_in_progress", "Retry this request");
  if (existing.requestHash !== requestHash) {
    throw new ApiError("idempotency_key_reused", "This Idempotency-Key was used with a different request");
  }
  if (existing.responseStatus === IN_PROGRESS) {
    throw new ApiError(
      "idempotency_request_in_progress",
      "A request with this Idempotency-Key is still being processed",
    );
  }
  return { status: existing.responseStatus, body: existing.responseBody };
}

export async function storeIdempotentResponse(
  db: Db,
  ownerId: string,
  key: string,
  response: Replay,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseBody: response.body as object })
    .where(and(eq(idempotencyKeys.ownerId, ownerId), eq(idempotencyKeys.key, key)));
}

/** Lets the client retry with the same key after a failure that produced no result. */
export async function releaseIdempotencyKey(db: Db, ownerId: string, key: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.ownerId, ownerId), eq(idempotencyKeys.key, key)));
}
