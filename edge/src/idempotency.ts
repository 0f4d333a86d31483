import type { Db } from "@db/client-worker";
import { idempotencyKeys } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { sha256Hex } from "./auth/secrets";
import { ApiError } from "./errors";

export type Replay = { status: number; body: unknown };

/** The request header of the routes that create things (jobs, reports); optional. */
export const IdempotencyHeaderSchema = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({
    description: "Makes retries safe: the same key and body return the first answer; another body is refused",
  }),
});

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

/**
 * Runs `create` at most once per key: a repeat of the same request gets the stored answer
 * (`replayed`), a failure releases the key so the client can retry, and without a key it simply
 * runs. `fingerprint` names the request (method, path and body).
 */
export async function idempotently<T>(
  db: Db,
  ownerId: string,
  key: string | undefined,
  fingerprint: string,
  status: number,
  create: () => Promise<T>,
): Promise<{ body: T; replayed: boolean }> {
  if (!key) return { body: await create(), replayed: false };
  const replay = await claimIdempotencyKey(db, ownerId, key, fingerprint);
  if (replay) return { body: replay.body as T, replayed: true };
  try {
    const body = await create();
    await storeIdempotentResponse(db, ownerId, key, { status, body });
    return { body, replayed: false };
  } catch (error) {
    await releaseIdempotencyKey(db, ownerId, key).catch(() => {});
    throw error;
  }
}
