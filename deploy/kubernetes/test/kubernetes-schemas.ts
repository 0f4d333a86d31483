import * as keda from "@kubernetes-models/keda";
import * as kubernetes from "kubernetes-models";

/** A kubernetes-models class: built from a manifest, `validate()` checks it against the API's schema. */
type ModelClass = (new (data: object) => { validate(): void }) & { apiVersion: string; kind: string };

function isModelClass(value: unknown): value is ModelClass {
  return (
    typeof value === "function" &&
    typeof (value as Partial<ModelClass>).apiVersion === "string" &&
    typeof (value as Partial<ModelClass>).kind === "string"
  );
}

/** Every kind the packages know, Kubernetes' own and KEDA's, by "apiVersion/kind". */
const models = new Map<string, ModelClass>();
/** Modules nest as group → version → class, except the core group, which is only "v1" → class. */
function collect(module: Record<string, unknown>, depth: number): void {
  for (const exported of Object.values(module)) {
    if (isModelClass(exported)) models.set(`${exported.apiVersion}/${exported.kind}`, exported);
    else if (depth > 0 && typeof exported === "object" && exported !== null) {
      collect(exported as Record<string, unknown>, depth - 1);
    }
  }
}
collect(kubernetes, 2);
collect(keda, 2);

/**
 * Checks one rendered object against the schema of its apiVersion and kind; throws when the kind
 * is unknown (a typo in either, or a CRD this check has no schema for) or the object is invalid.
 */
export function validateManifest(object: { apiVersion?: unknown; kind?: unknown }): void {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = models.get(key);
  if (Model === undefined) throw new Error(`no schema for ${key}`);
  new Model(object).validate();
}
