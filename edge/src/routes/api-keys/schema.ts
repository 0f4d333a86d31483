import { scopes } from "@edge/auth/scopes";
import { z } from "@hono/zod-openapi";

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: "First characters of the key, to tell keys apart", example: "ddk_Xk3v9QaB" }),
    scopes: z.array(z.enum(scopes)),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi("ApiKey");

export const CreateApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "line-3 scanner" }),
    scopes: z
      .array(z.enum(scopes))
      .min(1)
      .openapi({ example: ["images:write", "jobs:write", "jobs:read"] }),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .openapi("CreateApiKey");

export const CreatedApiKeySchema = z
  .object({
    apiKey: ApiKeySchema,
    key: z.string().openapi({ description: "The secret. Shown once; only its hash is stored." }),
  })
  .openapi("CreatedApiKey");

export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema) });

export const ApiKeyIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

type Row = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
};

export function toApiKey(row: Row): z.infer<typeof ApiKeySchema> {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as z.infer<typeof ApiKeySchema>["scopes"],
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
