import type { Job } from "./types";

/** What produced a result: the registry model or shipped model it links to, and how it is named. */
export type ResultModel = { name: string; label: string };

/**
 * The model of a job. A registry model is always recorded as `name@N` (a bare name is fixed to its
 * production version when the job is created); a shipped model by its name, with the version the
 * inference service reported once it ran.
 */
export function resultModelOf(model: Omit<Job["model"], "classes">): ResultModel {
  const at = model.requested.lastIndexOf("@");
  if (at > 0) return { name: model.requested.slice(0, at), label: model.requested };
  const label = model.version ? `${model.requested} ${model.version}` : model.requested;
  return { name: model.requested, label };
}
