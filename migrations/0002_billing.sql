CREATE TABLE "billing_files" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"file_id" text NOT NULL,
	"file_name" text NOT NULL,
	"sha256" text NOT NULL,
	"business_date" date,
	"record_count" integer,
	"amount_total_fen" bigint,
	"status" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	CONSTRAINT "billing_files_kind_ck" CHECK ("billing_files"."kind" IN ('deduction_request', 'deduction_response', 'settlement', 'recharge')),
	CONSTRAINT "billing_files_status_ck" CHECK ("billing_files"."status" IN ('uploaded', 'applied', 'quarantined'))
);
--> statement-breakpoint
CREATE TABLE "billing_refunds" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"reference_code" text NOT NULL,
	"original_reference_code" text NOT NULL,
	"loan_id" bigint NOT NULL,
	"msisdn" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"outcome_code" text,
	"requested_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing_response_lines" (
	"file_id" bigint NOT NULL,
	"line_no" integer NOT NULL,
	"reference_code" text NOT NULL,
	"msisdn" text NOT NULL,
	"requested_fen" bigint NOT NULL,
	"charged_fen" bigint NOT NULL,
	"result_code" text NOT NULL,
	CONSTRAINT "billing_response_lines_file_id_line_no_pk" PRIMARY KEY("file_id","line_no")
);
--> statement-breakpoint
CREATE TABLE "billing_settlement_lines" (
	"file_id" bigint NOT NULL,
	"line_no" integer NOT NULL,
	"reference_code" text NOT NULL,
	"msisdn" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	CONSTRAINT "billing_settlement_lines_file_id_line_no_pk" PRIMARY KEY("file_id","line_no")
);
--> statement-breakpoint
CREATE TABLE "carrier_recharges" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"msisdn" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"recharged_at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deduction_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint,
	"loan_id" bigint NOT NULL,
	"installment_number" integer NOT NULL,
	"attempt_no" integer NOT NULL,
	"trigger" text NOT NULL,
	"reference_code" text NOT NULL,
	"msisdn" text NOT NULL,
	"plan" text NOT NULL,
	"due_fen" bigint NOT NULL,
	"requested_fen" bigint,
	"charged_fen" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"outcome_code" text,
	"outcome_detail" text,
	"repayment_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deduction_mandates" (
	"loan_id" bigint PRIMARY KEY NOT NULL,
	"msisdn" text NOT NULL,
	"plan" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deduction_mandates_plan_ck" CHECK ("deduction_mandates"."plan" IN ('prepaid', 'postpaid')),
	CONSTRAINT "deduction_mandates_status_ck" CHECK ("deduction_mandates"."status" IN ('active', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE "deduction_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"business_date" date NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_breaks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"business_date" date NOT NULL,
	"kind" text NOT NULL,
	"reference_code" text NOT NULL,
	"expected_fen" bigint,
	"actual_fen" bigint,
	"detail" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"resolution" text,
	"resolved_by" text,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reconciliation_breaks_status_ck" CHECK ("reconciliation_breaks"."status" IN ('open', 'resolved'))
);
--> statement-breakpoint
ALTER TABLE "billing_refunds" ADD CONSTRAINT "billing_refunds_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_response_lines" ADD CONSTRAINT "billing_response_lines_file_id_billing_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."billing_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_settlement_lines" ADD CONSTRAINT "billing_settlement_lines_file_id_billing_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."billing_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deduction_attempts" ADD CONSTRAINT "deduction_attempts_run_id_deduction_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."deduction_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deduction_attempts" ADD CONSTRAINT "deduction_attempts_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deduction_mandates" ADD CONSTRAINT "deduction_mandates_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "billing_files_kind_file_uq" ON "billing_files" USING btree ("kind","file_id");--> statement-breakpoint
CREATE INDEX "billing_files_sha_idx" ON "billing_files" USING btree ("sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_refunds_reference_uq" ON "billing_refunds" USING btree ("reference_code");--> statement-breakpoint
CREATE INDEX "billing_response_lines_ref_idx" ON "billing_response_lines" USING btree ("reference_code");--> statement-breakpoint
CREATE INDEX "billing_settlement_lines_ref_idx" ON "billing_settlement_lines" USING btree ("reference_code");--> statement-breakpoint
CREATE UNIQUE INDEX "carrier_recharges_event_uq" ON "carrier_recharges" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deduction_attempts_reference_uq" ON "deduction_attempts" USING btree ("reference_code");--> statement-breakpoint
CREATE UNIQUE INDEX "deduction_attempts_installment_uq" ON "deduction_attempts" USING btree ("loan_id","installment_number","attempt_no");--> statement-breakpoint
CREATE INDEX "deduction_attempts_run_idx" ON "deduction_attempts" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "deduction_attempts_waiting_idx" ON "deduction_attempts" USING btree ("msisdn") WHERE "deduction_attempts"."status" = 'insufficient';--> statement-breakpoint
CREATE INDEX "deduction_mandates_msisdn_idx" ON "deduction_mandates" USING btree ("msisdn");--> statement-breakpoint
CREATE UNIQUE INDEX "deduction_runs_date_uq" ON "deduction_runs" USING btree ("business_date");--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_breaks_uq" ON "reconciliation_breaks" USING btree ("source","kind","reference_code");--> statement-breakpoint
CREATE INDEX "reconciliation_breaks_date_idx" ON "reconciliation_breaks" USING btree ("source","business_date");