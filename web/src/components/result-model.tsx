import { resultModelOf } from "../api/model-ref";
import type { Job } from "../api/types";
import { AppLink, modelPath } from "./app-link";

/** The model and version that produced a job's result, linking to that model's page. */
export function ResultModel({ model }: { model: Job["model"] }) {
  const { name, label } = resultModelOf(model);
  return (
    <AppLink to={modelPath(name)} label={`Model ${label}`}>
      {label}
    </AppLink>
  );
}
