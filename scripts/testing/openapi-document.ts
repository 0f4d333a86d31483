import { z } from "zod";

/**
 * The parts of an OpenAPI 3.1 document (`/openapi.json`) that tests read, as the specification
 * defines them. Every object is loose: keywords not named here are kept, so a test that lists
 * an object's keys sees the whole document.
 */

/** A JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12), by the keywords tests inspect. */
export const JsonSchemaSchema = z.looseObject({
  type: z.union([z.string(), z.array(z.string())]).optional(),
  get properties() {
    return z.record(z.string(), JsonSchemaSchema).optional();
  },
  enum: z.array(z.unknown()).optional(),
  example: z.unknown().optional(),
});

const OperationSchema = z.looseObject({
  tags: z.array(z.string()).optional(),
  summary: z.string().optional(),
  responses: z.record(z.string(), z.looseObject({ description: z.string() })).optional(),
});

const PathItemSchema = z.looseObject({
  get: OperationSchema.optional(),
  put: OperationSchema.optional(),
  post: OperationSchema.optional(),
  delete: OperationSchema.optional(),
  options: OperationSchema.optional(),
  head: OperationSchema.optional(),
  patch: OperationSchema.optional(),
  trace: OperationSchema.optional(),
});

export const OpenApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), PathItemSchema),
  components: z.looseObject({ schemas: z.record(z.string(), JsonSchemaSchema).optional() }).optional(),
});
