CREATE TYPE "public"."model_evaluation_status" AS ENUM('queued', 'running', 'succeeded', 'failed');--> statement-breakpoint
CREATE TYPE "public"."shadow_result_status" AS ENUM('pending', 'succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "model_evaluations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"version_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"baseline" jsonb NOT NULL,
	"status" "model_evaluation_status" DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error_code" text,
	"error" text,
	"figures" jsonb,
	"traceparent" text,
	"enqueued_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_shadows" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version_id" uuid NOT NULL,
	"share" double precision NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "shadow_results" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"shadow_id" uuid NOT NULL,
	"status" "shadow_result_status" DEFAULT 'pending' NOT NULL,
	"model" jsonb,
	"detections" jsonb,
	"agreement" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "model_evaluations" ADD CONSTRAINT "model_evaluations_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_evaluations" ADD CONSTRAINT "model_evaluations_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_evaluations" ADD CONSTRAINT "model_evaluations_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_shadows" ADD CONSTRAINT "model_shadows_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_shadows" ADD CONSTRAINT "model_shadows_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_shadows" ADD CONSTRAINT "model_shadows_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_results" ADD CONSTRAINT "shadow_results_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_results" ADD CONSTRAINT "shadow_results_shadow_id_model_shadows_id_fk" FOREIGN KEY ("shadow_id") REFERENCES "public"."model_shadows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "model_evaluations_version_key" ON "model_evaluations" USING btree ("version_id");--> statement-breakpoint
CREATE INDEX "model_evaluations_unfinished_idx" ON "model_evaluations" USING btree ("status","updated_at") WHERE "model_evaluations"."status" in ('queued', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "model_shadows_active_key" ON "model_shadows" USING btree ("owner_id","name") WHERE "model_shadows"."stopped_at" is null;--> statement-breakpoint
CREATE INDEX "model_shadows_owner_name_idx" ON "model_shadows" USING btree ("owner_id","name","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "shadow_results_shadow_idx" ON "shadow_results" USING btree ("shadow_id","status");