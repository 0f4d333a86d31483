ALTER TYPE "public"."report_verdict" ADD VALUE 'cannot_evaluate';--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "acceptance" jsonb;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "weld" jsonb;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "technique" jsonb;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "personnel" jsonb;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "assessment" jsonb;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "derived_verdict" "report_verdict";--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "verdict_override" jsonb;