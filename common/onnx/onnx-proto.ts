/**
 * onnxruntime exposes input/output shapes but not the model's `metadata_props`, where Ultralytics
 * exports keep class names, image size and task; and the edge, which verifies uploaded models,
 * has no runtime at all. No maintained npm package reads ONNX without pulling in a full protobuf
 * runtime and the ONNX schema, so this walks the ModelProto wire format and decodes only what it
 * needs: `model_version`, `metadata_props`, and the graph's input and output tensor types.
 */

/** ModelProto field numbers (onnx/onnx.proto). */
const MODEL_VERSION = 5;
const GRAPH = 7;
const METADATA_PROPS = 14;
/** GraphProto: the graph's inputs and outputs (ValueInfoProto). */
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
/** StringStringEntryProto field numbers. */
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

/** Largest metadata entry or graph input/output description a streamed read holds in memory. */
const MAX_CAPTURED_FIELD_BYTES = 1024 * 1024;

/** The bytes are not a readable ONNX ModelProto. */
export class OnnxFormatError extends Error {
  constructor(detail: string) {
    super(`not a valid ONNX model file (${detail})`);
    this.name = "OnnxFormatError";
  }
}

export interface OnnxModelHeader {
  /** ModelProto.model_version; 0 when the exporter left it unset. */
  modelVersion: number;
  metadata: Record<string, string>;
}

/** A graph input or output: numbers for fixed axes, strings (or -1 when unnamed) for dynamic ones. */
export interface OnnxTensorInfo {
  name: string;
  type: string;
  shape: Array<number | string>;
}

