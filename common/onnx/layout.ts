/** A model input or output as a runtime (or the ONNX graph) describes it. */
export interface TensorInfo {
  name: string;
  type: string;
  /** Numbers for fixed axes, strings (or -1 when unnamed) for dynamic ones. */
  shape: ReadonlyArray<number | string>;
}

/**
 * The model's inputs or outputs are not a detection layout the inference service decodes. Pure
 * (no service error type), so the edge refuses such an upload with the same words inference
 * would use when loading it.
 */
export class ModelLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelLayoutError";
  }
}

export type LayoutName = "ultralytics" | "yolov5" | "end2end";

export interface OutputLayout {
  layout: LayoutName;
  outputName: string;
  /** Class count implied by the output shape; null for end-to-end outputs, which carry class ids. */
  numClasses: number | null;
}

export interface InputLayout {
  inputName: string;
  width: number;
  height: number;
  /** Fixed batch size, or null when the batch axis is dynamic. */
  fixedBatch: number | null;
}

const END_TO_END_ROWS = 300;
const YOLOV5_ANCHORS_PER_CELL = 3;

/**
 * Strides of the detection levels a head may predict at: P3-P5 (8/16/32) as Ultralytics and YOLOv5
 * export by default, and the P6 (…/64, e.g. yolov5s6) and P2 (4/…, small-object) variants.
 */
const LEVEL_SETS: readonly { label: string; strides: readonly number[] }[] = [
  { label: "at strides 8/16/32", strides: [8, 16, 32] },
  { label: "with P6 (strides 8-64)", strides: [8, 16, 32, 64] },
  { label: "with P2 (strides 4-32)", strides: [4, 8, 16, 32] },
];

interface ExpectedRows {
  size: string;
  /** Grid cells per level set, in LEVEL_SETS order: the row count of an anchor-free head. */
  cells: number[];
  /** Three anchors per cell: the row count of a YOLOv5 head. */
  yolov5: number[];
}

/**
 * Rows a head has for this input size: Σ ⌈H/s⌉·⌈W/s⌉ over its strides (each stride-2 conv with
 * padding 1 rounds up; exporters only accept sizes that are multiples of the largest stride anyway).
 */
function expectedRows({ height, width }: { height: number; width: number }): ExpectedRows {
  const cells = LEVEL_SETS.map(({ strides }) =>
    strides.reduce((sum, s) => sum + Math.ceil(height / s) * Math.ceil(width / s), 0),
  );
  const size = height === width ? `${height}x${width}` : `${height}x${width} (HxW)`;
  return { size, cells, yolov5: cells.map((c) => YOLOV5_ANCHORS_PER_CELL * c) };
}

const formatRows = (counts: number[]) =>
  `N = ${counts.map((n, i) => `${n} ${LEVEL_SETS[i]?.label}`).join(", ")}`;

const isFixed = (dim: number | string | undefined): dim is number => typeof dim === "number" && dim > 0;
const formatShape = (info: TensorInfo) => `${info.name}[${info.shape.join(", ")}]`;

/** YOLOv5 exports may add raw head outputs; the decoded one is named `output` (or `output0`). */
function pickOutput(outputs: readonly TensorInfo[]): TensorInfo | undefined {
  return outputs.find((o) => o.name === "output" || o.name === "output0") ?? outputs[0];
}

function refuse(outputs: readonly TensorInfo[], detail: string, rows: ExpectedRows | null = null): never {
  const supported =
    rows === null
      ? "supported are [B, 4+nc, N] (Ultralytics v8/v11), [B, N, 5+nc] (YOLOv5) and [B, 300, 6] (end-to-end)"
      : `supported for a ${rows.size} input are [B, 4+nc, N] (Ultralytics v8/v11, one row per grid cell, ` +
        `${formatRows(rows.cells)}), [B, N, 5+nc] (YOLOv5, 3 anchors per cell, ${formatRows(rows.yolov5)}) ` +
        "and [B, 300, 6] (end-to-end)";
  throw new ModelLayoutError(
    `unrecognised output layout (${detail}): outputs ${outputs.map(formatShape).join(", ")}; ${supported}`,
  );
}

