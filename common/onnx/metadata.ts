import { z } from "zod";

/**
 * Ultralytics writes its export metadata as Python reprs (`str(dict)`), e.g.
 * names = "{0: 'porosity', 1: 'crack'}" and imgsz = "[640, 640]".
 */

const PY_STRING = String.raw`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`;
const DICT_ENTRY = new RegExp(String.raw`(\d+)\s*:\s*(${PY_STRING})`, "g");
const LIST_ENTRY = new RegExp(PY_STRING, "g");

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/\\(.)/g, (_, char: string) => {
    if (char === "n") return "\n";
    if (char === "t") return "\t";
    return char;
  });
}

function denseNames(byIndex: Map<number, string>): string[] | null {
  if (byIndex.size === 0) return null;
  const count = Math.max(...byIndex.keys()) + 1;
  return Array.from({ length: count }, (_, i) => byIndex.get(i) ?? `class_${i}`);
}

/** Class names from a Python dict or list repr; null when the text holds neither. */
export function parseNames(text: string): string[] | null {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    const byIndex = new Map<number, string>();
    for (const match of trimmed.matchAll(DICT_ENTRY)) {
      byIndex.set(Number(match[1]), unquote(match[2] as string));
    }
    return denseNames(byIndex);
  }
  if (trimmed.startsWith("[")) {
    const names = [...trimmed.matchAll(LIST_ENTRY)].map((match) => unquote(match[0]));
    return names.length > 0 ? names : null;
  }
  return null;
}

/** `[h, w]` (or a single size) from Ultralytics' imgsz; null when absent or malformed. */
export function parseImgsz(text: string | undefined): { height: number; width: number } | null {
  if (text === undefined) return null;
  const numbers = text.match(/\d+/g)?.map(Number) ?? [];
  const [height, width = height] = numbers;
  if (height === undefined || width === undefined || height <= 0 || width <= 0 || numbers.length > 2) {
    return null;
  }
  return { height, width };
}

function parseBool(text: string | undefined): boolean | null {
  if (text === undefined) return null;
  const normalised = text.trim().toLowerCase();
  if (normalised === "true" || normalised === "1") return true;
  if (normalised === "false" || normalised === "0") return false;
  return null;
}

export const SidecarSchema = z.object({
  names: z.union([z.array(z.string()), z.record(z.string().regex(/^\d+$/), z.string())]).optional(),
  version: z.string().min(1).optional(),
});
export type Sidecar = z.infer<typeof SidecarSchema>;

export interface ModelMetadata {
  /** Class names by id; null when neither the model nor a sidecar names them. */
  names: string[] | null;
  imgsz: { height: number; width: number } | null;
  stride: number | null;
  task: string | null;
  end2end: boolean | null;
  version: string | null;
}

/** Combines ONNX metadata_props with an optional sidecar JSON; the model's own metadata wins. */
export function readModelMetadata(
  props: Record<string, string>,
  sidecar: Sidecar | null,
  onnxModelVersion: number,
): ModelMetadata {
  let names = props.names === undefined ? null : parseNames(props.names);
  if (names === null && sidecar?.names !== undefined) {
    names = Array.isArray(sidecar.names)
      ? sidecar.names
      : denseNames(new Map(Object.entries(sidecar.names).map(([id, name]) => [Number(id), name])));
  }
  const stride = props.stride === undefined ? Number.NaN : Number.parseInt(props.stride, 10);
  return {
    names,
    imgsz: parseImgsz(props.imgsz),
    stride: Number.isFinite(stride) ? stride : null,
    task: props.task ?? null,
    end2end: parseBool(props.end2end),
    version:
      props.model_version ?? sidecar?.version ?? (onnxModelVersion > 0 ? String(onnxModelVersion) : null),
  };
}
