import { InferenceError } from "../errors";

/**
 * onnxruntime-node exposes input/output shapes but not the model's `metadata_props`, where
 * Ultralytics exports keep class names, image size and task. No maintained npm package reads
 * them without pulling in a full protobuf runtime and the ONNX schema, so this walks the
 * top-level fields of the ModelProto wire format and decodes only the two it needs.
 */

/** ModelProto field numbers (onnx/onnx.proto). */
const MODEL_VERSION = 5;
const METADATA_PROPS = 14;
/** StringStringEntryProto field numbers. */
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export interface OnnxModelHeader {
  /** ModelProto.model_version; 0 when the exporter left it unset. */
  modelVersion: number;
  metadata: Record<string, string>;
}

class Reader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
    throw malformed("varint longer than 10 bytes");
  }

  byte(): number {
    if (this.pos >= this.end) throw malformed("truncated");
    return this.bytes[this.pos++] as number;
  }

  skip(length: number): void {
    if (this.pos + length > this.end) throw malformed("field runs past the end");
    this.pos += length;
  }

  field(wireType: number): { start: number; end: number } | null {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return null;
      case WIRE_FIXED64:
        this.skip(8);
        return null;
      case WIRE_FIXED32:
        this.skip(4);
        return null;
      case WIRE_LENGTH: {
        const length = this.varint();
        const start = this.pos;
        this.skip(length);
        return { start, end: this.pos };
      }
      default:
        throw malformed(`unsupported wire type ${wireType}`);
    }
  }
}

function malformed(detail: string): InferenceError {
  return new InferenceError("model_load_failed", `not a valid ONNX model file (${detail})`);
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function readEntry(bytes: Uint8Array, start: number, end: number): [string, string] {
  const reader = new Reader(bytes, start, end);
  let key = "";
  let value = "";
  while (reader.pos < end) {
    const tag = reader.varint();
    const range = reader.field(tag & 7);
    if (range === null) continue;
    const text = utf8.decode(bytes.subarray(range.start, range.end));
    if (tag >>> 3 === ENTRY_KEY) key = text;
    else if (tag >>> 3 === ENTRY_VALUE) value = text;
  }
  return [key, value];
}

/** Reads `model_version` and `metadata_props` from serialized ONNX model bytes. */
export function readOnnxHeader(bytes: Uint8Array): OnnxModelHeader {
  const reader = new Reader(bytes, 0, bytes.length);
  const metadata: Record<string, string> = {};
  let modelVersion = 0;
  while (reader.pos < bytes.length) {
    const tag = reader.varint();
    const fieldNumber = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (fieldNumber === MODEL_VERSION && wireType === WIRE_VARINT) {
      modelVersion = reader.varint();
      continue;
    }
    const range = reader.field(wireType);
    if (range !== null && fieldNumber === METADATA_PROPS) {
      const [key, value] = readEntry(bytes, range.start, range.end);
      if (key !== "") metadata[key] = value;
    }
  }
  return { modelVersion, metadata };
}