export interface OnnxModelDescription extends OnnxModelHeader {
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
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
    throw new OnnxFormatError("varint longer than 10 bytes");
  }

  byte(): number {
    if (this.pos >= this.end) throw new OnnxFormatError("truncated");
    return this.bytes[this.pos++] as number;
  }

  skip(length: number): void {
    if (this.pos + length > this.end) throw new OnnxFormatError("field runs past the end");
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
        throw new OnnxFormatError(`unsupported wire type ${wireType}`);
    }
  }

  /** Each field of this message: its number and, for length-delimited ones, its bytes. */
  *fields(): Generator<{ number: number; wireType: number; bytes: Uint8Array | null; value: number }> {
    while (this.pos < this.end) {
      const tag = this.varint();
      const wireType = tag & 7;
      if (wireType === WIRE_VARINT) {
        yield { number: Math.floor(tag / 8), wireType, bytes: null, value: this.varint() };
        continue;
      }
      const range = this.field(wireType);
      const bytes = range === null ? null : this.bytes.subarray(range.start, range.end);
      yield { number: Math.floor(tag / 8), wireType, bytes, value: 0 };
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function readEntry(bytes: Uint8Array): [string, string] {
  let key = "";
  let value = "";
  for (const field of new Reader(bytes, 0, bytes.length).fields()) {
    if (field.bytes === null) continue;
    if (field.number === ENTRY_KEY) key = utf8.decode(field.bytes);
    else if (field.number === ENTRY_VALUE) value = utf8.decode(field.bytes);
  }
  return [key, value];
}

/** TensorProto.DataType values, named as onnxruntime names tensor types. */
const ELEMENT_TYPES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};

/** The first (only) field of a message with this number, as bytes; null when absent. */
function child(bytes: Uint8Array, number: number): Uint8Array | null {
  for (const field of new Reader(bytes, 0, bytes.length).fields()) {
    if (field.number === number && field.bytes !== null) return field.bytes;
  }
  return null;
}

/** TensorShapeProto.Dimension: `dim_value` (1) or `dim_param` (2); -1 when neither. */
function readDimension(bytes: Uint8Array): number | string {
  for (const field of new Reader(bytes, 0, bytes.length).fields()) {
    if (field.number === 1 && field.wireType === WIRE_VARINT) return field.value;
    if (field.number === 2 && field.bytes !== null) return utf8.decode(field.bytes);
  }
  return -1;
}

/** ValueInfoProto → name, element type and shape of a tensor (TypeProto.tensor_type). */
export function readValueInfo(bytes: Uint8Array): OnnxTensorInfo {
  const name = child(bytes, 1);
  const type = child(bytes, 2);
  const tensor = type === null ? null : child(type, 1);
  let elementType = 0;
  const shape: Array<number | string> = [];
  if (tensor !== null) {
    for (const field of new Reader(tensor, 0, tensor.length).fields()) {
      if (field.number === 1 && field.wireType === WIRE_VARINT) elementType = field.value;
      if (field.number === 2 && field.bytes !== null) {
        for (const dim of new Reader(field.bytes, 0, field.bytes.length).fields()) {
          if (dim.number === 1 && dim.bytes !== null) shape.push(readDimension(dim.bytes));
        }
      }
    }
  }
  return {
    name: name === null ? "" : utf8.decode(name),
    type: ELEMENT_TYPES[elementType] ?? `type ${elementType}`,
    shape,
  };
}

/** Reads `model_version` and `metadata_props` from serialized ONNX model bytes. */
export function readOnnxHeader(bytes: Uint8Array): OnnxModelHeader {
  const metadata: Record<string, string> = {};
  let modelVersion = 0;
  for (const field of new Reader(bytes, 0, bytes.length).fields()) {
    if (field.number === MODEL_VERSION && field.wireType === WIRE_VARINT) modelVersion = field.value;
    else if (field.number === METADATA_PROPS && field.bytes !== null) {
      const [key, value] = readEntry(field.bytes);
      if (key !== "") metadata[key] = value;
    }
  }
  return { modelVersion, metadata };
}

/** What the cursor needs of a stream reader (the Workers and the Bun types both fit). */
type ChunkReader = { read(): Promise<{ done: boolean; value?: Uint8Array }> };

/**
 * Pulls bytes from a stream in order, holding one chunk at a time: the reader of an uploaded
 * model walks the whole file once and keeps only the small fields it decodes, never the weights.
 */
class StreamCursor {
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(private readonly reader: ChunkReader) {}

  /** False at the end of the stream. */
  async more(): Promise<boolean> {
    while (this.#at >= this.#chunk.length) {
      const { done, value } = await this.reader.read();
      if (done || !value) return false;
      this.#chunk = value;
      this.#at = 0;
    }
    return true;
  }

  async byte(): Promise<number> {
    if (!(await this.more())) throw new OnnxFormatError("truncated");
    this.offset++;
    return this.#chunk[this.#at++] as number;
  }

  async varint(): Promise<number> {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      const byte = await this.byte();
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
    throw new OnnxFormatError("varint longer than 10 bytes");
  }

  /** The next `length` bytes, copied (at most MAX_CAPTURED_FIELD_BYTES), or skipped when `keep` is false. */
  async take(length: number, keep: boolean): Promise<Uint8Array | null> {
    if (keep && length > MAX_CAPTURED_FIELD_BYTES) {
      throw new OnnxFormatError(`a ${length}-byte header field is larger than allowed`);
    }
    const out = keep ? new Uint8Array(length) : null;
    let filled = 0;
    while (filled < length) {
      if (!(await this.more())) throw new OnnxFormatError("field runs past the end");
      const n = Math.min(length - filled, this.#chunk.length - this.#at);
      out?.set(this.#chunk.subarray(this.#at, this.#at + n), filled);
      this.#at += n;
      filled += n;
    }
    this.offset += length;
    return out;
  }

  /** Skips a field's value; returns the length of a length-delimited one (not yet consumed), else null. */
  async skipScalar(wireType: number): Promise<number | null> {
    if (wireType === WIRE_VARINT) await this.varint();
    else if (wireType === WIRE_FIXED64) await this.take(8, false);
    else if (wireType === WIRE_FIXED32) await this.take(4, false);
    else if (wireType === WIRE_LENGTH) return this.varint();
    else throw new OnnxFormatError(`unsupported wire type ${wireType}`);
    return null;
  }
}

/** Walks the GraphProto's fields, keeping its inputs and outputs and skipping nodes and weights. */
async function readGraph(cursor: StreamCursor, end: number, into: OnnxModelDescription): Promise<void> {
  while (cursor.offset < end) {
    const tag = await cursor.varint();
    const length = await cursor.skipScalar(tag & 7);
    if (length === null) continue;
    const number = Math.floor(tag / 8);
    const bytes = await cursor.take(length, number === GRAPH_INPUT || number === GRAPH_OUTPUT);
    if (bytes === null) continue;
    (number === GRAPH_INPUT ? into.inputs : into.outputs).push(readValueInfo(bytes));
  }
  if (cursor.offset !== end) throw new OnnxFormatError("the graph runs past its length");
}

/**
 * Reads a whole serialized model from a stream in one pass, in bounded memory: its header
 * (`model_version`, `metadata_props`) and its graph's inputs and outputs. Throws
 * `OnnxFormatError` when the bytes are not a well-formed ModelProto.
 */
export async function readOnnxModel(stream: ReadableStream<Uint8Array>): Promise<OnnxModelDescription> {
  const reader = stream.getReader();
  const cursor = new StreamCursor(reader as ChunkReader);
  const model: OnnxModelDescription = { modelVersion: 0, metadata: {}, inputs: [], outputs: [] };
  let graphs = 0;
  try {
    while (await cursor.more()) {
      const tag = await cursor.varint();
      const number = Math.floor(tag / 8);
      if (number === MODEL_VERSION && (tag & 7) === WIRE_VARINT) {
        model.modelVersion = await cursor.varint();
        continue;
      }
      const length = await cursor.skipScalar(tag & 7);
      if (length === null) continue;
      if (number === GRAPH) {
        graphs++;
        await readGraph(cursor, cursor.offset + length, model);
        continue;
      }
      const bytes = await cursor.take(length, number === METADATA_PROPS);
      if (bytes === null) continue;
      const [key, value] = readEntry(bytes);
      if (key !== "") model.metadata[key] = value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (graphs === 0) throw new OnnxFormatError("no graph");
  return model;
}
