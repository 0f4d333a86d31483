import { ApiError } from "../../errors";

/** One file of an archive as its central directory (the archive's own index) describes it. */
export type ZipEntry = {
  name: string;
  /** The name's bytes, compared with the local header's so the two cannot disagree. */
  nameBytes: Uint8Array;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
};

export type CentralDirectory = { offset: number; size: number; count: number };

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const EOCD_BYTES = 22;
const CENTRAL_HEADER_BYTES = 46;
/** The end record plus the longest comment it may carry. */
export const EOCD_SEARCH_BYTES = EOCD_BYTES + 0xffff;

const invalid = (message: string) =>
  new ApiError("archive_invalid", `Not a readable zip archive: ${message}`);

/** Where the central directory is, from the end of central directory record in `tail`. */
export function findCentralDirectory(tail: Uint8Array, archiveBytes: number): CentralDirectory {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let at = tail.length - EOCD_BYTES; at >= 0; at -= 1) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    // The comment must run exactly to the end, or these four bytes are inside some other data.
    if (at + EOCD_BYTES + view.getUint16(at + 20, true) !== tail.length) continue;
    const count = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 12, true);
    const offset = view.getUint32(at + 16, true);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      throw invalid("ZIP64 archives are not supported (they exceed the import limits anyway)");
    }
    if (view.getUint16(at + 4, true) !== 0 || view.getUint16(at + 8, true) !== count) {
      throw invalid("multi-part archives are not supported");
    }
    const eocdOffset = archiveBytes - tail.length + at;
    if (offset + size > eocdOffset) throw invalid("the central directory runs past its end record");
    return { offset, size, count };
  }
  throw invalid("no end of central directory record");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Every entry of the central directory, in its order. */
export function parseCentralDirectory(bytes: Uint8Array, directory: CentralDirectory): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < directory.count; i += 1) {
    if (at + CENTRAL_HEADER_BYTES > bytes.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw invalid(`central directory entry ${i + 1} is damaged`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameStart = at + CENTRAL_HEADER_BYTES;
    if (nameStart + nameLength > bytes.length) throw invalid(`central directory entry ${i + 1} is cut off`);
    const nameBytes = bytes.slice(nameStart, nameStart + nameLength);
    let name: string;
    try {
      // Names are UTF-8 (flag bit 11) or plain ASCII in archives that tools write today.
      name = utf8.decode(nameBytes);
    } catch {
      throw invalid(`entry ${i + 1} has a name that is not UTF-8`);
    }
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const localOffset = view.getUint32(at + 42, true);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      throw invalid("ZIP64 entries are not supported (they exceed the import limits anyway)");
    }
    entries.push({
      name,
      nameBytes,
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      compressedSize,
      size,
      localOffset,
    });
    at = nameStart + nameLength + extraLength + commentLength;
  }
  return entries;
}
