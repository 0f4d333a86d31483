import { useEffect, useState } from "hono/jsx/dom";
import { getModelVersion } from "../api/models";
import type { Job } from "../api/types";
import { figuresSource, type ModelFigures, shippedFigures, versionFigures } from "./model-figures";

/**
 * The accuracy figures of the model that produced a job's result, once it has one: a shipped
 * model's from its card, a registry version's from the registry. Null while unknown or when there
 * are none; a registry read that fails leaves it null (the viewer works without).
 */
export function useModelFigures(job: Job | null): ModelFigures | null {
  const [figures, setFigures] = useState<ModelFigures | null>(null);
  const model = job?.status === "succeeded" ? job.model : null;
  const key = model ? `${model.requested} ${model.sha256}` : null;
  useEffect(() => {
    setFigures(null);
    if (!model) return;
    const source = figuresSource(model);
    if (source.kind === "shipped") {
      setFigures(shippedFigures(model));
      return;
    }
    let current = true;
    getModelVersion(source.name, source.version).then(
      (version) => current && setFigures(versionFigures(version)),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [key]);
  return figures;
}
