CREATE TABLE "application_forms" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"application_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"form" jsonb NOT NULL,
	"submitted_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "application_forms_kind_ck" CHECK ("application_forms"."kind" IN ('installer_survey', 'home_visit'))
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"staff_id" text NOT NULL,
	"store_code" text,
	"name" text NOT NULL,
	"id_number" text NOT NULL,
	"mobile" text NOT NULL,
	"county" text NOT NULL,
	"village" text NOT NULL,
	"requested_amount_fen" bigint NOT NULL,
	"term_months" integer NOT NULL,
	"method" text,
	"max_annual_rate_ppm" integer,
	"purpose" text NOT NULL,
	"contacts" text[] NOT NULL,
	"other_platforms_debt_fen" bigint NOT NULL,
	"other_platforms_debt_source" text NOT NULL,
	"consent_id" bigint NOT NULL,
	"status" text NOT NULL,
	"hits" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"crm_attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"loan_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "applications_amount_ck" CHECK ("applications"."requested_amount_fen" > 0),
	CONSTRAINT "applications_status_ck" CHECK ("applications"."status" IN ('received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved', 'refused', 'accepted'))
);
--> statement-breakpoint
CREATE TABLE "callback_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"callback_task_id" bigint NOT NULL,
	"call_id" text NOT NULL,
	"result" text NOT NULL,
	"agent_id" text NOT NULL,
	"note" text,
	"called_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "callback_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"application_id" bigint NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"not_reachable_attempts" integer DEFAULT 0 NOT NULL,
	"result" text,
	"agent_id" text,
	"note" text,
	"result_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "callback_tasks_status_ck" CHECK ("callback_tasks"."status" IN ('open', 'done'))
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"id_number" text NOT NULL,
	"mobile" text NOT NULL,
	"purpose" text NOT NULL,
	"method" text NOT NULL,
	"evidence_ref" text NOT NULL,
	"channel" text NOT NULL,
	"granted_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"revoke_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consents_purpose_ck" CHECK ("consents"."purpose" IN ('identity_verification', 'credit_assessment', 'post_loan_monitoring', 'marketing'))
);
--> statement-breakpoint
CREATE TABLE "credit_decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"application_id" bigint NOT NULL,
	"scorecard_version" text NOT NULL,
	"consent_id" bigint NOT NULL,
	"inputs" jsonb NOT NULL,
	"result" jsonb NOT NULL,
	"outcome" text NOT NULL,
	"score" integer NOT NULL,
	"grade" text NOT NULL,
	"credit_limit_fen" bigint NOT NULL,
	"decided_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_decisions_outcome_ck" CHECK ("credit_decisions"."outcome" IN ('approved', 'refused', 'manual_review'))
);
--> statement-breakpoint
CREATE TABLE "crm_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"msisdn" text NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"detail" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "risk_list_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"list" text NOT NULL,
	"id_pattern" text NOT NULL,
	"name" text,
	"reason" text NOT NULL,
	"case_number" text,
	"import_id" bigint,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	"removed_by" text,
	CONSTRAINT "risk_list_entries_list_ck" CHECK ("risk_list_entries"."list" IN ('internal_black', 'internal_red', 'court_dishonest'))
);
--> statement-breakpoint
CREATE TABLE "risk_list_imports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"file_name" text NOT NULL,
	"checksum" text NOT NULL,
	"rows" integer NOT NULL,
	"added" integer NOT NULL,
	"imported_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scorecards" (
	"version" text PRIMARY KEY NOT NULL,
	"definition" jsonb NOT NULL,
	"active" integer DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscriber_snapshots" (
	"msisdn" text PRIMARY KEY NOT NULL,
	"id_number" text NOT NULL,
	"purpose" text NOT NULL,
	"consent_id" bigint NOT NULL,
	"profile" jsonb NOT NULL,
	"device_id" text,
	"fetched_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "application_forms" ADD CONSTRAINT "application_forms_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_consent_id_consents_id_fk" FOREIGN KEY ("consent_id") REFERENCES "public"."consents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "callback_calls" ADD CONSTRAINT "callback_calls_callback_task_id_callback_tasks_id_fk" FOREIGN KEY ("callback_task_id") REFERENCES "public"."callback_tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "callback_tasks" ADD CONSTRAINT "callback_tasks_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_decisions" ADD CONSTRAINT "credit_decisions_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_decisions" ADD CONSTRAINT "credit_decisions_scorecard_version_scorecards_version_fk" FOREIGN KEY ("scorecard_version") REFERENCES "public"."scorecards"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_decisions" ADD CONSTRAINT "credit_decisions_consent_id_consents_id_fk" FOREIGN KEY ("consent_id") REFERENCES "public"."consents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriber_snapshots" ADD CONSTRAINT "subscriber_snapshots_consent_id_consents_id_fk" FOREIGN KEY ("consent_id") REFERENCES "public"."consents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "application_forms_app_idx" ON "application_forms" USING btree ("application_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "applications_open_person_uq" ON "applications" USING btree ("id_number") WHERE "applications"."status" IN ('received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved');--> statement-breakpoint
CREATE INDEX "applications_store_day_idx" ON "applications" USING btree ("store_code","created_at");--> statement-breakpoint
CREATE INDEX "applications_staff_day_idx" ON "applications" USING btree ("staff_id","created_at");--> statement-breakpoint
CREATE INDEX "applications_status_idx" ON "applications" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "callback_calls_call_uq" ON "callback_calls" USING btree ("callback_task_id","call_id");--> statement-breakpoint
CREATE UNIQUE INDEX "callback_tasks_application_uq" ON "callback_tasks" USING btree ("application_id");--> statement-breakpoint
CREATE INDEX "consents_person_idx" ON "consents" USING btree ("id_number","purpose");--> statement-breakpoint
CREATE INDEX "credit_decisions_application_idx" ON "credit_decisions" USING btree ("application_id");--> statement-breakpoint
CREATE INDEX "crm_events_msisdn_idx" ON "crm_events" USING btree ("msisdn","occurred_at");--> statement-breakpoint
CREATE INDEX "risk_list_entries_match_idx" ON "risk_list_entries" USING btree ("list","id_pattern");--> statement-breakpoint
CREATE UNIQUE INDEX "risk_list_entries_case_uq" ON "risk_list_entries" USING btree ("case_number") WHERE "risk_list_entries"."list" = 'court_dishonest' AND "risk_list_entries"."removed_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "risk_list_imports_checksum_uq" ON "risk_list_imports" USING btree ("checksum");--> statement-breakpoint
CREATE UNIQUE INDEX "scorecards_one_active_uq" ON "scorecards" USING btree ("active") WHERE "scorecards"."active" = 1;--> statement-breakpoint
CREATE INDEX "subscriber_snapshots_device_idx" ON "subscriber_snapshots" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "subscriber_snapshots_person_idx" ON "subscriber_snapshots" USING btree ("id_number");