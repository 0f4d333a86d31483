import type { Config } from "../config";
import { ApiError } from "../errors";

/** A registry model's name: what `name@N` and the routes carry. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The alias jobs run when they name a registry model without a version. */
export const PRODUCTION_ALIAS = "production";

export type ModelRef = { name: string; version: number | null };

/** `name` or `name@N`; null when the text is neither. */
export function parseModelRef(text: string): ModelRef | null {
  const at = text.lastIndexOf("@");
  const name = at < 0 ? text : text.slice(0, at);
  if (!MODEL_NAME_PATTERN.test(name)) return null;
  if (at < 0) return { name, version: null };
  const digits = text.slice(at + 1);
  if (!/^[1-9]\d{0,8}$/.test(digits)) return null;
  return { name, version: Number(digits) };
}

export const formatModelRef = (name: string, version: number) => `${name}@${version}`;

export const isShippedModel = (config: Config, name: string) => config.DETECTION_MODELS.includes(name);

/** A name an owner may register versions under: well formed, and not a shipped model's. */
export function assertRegistryName(config: Config, name: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new ApiError(
      "validation_failed",
      "A model name is 1-64 lowercase letters, digits, dots, dashes or underscores",
    );
  }
  if (isShippedModel(config, name)) {
    throw new ApiError("validation_failed", `"${name}" is a shipped model; its name is reserved`);
  }
}

/** R2 key of an uploaded model file: written by the signed upload, kept by the version it becomes. */
export const modelObjectKey = (ownerId: string, uploadId: string) => `models/${ownerId}/${uploadId}.onnx`;
