import { randomToken } from "../auth/secrets";
import { ApiError } from "../errors";
import { hasValidEnding, type ImageInfo, mimeTypes, probeImage } from "./probe";

/** `maxHeaderBytes` bounds what is held in memory to find a header placed late in the file. */
export type UploadLimits = { maxBytes: number; maxPixels: number; maxHeaderBytes: number };

export type StoredImage = ImageInfo & { objectKey: string; bytes: number; sha256: string };

/** Enough for most headers; TIFF directories at the end and big metadata blocks ask for more. */
const HEAD_BYTES = 64 * 1024;
/** Bytes kept from the end of the stream to check the format's closing marker. */
const TAIL_BYTES = 64;

/** Owner-scoped and unguessable (128 random bits), so keys reveal nothing and cannot be enumerated. */
export function newObjectKey(ownerId: string): string {
  return `images/${ownerId}/${randomToken(16)}`;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Reads from `reader` until `buffered` holds at least `want` bytes or the stream ends. */
type Reader = { read(): Promise<{ done: boolean; value?: Uint8Array }> };

/** Workers' streaming hash; the Bun types merged into this project do not declare it on `crypto`. */
function digestStream(): DigestStream {
  const { DigestStream: Digest } = crypto as unknown as {
    DigestStream: new (algorithm: string) => DigestStream;
  };
  return new Digest("SHA-256");
}

async function fill(reader: Reader, buffered: Uint8Array[], want: number) {
  let size = buffered.reduce((sum, chunk) => sum + chunk.length, 0);
  while (size < want) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    buffered.push(value);
    size += value.length;
  }
  return size;
}

function refuse(
  problem: "unsupported" | "unsupported_transfer_syntax" | "polyglot" | "corrupt",
  detail: string,
): never {
  if (problem === "unsupported") throw new ApiError("unsupported_image_type", `Unsupported image: ${detail}`);
  if (problem === "unsupported_transfer_syntax") {
    throw new ApiError("unsupported_transfer_syntax", `Unsupported DICOM encoding: ${detail}`);
  }
  if (problem === "polyglot") throw new ApiError("image_polyglot", `Refused: ${detail}`);
  throw new ApiError("image_corrupt", `The image is damaged: ${detail}`);
}

/**
 * Validates an upload from its header and streams it into R2 while hashing it: only the header
 * (or, for a TIFF whose directory sits at the end, the bytes up to it) is held in memory. A DICOM
 * file's calibration and header facts come back with its size (`pixelSizeMm`, `metadata`).
 * `length` is the declared size; a stream that ends early or runs long fails the write.
 */
export async function storeImage(
  bucket: R2Bucket,
  ownerId: string,
  body: ReadableStream<Uint8Array>,
  length: number,
  limits: UploadLimits,
): Promise<StoredImage> {
  if (length === 0) throw new ApiError("empty_body", "The upload is empty");
  if (length > limits.maxBytes) {
    await body.cancel();
    throw new ApiError("payload_too_large", `The upload is ${length} bytes; the limit is ${limits.maxBytes}`);
  }
  const reader = body.getReader();
  const buffered: Uint8Array[] = [];
  let size = await fill(reader, buffered, Math.min(HEAD_BYTES, length));
  let probe = probeImage(concat(buffered, size), length);
  while (!probe.ok && probe.problem === "need_more" && size < length) {
    if (probe.offset > limits.maxHeaderBytes) {
      await reader.cancel();
      throw new ApiError(
        "image_header_too_large",
        `The image's header (or TIFF directory) needs at least the first ${probe.offset} bytes; only the first ${limits.maxHeaderBytes} bytes are searched`,
      );
    }
    // At least double what is held: a probe that only knows a lower bound (a DICOM header with
    // large elements) is then parsed a logarithmic number of times, not once per element.
    size = await fill(reader, buffered, Math.min(Math.max(probe.offset, 2 * size), limits.maxHeaderBytes));
    probe = probeImage(concat(buffered, size), length);
  }
  if (!probe.ok) {
    await reader.cancel();
    if (probe.problem === "need_more") refuse("corrupt", "the file ends inside its header");
    refuse(probe.problem, probe.detail);
  }
  const pixels = probe.width * probe.height;
  if (pixels > limits.maxPixels) {
    await reader.cancel();
    throw new ApiError(
      "image_too_many_pixels",
      `The image declares ${probe.width}×${probe.height} = ${pixels} pixels; the limit is ${limits.maxPixels}`,
    );
  }
  const head: Uint8Array = concat(buffered, size);

  const digest = digestStream();
  const digestWriter = digest.getWriter();
  let tail = new Uint8Array(0);
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const observed = source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        await digestWriter.write(chunk);
        const joined = concat([tail, chunk], tail.length + chunk.length);
        tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
        controller.enqueue(chunk);
      },
      async flush() {
        await digestWriter.close();
      },
    }),
  );
  // R2 needs the length up front; FixedLengthStream also fails the write if the body lies about it.
  const fixed = new FixedLengthStream(length);
  const piping = observed.pipeTo(fixed.writable);
  const objectKey = newObjectKey(ownerId);
  try {
    await Promise.all([
      bucket.put(objectKey, fixed.readable, { httpMetadata: { contentType: mimeTypes[probe.format] } }),
      piping,
    ]);
  } catch (error) {
    await bucket.delete(objectKey).catch(() => {});
    // A body that broke off or ran long is the request body guard's refusal, which the error
    // handler answers with; what is left is storage failing.
    throw new ApiError("storage_unavailable", "Image storage is unavailable; retry shortly", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
  const sha256 = Array.from(new Uint8Array(await digest.digest), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  if (!hasValidEnding(probe.format, tail, length, head)) {
    await bucket.delete(objectKey);
    refuse("corrupt", `the ${probe.format.toUpperCase()} data is truncated`);
  }
  return {
    format: probe.format,
    width: probe.width,
    height: probe.height,
    bitDepth: probe.bitDepth,
    ...(probe.pixelSizeMm ? { pixelSizeMm: probe.pixelSizeMm } : {}),
    ...(probe.metadata ? { metadata: probe.metadata } : {}),
    objectKey,
    bytes: length,
    sha256,
  };
}
