import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { InferenceError } from "../errors";
import { type ModelMetadata, readModelMetadata, type Sidecar, SidecarSchema } from "./metadata";
import { readOnnxHeader } from "./onnx-proto";
import { createSession, type ModelSession, type SessionOptions } from "./runtime";

export interface OpenedModel {
  sha256: string;
  meta: ModelMetadata;
  session: ModelSession;
}

async function readSidecar(modelPath: string): Promise<Sidecar | null> {
  const sidecarPath = modelPath.replace(/\.onnx$/i, ".json");
  let text: string;
  try {
    text = await readFile(sidecarPath, "utf8");
  } catch {
    return null;
  }
  const parsed = SidecarSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new InferenceError("model_load_failed", `${sidecarPath}: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

/** Reads the model file once: its hash, metadata and session come from the same bytes. */
export async function openModel(path: string, options: SessionOptions): Promise<OpenedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InferenceError("model_load_failed", `cannot read ${path}`, { cause: error });
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const header = readOnnxHeader(bytes);
  const meta = readModelMetadata(header.metadata, await readSidecar(path), header.modelVersion);
  if (meta.task !== null && meta.task !== "detect") {
    throw new InferenceError("model_layout_unknown", `${path}: task "${meta.task}" is not detection`);
  }
  const session = await createSession(bytes, options);
  return { sha256, meta, session };
}

/** Class names by id: the metadata's, else `class_<i>` for as many classes as the output has. */
export function classNamesFor(meta: ModelMetadata, numClasses: number | null): string[] {
  if (meta.names !== null) return meta.names;
  return Array.from({ length: numClasses ?? 0 }, (_, i) => `class_${i}`);
}
