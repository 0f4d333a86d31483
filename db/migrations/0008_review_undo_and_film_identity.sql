ALTER TYPE "public"."review_action" ADD VALUE 'reset';--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "weld_id" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "part_id" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "model_classes" jsonb;