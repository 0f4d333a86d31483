ALTER TYPE "public"."image_format" ADD VALUE 'dicom';--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "pixel_size_mm" jsonb;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
CREATE INDEX "jobs_finished_idx" ON "jobs" USING btree ("status","finished_at") WHERE "jobs"."finished_at" is not null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_failed_idx" ON "webhook_deliveries" USING btree ("updated_at") WHERE "webhook_deliveries"."status" = 'failed';