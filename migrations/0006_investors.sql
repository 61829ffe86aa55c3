CREATE TABLE "investor_refresh_tokens" (
	"token_sha256" text PRIMARY KEY NOT NULL,
	"investor_id" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "investors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"id_number" text NOT NULL,
	"mobile" text NOT NULL,
	"password_hash" text NOT NULL,
	"bank_name" text NOT NULL,
	"account_number" text NOT NULL,
	"risk_level" integer,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "investors_risk_level_ck" CHECK ("investors"."risk_level" IS NULL OR "investors"."risk_level" BETWEEN 1 AND 5),
	CONSTRAINT "investors_status_ck" CHECK ("investors"."status" IN ('active', 'disabled'))
);
--> statement-breakpoint
ALTER TABLE "otp_challenges" DROP CONSTRAINT "otp_challenges_purpose_ck";--> statement-breakpoint
ALTER TABLE "investor_refresh_tokens" ADD CONSTRAINT "investor_refresh_tokens_investor_id_investors_id_fk" FOREIGN KEY ("investor_id") REFERENCES "public"."investors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "investor_refresh_tokens_investor_idx" ON "investor_refresh_tokens" USING btree ("investor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "investors_id_number_uq" ON "investors" USING btree ("id_number");--> statement-breakpoint
CREATE UNIQUE INDEX "investors_mobile_uq" ON "investors" USING btree ("mobile");--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD CONSTRAINT "otp_challenges_purpose_ck" CHECK ("otp_challenges"."purpose" IN ('contract_signing', 'cash_receipt', 'investor_registration'));