CREATE TABLE "contract_documents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"signing_id" bigint NOT NULL,
	"loan_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"template_version" text NOT NULL,
	"title" text NOT NULL,
	"content" text NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contract_signings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"loan_id" bigint NOT NULL,
	"otp_challenge_id" bigint NOT NULL,
	"store_code" text NOT NULL,
	"terminal_id" text NOT NULL,
	"staff_id" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "disbursement_orders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"loan_id" bigint NOT NULL,
	"channel" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"payee" jsonb,
	"status" text NOT NULL,
	"reference" text NOT NULL,
	"bank_reference" text,
	"failure_reason" text,
	"otp_challenge_id" bigint,
	"store_code" text NOT NULL,
	"terminal_id" text NOT NULL,
	"staff_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "disbursement_orders_channel_ck" CHECK ("disbursement_orders"."channel" IN ('passbook', 'store_cash', 'supplier')),
	CONSTRAINT "disbursement_orders_status_ck" CHECK ("disbursement_orders"."status" IN ('awaiting_receipt', 'sent', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "otp_challenges" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"loan_id" bigint,
	"msisdn" text NOT NULL,
	"code_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"verified_at" timestamp with time zone,
	"sms_reference" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "otp_challenges_purpose_ck" CHECK ("otp_challenges"."purpose" IN ('contract_signing', 'cash_receipt'))
);
--> statement-breakpoint
CREATE TABLE "pos_idempotency" (
	"terminal_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_sha256" text NOT NULL,
	"state" text NOT NULL,
	"status_code" integer,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pos_idempotency_terminal_id_idempotency_key_pk" PRIMARY KEY("terminal_id","idempotency_key"),
	CONSTRAINT "pos_idempotency_state_ck" CHECK ("pos_idempotency"."state" IN ('in_progress', 'done'))
);
--> statement-breakpoint
CREATE TABLE "sms_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"msisdn" text NOT NULL,
	"template" text NOT NULL,
	"text" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"gateway_request_id" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sms_messages_kind_ck" CHECK ("sms_messages"."kind" IN ('transactional', 'marketing')),
	CONSTRAINT "sms_messages_status_ck" CHECK ("sms_messages"."status" IN ('queued', 'sent', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "store_cash_movements" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"store_code" text NOT NULL,
	"terminal_id" text NOT NULL,
	"staff_id" text NOT NULL,
	"business_date" date NOT NULL,
	"kind" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"loan_id" bigint NOT NULL,
	"receipt_no" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "store_cash_movements_kind_ck" CHECK ("store_cash_movements"."kind" IN ('repayment_in', 'disbursement_out')),
	CONSTRAINT "store_cash_movements_amount_ck" CHECK ("store_cash_movements"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "store_days" (
	"store_code" text NOT NULL,
	"business_date" date NOT NULL,
	"status" text NOT NULL,
	"cash_in_fen" bigint NOT NULL,
	"cash_out_fen" bigint NOT NULL,
	"expected_drawer_fen" bigint NOT NULL,
	"counted_cash_fen" bigint NOT NULL,
	"deposited_fen" bigint NOT NULL,
	"deposit_slip_ref" text NOT NULL,
	"closed_by" text NOT NULL,
	"closed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "store_days_store_code_business_date_pk" PRIMARY KEY("store_code","business_date"),
	CONSTRAINT "store_days_status_ck" CHECK ("store_days"."status" IN ('closed'))
);
--> statement-breakpoint
CREATE TABLE "store_staff" (
	"id" text PRIMARY KEY NOT NULL,
	"store_code" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"pin_hash" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "store_staff_role_ck" CHECK ("store_staff"."role" IN ('clerk', 'manager')),
	CONSTRAINT "store_staff_status_ck" CHECK ("store_staff"."status" IN ('active', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "stores" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"county" text NOT NULL,
	"villages" text[] NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stores_status_ck" CHECK ("stores"."status" IN ('active', 'closed'))
);
--> statement-breakpoint
CREATE TABLE "terminals" (
	"id" text PRIMARY KEY NOT NULL,
	"store_code" text NOT NULL,
	"secret" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "terminals_status_ck" CHECK ("terminals"."status" IN ('active', 'suspended'))
);
--> statement-breakpoint
ALTER TABLE "loans" ADD COLUMN "store_code" text;--> statement-breakpoint
ALTER TABLE "contract_documents" ADD CONSTRAINT "contract_documents_signing_id_contract_signings_id_fk" FOREIGN KEY ("signing_id") REFERENCES "public"."contract_signings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contract_documents" ADD CONSTRAINT "contract_documents_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contract_signings" ADD CONSTRAINT "contract_signings_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contract_signings" ADD CONSTRAINT "contract_signings_otp_challenge_id_otp_challenges_id_fk" FOREIGN KEY ("otp_challenge_id") REFERENCES "public"."otp_challenges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contract_signings" ADD CONSTRAINT "contract_signings_store_code_stores_code_fk" FOREIGN KEY ("store_code") REFERENCES "public"."stores"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disbursement_orders" ADD CONSTRAINT "disbursement_orders_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disbursement_orders" ADD CONSTRAINT "disbursement_orders_otp_challenge_id_otp_challenges_id_fk" FOREIGN KEY ("otp_challenge_id") REFERENCES "public"."otp_challenges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD CONSTRAINT "otp_challenges_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_cash_movements" ADD CONSTRAINT "store_cash_movements_store_code_stores_code_fk" FOREIGN KEY ("store_code") REFERENCES "public"."stores"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_cash_movements" ADD CONSTRAINT "store_cash_movements_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_days" ADD CONSTRAINT "store_days_store_code_stores_code_fk" FOREIGN KEY ("store_code") REFERENCES "public"."stores"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_staff" ADD CONSTRAINT "store_staff_store_code_stores_code_fk" FOREIGN KEY ("store_code") REFERENCES "public"."stores"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terminals" ADD CONSTRAINT "terminals_store_code_stores_code_fk" FOREIGN KEY ("store_code") REFERENCES "public"."stores"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "contract_documents_loan_kind_uq" ON "contract_documents" USING btree ("loan_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "contract_signings_loan_uq" ON "contract_signings" USING btree ("loan_id");--> statement-breakpoint
CREATE UNIQUE INDEX "disbursement_orders_reference_uq" ON "disbursement_orders" USING btree ("reference");--> statement-breakpoint
CREATE UNIQUE INDEX "disbursement_orders_live_uq" ON "disbursement_orders" USING btree ("loan_id") WHERE "disbursement_orders"."status" <> 'failed';--> statement-breakpoint
CREATE INDEX "otp_challenges_loan_idx" ON "otp_challenges" USING btree ("loan_id","purpose");--> statement-breakpoint
CREATE UNIQUE INDEX "sms_messages_reference_uq" ON "sms_messages" USING btree ("reference");--> statement-breakpoint
CREATE UNIQUE INDEX "store_cash_movements_receipt_uq" ON "store_cash_movements" USING btree ("receipt_no");--> statement-breakpoint
CREATE INDEX "store_cash_movements_day_idx" ON "store_cash_movements" USING btree ("store_code","business_date");--> statement-breakpoint
CREATE INDEX "store_staff_store_idx" ON "store_staff" USING btree ("store_code");--> statement-breakpoint
CREATE INDEX "terminals_store_idx" ON "terminals" USING btree ("store_code");