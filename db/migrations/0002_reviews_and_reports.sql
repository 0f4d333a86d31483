CREATE TYPE "public"."report_status" AS ENUM('queued', 'rendering', 'ready', 'failed');--> statement-breakpoint
CREATE TYPE "public"."report_verdict" AS ENUM('accept', 'repair', 'reject');--> statement-breakpoint
CREATE TYPE "public"."review_action" AS ENUM('accept', 'reject', 'relabel', 'resize', 'add', 'note');--> statement-breakpoint
CREATE TYPE "public"."review_decision" AS ENUM('pending', 'accepted', 'rejected');--> statement-breakpoint
ALTER TYPE "public"."webhook_event" ADD VALUE 'report.ready';--> statement-breakpoint
CREATE TABLE "report_counters" (
	"owner_id" uuid PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"sequence" integer NOT NULL,
	"status" "report_status" DEFAULT 'queued' NOT NULL,
	"jobs" jsonb NOT NULL,
	"header" jsonb NOT NULL,
	"verdict" "report_verdict" NOT NULL,
	"review_versions" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"object_key" text,
	"sha256" text,
	"bytes" bigint,
	"page_count" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ready_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "job_reviews" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"updated_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"action" "review_action" NOT NULL,
	"actor_id" uuid,
	"api_key_id" uuid,
	"before" jsonb,
	"after" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reviewed_detections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"detection_id" uuid,
	"decision" "review_decision" NOT NULL,
	"class_id" integer NOT NULL,
	"label" text NOT NULL,
	"x1" real NOT NULL,
	"y1" real NOT NULL,
	"x2" real NOT NULL,
	"y2" real NOT NULL,
	"note" text,
	"updated_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reviewed_detections_box_check" CHECK ("reviewed_detections"."x1" < "reviewed_detections"."x2" and "reviewed_detections"."y1" < "reviewed_detections"."y2")
);
--> statement-breakpoint
ALTER TABLE "report_counters" ADD CONSTRAINT "report_counters_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_reviews" ADD CONSTRAINT "job_reviews_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_reviews" ADD CONSTRAINT "job_reviews_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_events" ADD CONSTRAINT "review_events_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviewed_detections" ADD CONSTRAINT "reviewed_detections_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviewed_detections" ADD CONSTRAINT "reviewed_detections_detection_id_detections_id_fk" FOREIGN KEY ("detection_id") REFERENCES "public"."detections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviewed_detections" ADD CONSTRAINT "reviewed_detections_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reports_owner_sequence_key" ON "reports" USING btree ("owner_id","sequence");--> statement-breakpoint
CREATE INDEX "reports_owner_created_idx" ON "reports" USING btree ("owner_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "review_events_job_idx" ON "review_events" USING btree ("job_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "reviewed_detections_detection_key" ON "reviewed_detections" USING btree ("detection_id");--> statement-breakpoint
CREATE INDEX "reviewed_detections_job_idx" ON "reviewed_detections" USING btree ("job_id","id");