/// <reference path="../../../edge/src/wasm.d.ts" />
/**
 * The API's shapes, inferred from the edge's own zod schemas (type-only imports: nothing of the
 * server reaches the bundle), so the app and the API cannot drift apart. The reference above
 * lets the auth schemas' module graph (the password hasher's Wasm import) type-check here.
 */
import type { ApiKeySchema, CreatedApiKeySchema } from "@edge/routes/api-keys/schema";
import type { TokenPairSchema } from "@edge/routes/auth/schema";
import type { ImageSchema } from "@edge/routes/images/schema";
import type { DetectionSchema, JobSchema } from "@edge/routes/jobs/schema";
import type { ReportSchema } from "@edge/routes/reports/schema";
import type {
  JobReviewSchema,
  ReviewActionSchema,
  ReviewedDetectionSchema,
} from "@edge/routes/reviews/schema";
import type { UserSchema } from "@edge/routes/users-schema";
import type { z } from "zod";

export type { ErrorBody } from "@edge/errors";

export type User = z.infer<typeof UserSchema>;
/** `POST /v1/auth/login` and `/refresh`. */
export type TokenPair = z.infer<typeof TokenPairSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;
export type Image = z.infer<typeof ImageSchema>;
export type Job = z.infer<typeof JobSchema>;
export type Detection = z.infer<typeof DetectionSchema>;
export type JobStatus = Job["status"];
export type Page<T> = { items: T[]; nextCursor: string | null };

export type JobReview = z.infer<typeof JobReviewSchema>;
export type ReviewedDetection = z.infer<typeof ReviewedDetectionSchema>;
export type ReviewAction = z.input<typeof ReviewActionSchema>;
export type Report = z.infer<typeof ReportSchema>;
