CREATE TYPE "public"."model_promotion_action" AS ENUM('promote', 'rollback');--> statement-breakpoint
CREATE TYPE "public"."model_upload_status" AS ENUM('pending', 'receiving', 'received', 'completed', 'failed');--> statement-breakpoint
CREATE TABLE "model_aliases" (
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"alias" text NOT NULL,
	"version_id" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_aliases_owner_id_name_alias_pk" PRIMARY KEY("owner_id","name","alias")
);
--> statement-breakpoint
CREATE TABLE "model_promotions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"action" "model_promotion_action" NOT NULL,
	"from_version" integer,
	"to_version" integer NOT NULL,
	"reason" text NOT NULL,
	"forced" boolean DEFAULT false NOT NULL,
	"actor_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_uploads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"staging_key" text NOT NULL,
	"status" "model_upload_status" DEFAULT 'pending' NOT NULL,
	"bytes" bigint,
	"sha256" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"object_key" text NOT NULL,
	"sha256" text NOT NULL,
	"bytes" bigint NOT NULL,
	"classes" jsonb NOT NULL,
	"input_size" jsonb NOT NULL,
	"layout" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"metrics" jsonb,
	"dataset_id" uuid,
	"base_model" text,
	"card" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_promotions" ADD CONSTRAINT "model_promotions_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_promotions" ADD CONSTRAINT "model_promotions_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_uploads" ADD CONSTRAINT "model_uploads_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_uploads" ADD CONSTRAINT "model_uploads_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "model_promotions_owner_name_idx" ON "model_promotions" USING btree ("owner_id","name","id");--> statement-breakpoint
CREATE INDEX "model_uploads_owner_idx" ON "model_uploads" USING btree ("owner_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_owner_name_version_key" ON "model_versions" USING btree ("owner_id","name","version");--> statement-breakpoint
CREATE INDEX "model_versions_owner_created_idx" ON "model_versions" USING btree ("owner_id","id" DESC NULLS LAST);