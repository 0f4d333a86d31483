/** The API-key endpoints the app calls, typed from the edge's API-key schemas. */
import type { CreateApiKeySchema } from "@edge/routes/api-keys/schema";
import type { z } from "zod";
import { api } from "./instance";
import { segment } from "./query-string";
import type { ApiKey, CreatedApiKey } from "./types";

export type CreateApiKeyBody = z.input<typeof CreateApiKeySchema>;
export type ApiKeyScope = CreateApiKeyBody["scopes"][number];

/** `GET /v1/api-keys`: the user's keys. */
export const listApiKeys = () => api.call<{ items: ApiKey[] }>("/v1/api-keys");

/** `POST /v1/api-keys`: the key and, this once, its secret. */
export const createApiKey = (body: CreateApiKeyBody) =>
  api.call<CreatedApiKey>("/v1/api-keys", { method: "POST", json: body });

/** `DELETE /v1/api-keys/{id}`. */
export const revokeApiKey = (id: string) =>
  api.call<void>(`/v1/api-keys/${segment(id)}`, { method: "DELETE" });
