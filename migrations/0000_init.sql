CREATE TABLE "borrowers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"id_number" text NOT NULL,
	"mobile" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cob_runs" (
	"business_date" date PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"summary" jsonb
);
--> statement-breakpoint
CREATE TABLE "installments" (
	"loan_id" bigint NOT NULL,
	"number" integer NOT NULL,
	"period_start" date NOT NULL,
	"due_date" date NOT NULL,
	"principal_fen" bigint NOT NULL,
	"interest_fen" bigint NOT NULL,
	"fee_fen" bigint DEFAULT 0 NOT NULL,
	"principal_paid_fen" bigint DEFAULT 0 NOT NULL,
	"interest_paid_fen" bigint DEFAULT 0 NOT NULL,
	"fee_paid_fen" bigint DEFAULT 0 NOT NULL,
	"interest_accrued_fen" bigint DEFAULT 0 NOT NULL,
	"penalty_fen" bigint DEFAULT 0 NOT NULL,
	"penalty_paid_fen" bigint DEFAULT 0 NOT NULL,
	"penalty_through_date" date,
	"status" text DEFAULT 'pending' NOT NULL,
	CONSTRAINT "installments_loan_id_number_pk" PRIMARY KEY("loan_id","number"),
	CONSTRAINT "installments_paid_ck" CHECK ("installments"."principal_paid_fen" <= "installments"."principal_fen" AND "installments"."interest_paid_fen" <= "installments"."interest_fen"
    AND "installments"."fee_paid_fen" <= "installments"."fee_fen" AND "installments"."penalty_paid_fen" <= "installments"."penalty_fen" AND "installments"."interest_accrued_fen" <= "installments"."interest_fen"),
	CONSTRAINT "installments_status_ck" CHECK ("installments"."status" IN ('pending', 'overdue', 'paid'))
);
--> statement-breakpoint
CREATE TABLE "journal_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"kind" text NOT NULL,
	"business_ref" text NOT NULL,
	"business_date" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"owner_type" text NOT NULL,
	"owner_id" text NOT NULL,
	"purpose" text NOT NULL,
	"balance_fen" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loan_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"loan_id" bigint NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"actor" text NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"borrower_id" bigint NOT NULL,
	"product_id" integer NOT NULL,
	"principal_fen" bigint NOT NULL,
	"annual_rate_ppm" integer NOT NULL,
	"penalty_rate_ppm" integer NOT NULL,
	"service_fee_fen" bigint NOT NULL,
	"term_months" integer NOT NULL,
	"method" text NOT NULL,
	"start_date" date,
	"status" text NOT NULL,
	"repayment_channels" text[] NOT NULL,
	"days_past_due" integer DEFAULT 0 NOT NULL,
	"bucket" text DEFAULT 'current' NOT NULL,
	"disbursement_channel" text,
	"external_ref" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loans_principal_ck" CHECK ("loans"."principal_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "ops_users" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ops_users_role_ck" CHECK ("ops_users"."role" IN ('viewer', 'operator', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"job_name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"relayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "postings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"entry_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"amount_fen" bigint NOT NULL,
	CONSTRAINT "postings_nonzero_ck" CHECK ("postings"."amount_fen" <> 0)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"min_amount_fen" bigint NOT NULL,
	"max_amount_fen" bigint NOT NULL,
	"annual_rate_ppm" integer NOT NULL,
	"term_months" integer NOT NULL,
	"method" text NOT NULL,
	"penalty_rate_ppm" integer NOT NULL,
	"service_fee_ppm" integer NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone,
	CONSTRAINT "products_amounts_ck" CHECK ("products"."min_amount_fen" > 0 AND "products"."min_amount_fen" <= "products"."max_amount_fen"),
	CONSTRAINT "products_status_ck" CHECK ("products"."status" IN ('active', 'retired'))
);
--> statement-breakpoint
CREATE TABLE "repayments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"loan_id" bigint NOT NULL,
	"channel" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"external_ref" text NOT NULL,
	"business_date" date NOT NULL,
	"allocation" jsonb NOT NULL,
	"journal_entry_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "installments" ADD CONSTRAINT "installments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_transitions" ADD CONSTRAINT "loan_transitions_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_borrower_id_borrowers_id_fk" FOREIGN KEY ("borrower_id") REFERENCES "public"."borrowers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postings" ADD CONSTRAINT "postings_entry_id_journal_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."journal_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postings" ADD CONSTRAINT "postings_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repayments" ADD CONSTRAINT "repayments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "borrowers_id_number_uq" ON "borrowers" USING btree ("id_number");--> statement-breakpoint
CREATE INDEX "installments_due_open_idx" ON "installments" USING btree ("due_date") WHERE "installments"."status" <> 'paid';--> statement-breakpoint
CREATE UNIQUE INDEX "journal_entries_idempotency_uq" ON "journal_entries" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "journal_entries_ref_idx" ON "journal_entries" USING btree ("business_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_code_uq" ON "ledger_accounts" USING btree ("code");--> statement-breakpoint
CREATE INDEX "loan_transitions_loan_idx" ON "loan_transitions" USING btree ("loan_id");--> statement-breakpoint
CREATE INDEX "loans_status_idx" ON "loans" USING btree ("status");--> statement-breakpoint
CREATE INDEX "loans_borrower_idx" ON "loans" USING btree ("borrower_id");--> statement-breakpoint
CREATE UNIQUE INDEX "loans_external_ref_uq" ON "loans" USING btree ("external_ref") WHERE "loans"."external_ref" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "ops_users_token_uq" ON "ops_users" USING btree ("token_sha256");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE "outbox"."relayed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "postings_entry_idx" ON "postings" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "postings_account_idx" ON "postings" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "products_code_version_uq" ON "products" USING btree ("code","version");--> statement-breakpoint
CREATE UNIQUE INDEX "repayments_channel_ref_uq" ON "repayments" USING btree ("channel","external_ref");