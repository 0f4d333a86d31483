/**
 * Reads a request body as text, at most `limit` bytes: a declared Content-Length over the limit
 * is refused before reading, and a stream that runs past it is cut off. `tooLarge` makes the
 * error each server answers with.
 */
export async function readLimitedText(
  request: Request,
  limit: number,
  tooLarge: () => Error,
): Promise<string> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw tooLarge();
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
