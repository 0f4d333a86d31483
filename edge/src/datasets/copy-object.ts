import { ApiError } from "../errors";

const storageUnavailable = (cause?: unknown) =>
  new ApiError("storage_unavailable", "Dataset storage is unavailable; retry shortly", {
    headers: { "Retry-After": "5" },
    ...(cause === undefined ? {} : { cause }),
  });

/** Copies an object to a new key, streamed (R2's binding has no server-side copy). */
export async function copyObject(bucket: R2Bucket, from: string, to: string): Promise<void> {
  const object = await bucket.get(from).catch((error: unknown) => {
    throw storageUnavailable(error);
  });
  if (!object) throw storageUnavailable();
  // R2 needs the length up front; FixedLengthStream gives the stream one.
  const fixed = new FixedLengthStream(object.size);
  try {
    await Promise.all([
      bucket.put(to, fixed.readable, { httpMetadata: object.httpMetadata ?? {} }),
      object.body.pipeTo(fixed.writable),
    ]);
  } catch (error) {
    await bucket.delete(to).catch(() => {});
    throw storageUnavailable(error);
  }
}

/** Writes bytes held in memory (an image read from an archive). */
export async function putObject(bucket: R2Bucket, key: string, bytes: Uint8Array, contentType: string) {
  try {
    await bucket.put(key, bytes, { httpMetadata: { contentType } });
  } catch (error) {
    throw storageUnavailable(error);
  }
}

/**
 * Runs `work` over `items`, at most `limit` at a time. After a failure no new item starts, and it
 * settles only once the running ones have, so a caller cleaning up sees every write made.
 */
export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
