import { randomToken } from "../auth/secrets";
import { ApiError } from "../errors";
import {
  hasValidEnding,
  type ImageInfo,
  mimeTypes,
  type ProbeResult,
  probeImage,
  sniffFormat,
} from "./probe";
import { probeTiffByRanges } from "./tiff-directory";

/** `maxHeaderBytes` bounds what is held in memory to find a header placed late in the file. */
export type UploadLimits = { maxBytes: number; maxPixels: number; maxHeaderBytes: number };

export type StoredImage = ImageInfo & { objectKey: string; bytes: number; sha256: string };

/**
 * Enough for most headers; big metadata blocks ask for more, read from the stream. A TIFF
 * directory beyond it is read back from storage by ranged reads once the file is stored.
 */
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

type Reader = { read(): Promise<{ done: boolean; value?: Uint8Array }> };

/** Workers' streaming hash; the Bun types merged into this project do not declare it on `crypto`. */
function digestStream(): DigestStream {
  const { DigestStream: Digest } = crypto as unknown as {
    DigestStream: new (algorithm: string) => DigestStream;
  };
  return new Digest("SHA-256");
}

/** Reads from `reader` until `buffered` holds at least `want` bytes or the stream ends. */
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

type HeaderRead = {
  probe: ProbeResult;
  head: Uint8Array;
  reader: Reader & { cancel(reason?: unknown): Promise<void> };
};

/**
 * Reads the stream until its header is probed. A TIFF whose directory lies beyond the head is left
 * to `readStoredTiff` (its `need_more` comes back); other formats read on, up to the header limit.
 */
async function readHeader(body: ReadableStream<Uint8Array>, length: number, limits: UploadLimits) {
  const reader = body.getReader();
  const buffered: Uint8Array[] = [];
  let size = await fill(reader, buffered, Math.min(HEAD_BYTES, length));
  let probe = probeImage(concat(buffered, size), length);
  const tiff = sniffFormat(concat(buffered, size)) === "tiff";
  while (!probe.ok && probe.problem === "need_more" && size < length && !tiff) {
    if (probe.offset > limits.maxHeaderBytes) {
      await reader.cancel();
      throw new ApiError(
        "image_header_too_large",
        `The image's header needs at least the first ${probe.offset} bytes; only the first ${limits.maxHeaderBytes} bytes are searched`,
      );
    }
    // At least double what is held: a probe that only knows a lower bound (a DICOM header with
    // large elements) is then parsed a logarithmic number of times, not once per element.
    size = await fill(reader, buffered, Math.min(Math.max(probe.offset, 2 * size), limits.maxHeaderBytes));
    probe = probeImage(concat(buffered, size), length);
  }
  const read: HeaderRead = { probe, head: concat(buffered, size), reader };
  if (!probe.ok && !(tiff && probe.problem === "need_more" && size < length)) {
    await reader.cancel();
    if (probe.problem === "need_more") refuse("corrupt", "the file ends inside its header");
    refuse(probe.problem, probe.detail);
  }
  if (probe.ok) await checkPixels(probe, limits, () => reader.cancel());
  return read;
}

/** Refuses an image declaring more pixels than allowed, after `cleanUp` (cancel or delete). */
async function checkPixels(info: ImageInfo, limits: UploadLimits, cleanUp: () => Promise<unknown>) {
  const pixels = info.width * info.height;
  if (pixels <= limits.maxPixels) return;
  await cleanUp();
  throw new ApiError(
    "image_too_many_pixels",
    `The image declares ${info.width}×${info.height} = ${pixels} pixels; the limit is ${limits.maxPixels}`,
  );
}

/**
 * The header check of a stored TIFF whose directory follows its pixel data, by ranged reads of the
 * object (`./tiff-directory.ts` bounds them); a refused file's object is deleted.
 */
async function readStoredTiff(
  bucket: R2Bucket,
  objectKey: string,
  head: Uint8Array,
  length: number,
  limits: UploadLimits,
): Promise<ImageInfo> {
  const remove = () => bucket.delete(objectKey);
  let probe: ProbeResult;
  try {
    probe = await probeTiffByRanges(
      async (offset, size) => {
        const object = await bucket.get(objectKey, { range: { offset, length: size } });
        if (!object) throw new Error("the stored image is gone");
        return new Uint8Array(await object.arrayBuffer());
      },
      head,
      length,
    );
  } catch (error) {
    await remove().catch(() => {});
    throw new ApiError("storage_unavailable", "Image storage is unavailable; retry shortly", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
  if (!probe.ok) {
    await remove();
    if (probe.problem === "need_more") refuse("corrupt", "the file ends inside its header");
    refuse(probe.problem, probe.detail);
  }
  await checkPixels(probe, limits, remove);
  return probe;
}

type Streamed = { objectKey: string; sha256: string; tail: Uint8Array };

/** Streams the head and the rest of the body into a new object while hashing it and keeping its tail. */
async function streamIntoBucket(
  bucket: R2Bucket,
  ownerId: string,
  { head, reader }: HeaderRead,
  length: number,
  contentType: string,
): Promise<Streamed> {
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
    await Promise.all([bucket.put(objectKey, fixed.readable, { httpMetadata: { contentType } }), piping]);
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
  return { objectKey, sha256, tail };
}

/**
 * Validates an upload from its header and streams it into R2 while hashing it: only the header is
 * held in memory (a JPEG's or DICOM file's up to `maxHeaderBytes`). A TIFF whose directory follows
 * its pixel data is stored first and its directory then read back by bounded ranged reads; a
 * refused one is deleted. A DICOM file's calibration and header facts come back with its size
 * (`pixelSizeMm`, `metadata`). `length` is the declared size; a stream that ends early or runs
 * long fails the write.
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
  const header = await readHeader(body, length, limits);
  const format = header.probe.ok ? header.probe.format : "tiff";
  const { objectKey, sha256, tail } = await streamIntoBucket(
    bucket,
    ownerId,
    header,
    length,
    mimeTypes[format],
  );
  const probe = header.probe.ok
    ? header.probe
    : await readStoredTiff(bucket, objectKey, header.head, length, limits);
  if (!hasValidEnding(probe.format, tail, length, header.head)) {
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