/**
 * Decides the output layout from shapes and metadata; throws `ModelLayoutError` otherwise.
 *
 * With the input size known (fixed H×W, or metadata `imgsz`), a fixed row count must also fit it:
 * N = cells for Ultralytics (anchor-free, one prediction per cell), N = 3 × cells for YOLOv5. That
 * refuses look-alikes such as YOLOX's [B, cells, 5+nc] (one undecoded row per cell), which YOLOv5's
 * decoder would read as garbage. With a dynamic N axis, or no input size (`loadDetector` always
 * has one: a dynamic H×W without `imgsz` is refused first), the decision rests on the shape alone.
 */
export function detectOutputLayout(
  outputs: readonly TensorInfo[],
  meta: {
    numNames: number | null;
    end2end: boolean | null;
    /** Spatial input size the model runs at; null or absent when unknown. */
    input?: { height: number; width: number } | null;
  },
): OutputLayout {
  const output = pickOutput(outputs);
  if (output === undefined) refuse(outputs, "the model has no outputs");
  if (output.type !== "float32") refuse(outputs, `output type ${output.type}, expected float32`);
  if (output.shape.length !== 3) refuse(outputs, `rank ${output.shape.length}, expected 3`);
  const [, a, b] = output.shape;
  const outputName = output.name;

  if (meta.end2end === true) {
    if (b !== 6) refuse(outputs, "metadata says end2end but the last axis is not 6");
    return { layout: "end2end", outputName, numClasses: null };
  }
  if (meta.end2end === null && a === END_TO_END_ROWS && b === 6) {
    return { layout: "end2end", outputName, numClasses: null };
  }

  const nc = meta.numNames;
  const v8Shape = isFixed(a) && a > 4 && (nc === null || a === 4 + nc);
  const v5Shape = isFixed(b) && b > 5 && (nc === null || b === 5 + nc);
  const rows = meta.input ? expectedRows(meta.input) : null;
  // A dynamic row axis (or an unknown input size) cannot be checked: shape-only, as before.
  const v8 = v8Shape && (rows === null || !isFixed(b) || rows.cells.includes(b));
  const v5 = v5Shape && (rows === null || !isFixed(a) || rows.yolov5.includes(a));
  // When both fit, the anchor axis is the longer (or the dynamic) one.
  const anchorsLast = !isFixed(b) || (isFixed(a) && b > a);
  if (v8 && (!v5 || anchorsLast)) return { layout: "ultralytics", outputName, numClasses: (a as number) - 4 };
  if (v5) return { layout: "yolov5", outputName, numClasses: (b as number) - 5 };

  const shape = `[${output.shape.join(", ")}]`;
  if (rows !== null && v5Shape && rows.cells.includes(a as number)) {
    refuse(
      outputs,
      `${shape} has one row per grid cell of the ${rows.size} input, like an undecoded YOLOX-style head; ` +
        "a YOLOv5 head has 3 anchors per cell",
      rows,
    );
  }
  if (rows !== null && (v8Shape || v5Shape)) {
    refuse(outputs, `the row count of ${shape} fits no known head at ${rows.size}`, rows);
  }
  refuse(outputs, nc === null ? "no known head matches" : `no known head matches ${nc} class names`, rows);
}

/** Reads the NCHW image input; spatial size falls back to metadata `imgsz` when the axes are dynamic. */
export function detectInputLayout(
  inputs: readonly TensorInfo[],
  imgsz: { height: number; width: number } | null,
): InputLayout {
  const input = inputs[0];
  const describe = inputs.map(formatShape).join(", ");
  if (input === undefined || inputs.length !== 1 || input.shape.length !== 4) {
    throw new ModelLayoutError(`expected one NCHW image input, got ${describe}`);
  }
  if (input.type !== "float32") {
    throw new ModelLayoutError(`input ${describe} is ${input.type}, expected float32`);
  }
  const [batch, channels, h, w] = input.shape;
  if (channels !== 3) {
    throw new ModelLayoutError(`input ${describe} does not take 3 channels`);
  }
  const height = isFixed(h) ? h : imgsz?.height;
  const width = isFixed(w) ? w : imgsz?.width;
  if (height === undefined || width === undefined) {
    throw new ModelLayoutError(`input ${describe} has dynamic spatial axes and the metadata gives no imgsz`);
  }
  return { inputName: input.name, width, height, fixedBatch: isFixed(batch) ? batch : null };
}
