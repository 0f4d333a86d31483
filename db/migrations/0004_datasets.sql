CREATE TYPE "public"."dataset_source" AS ENUM('reviews', 'yolo', 'coco');--> statement-breakpoint
CREATE TYPE "public"."dataset_split" AS ENUM('train', 'val');--> statement-breakpoint
CREATE TABLE "dataset_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dataset_id" uuid NOT NULL,
	"key" text NOT NULL,
	"filename" text,
	"object_key" text NOT NULL,
	"sha256" text NOT NULL,
	"bytes" bigint NOT NULL,
	"format" "image_format" NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"bit_depth" smallint NOT NULL,
	"split" "dataset_split" NOT NULL,
	"boxes" jsonb NOT NULL,
	"job_id" uuid,
	"image_id" uuid,
	"review_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"parent_id" uuid,
	"source" "dataset_source" NOT NULL,
	"seed" text NOT NULL,
	"val_fraction" double precision NOT NULL,
	"classes" jsonb NOT NULL,
	"counts" jsonb NOT NULL,
	"skipped" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dataset_items" ADD CONSTRAINT "dataset_items_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_items" ADD CONSTRAINT "dataset_items_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_items" ADD CONSTRAINT "dataset_items_image_id_images_id_fk" FOREIGN KEY ("image_id") REFERENCES "public"."images"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_parent_id_datasets_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."datasets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_items_dataset_key_key" ON "dataset_items" USING btree ("dataset_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_items_dataset_sha256_key" ON "dataset_items" USING btree ("dataset_id","sha256");--> statement-breakpoint
CREATE INDEX "dataset_items_dataset_idx" ON "dataset_items" USING btree ("dataset_id","id");--> statement-breakpoint
CREATE INDEX "dataset_items_dataset_split_idx" ON "dataset_items" USING btree ("dataset_id","split","id");--> statement-breakpoint
CREATE INDEX "datasets_owner_created_idx" ON "datasets" USING btree ("owner_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "datasets_parent_idx" ON "datasets" USING btree ("parent_id");