import { Inflate } from "fflate";
import { ApiError } from "../../errors";
import type { ZipEntry } from "./central-directory";

const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
/**
 * Compressed bytes handed to the inflater at a time: deflate expands at most about 1032-fold, so
 * one step never produces more than about 4 MiB before the running count is checked.
 */
const INFLATE_STEP_BYTES = 4096;

const invalid = (message: string) =>
  new ApiError("archive_invalid", `Not a readable zip archive: ${message}`);

/**
 * Reads an archive front to back from one stream (one storage read per pass), skipping what it
 * is not asked for; holds at most one chunk of the stream beyond what a caller takes.
 */
export class ArchiveCursor {
  readonly #reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  #chunk: Uint8Array = new Uint8Array(0);
  /** Absolute offset of `#chunk[0]`. */
  #offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async #fill(): Promise<void> {
    while (this.#chunk.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done || !value) throw invalid("the archive ends inside an entry");
      this.#chunk = value;
    }
  }

  /** Drops bytes up to `offset`; the entries are visited in offset order. */
  async skipTo(offset: number): Promise<void> {
    if (offset < this.#offset) throw invalid("entries out of order");
    while (this.#offset < offset) {
      await this.#fill();
      const take = Math.min(this.#chunk.length, offset - this.#offset);
      this.#chunk = this.#chunk.subarray(take);
      this.#offset += take;
    }
  }

  /** The next `length` bytes, as slices of at most `max` bytes each (views, valid until the next call). */
  async *slices(length: number, max: number): AsyncGenerator<Uint8Array> {
    let left = length;
    while (left > 0) {
      await this.#fill();
      const take = Math.min(this.#chunk.length, left, max);
      const slice = this.#chunk.subarray(0, take);
      this.#chunk = this.#chunk.subarray(take);
      this.#offset += take;
      left -= take;
      yield slice;
    }
  }

  /** The next `length` bytes, copied. */
  async read(length: number): Promise<Uint8Array<ArrayBuffer>> {
    const out = new Uint8Array(length);
    let at = 0;
    for await (const slice of this.slices(length, length)) {
      out.set(slice, at);
      at += slice.length;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

function sizeMismatch(entry: ZipEntry, actual: string): ApiError {
  return new ApiError(
    "archive_bomb",
    `${entry.name} declares ${entry.size} bytes but inflates to ${actual}; refused as a possible zip bomb`,
    { details: { entry: entry.name, declared: entry.size } },
  );
}

/** Moves to the entry's local header and checks it agrees with the central directory. */
async function openEntry(cursor: ArchiveCursor, entry: ZipEntry): Promise<void> {
  await cursor.skipTo(entry.localOffset);
  const header = await cursor.read(LOCAL_HEADER_BYTES);
  const view = new DataView(header.buffer);
  if (view.getUint32(0, true) !== LOCAL_SIGNATURE)
    throw invalid(`${entry.name}: no local header where the index points`);
  if (view.getUint16(8, true) !== entry.method)
    throw invalid(`${entry.name}: local header and index disagree`);
  const name = await cursor.read(view.getUint16(26, true));
  if (!sameBytes(name, entry.nameBytes))
    throw invalid(`${entry.name}: local header and index name different files`);
  await cursor.skipTo(entry.localOffset + LOCAL_HEADER_BYTES + name.length + view.getUint16(28, true));
}

/**
 * The entry's content, inflated into a buffer of its declared size: inflating past it, or ending
 * short of it, is refused (`archive_bomb`) before more is produced. The plan has already bounded
 * declared sizes.
 */
export async function readEntry(cursor: ArchiveCursor, entry: ZipEntry): Promise<Uint8Array<ArrayBuffer>> {
  await openEntry(cursor, entry);
  const out = new Uint8Array(entry.size);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw sizeMismatch(entry, `${entry.compressedSize} (stored)`);
    return cursor.read(entry.size);
  }
  let filled = 0;
  let finished = false;
  const inflate = new Inflate((data, final) => {
    if (filled + data.length > entry.size) throw sizeMismatch(entry, "more");
    out.set(data, filled);
    filled += data.length;
    finished ||= final;
  });
  try {
    for await (const slice of cursor.slices(entry.compressedSize, INFLATE_STEP_BYTES)) inflate.push(slice);
    inflate.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw invalid(`${entry.name}: the compressed data is damaged`);
  }
  if (!finished || filled !== entry.size) throw sizeMismatch(entry, String(filled));
  return out;
}
