/** The model registry endpoints the app calls, typed from the edge's models schemas. */
import type { EvaluationSchema } from "@edge/routes/models/evaluation-schema";
import type {
  ModelListSchema,
  ModelSchema,
  ModelVersionSchema,
  PromoteSchema,
  PromotionSchema,
  RollbackSchema,
} from "@edge/routes/models/schema";
import type { ShadowSchema, StartShadowSchema } from "@edge/routes/models/shadow-schema";
import type { z } from "zod";
import { failureOf } from "./client";
import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import { pagedSource } from "./paged-source";
import { segment } from "./query-string";

export type Model = z.infer<typeof ModelSchema>;
export type ModelVersion = z.infer<typeof ModelVersionSchema>;
export type Promotion = z.infer<typeof PromotionSchema>;
export type PromoteBody = z.input<typeof PromoteSchema>;
export type RollbackBody = z.input<typeof RollbackSchema>;
export type Evaluation = z.infer<typeof EvaluationSchema>;
export type Shadow = z.infer<typeof ShadowSchema>;
export type StartShadowBody = z.input<typeof StartShadowSchema>;

const modelPath = (name: string) => `/v1/models/${segment(name)}`;
const versionPath = (name: string, version: number) => `${modelPath(name)}/versions/${version}`;

/** `GET /v1/models`: the shipped models, then the user's registry names. */
export const listModels = () => api.call<z.infer<typeof ModelListSchema>>("/v1/models");

/** `GET /v1/models/{name}`: a shipped model, or a registry name with its production and latest. */
export const getModel = (name: string) => api.call<Model>(modelPath(name));

/** `GET /v1/models/{name}/versions`, newest first. */
export const listModelVersions = (name: string): PagedSource<ModelVersion> =>
  pagedSource(`${modelPath(name)}/versions`);

/** `GET /v1/models/{name}/versions/{n}`. */
export const getModelVersion = (name: string, version: number) =>
  api.call<ModelVersion>(versionPath(name, version));

/** `GET /v1/models/{name}/versions/{n}/card`: the version's model card, markdown. */
export async function getModelCard(name: string, version: number): Promise<string> {
  const response = await api.request(`${versionPath(name, version)}/card`);
  if (!response.ok) throw await failureOf(response);
  return response.text();
}

/**
 * `POST /v1/models/{name}/promote`. Below production's validation mAP@0.5 the API refuses with
 * `promotion_gate` (409) unless `force` is set; the failure carries its message.
 */
export const promoteModel = (name: string, body: PromoteBody) =>
  api.call<Promotion>(`${modelPath(name)}/promote`, { method: "POST", json: body });

/** `POST /v1/models/{name}/rollback`: production returns to the version before. */
export const rollbackModel = (name: string, body: RollbackBody) =>
  api.call<Promotion>(`${modelPath(name)}/rollback`, { method: "POST", json: body });

/** `GET /v1/models/{name}/history`: promotions and rollbacks, newest first. */
export const listModelHistory = (name: string): PagedSource<Promotion> =>
  pagedSource(`${modelPath(name)}/history`);

/**
 * `GET /v1/models/{name}/versions/{n}/evaluation`: the version beside the model it would replace,
 * on its dataset's val split. A version without a dataset has none (`not_found`, 404).
 */
export const getModelEvaluation = (name: string, version: number) =>
  api.call<Evaluation>(`${versionPath(name, version)}/evaluation`);

/** `POST /v1/models/{name}/shadow`: `share` (0 < share ≤ 0.5) of the name's jobs also run `version`. */
export const startShadow = (name: string, body: StartShadowBody) =>
  api.call<Shadow>(`${modelPath(name)}/shadow`, { method: "POST", json: body });

/** `GET /v1/models/{name}/shadow`: the latest shadow, running or stopped, and its agreement so far. */
export const getShadow = (name: string) => api.call<Shadow>(`${modelPath(name)}/shadow`);

/** `DELETE /v1/models/{name}/shadow`: no new job is picked; the results stay readable. */
export const stopShadow = (name: string) =>
  api.call<Shadow>(`${modelPath(name)}/shadow`, { method: "DELETE" });
