/**
 * The database schema. Money columns are bigint fen, rates integer ppm, business dates
 * `date` (Asia/Shanghai calendar dates, read back as 'YYYY-MM-DD' strings).
 * drizzle-kit generates the SQL migrations in migrations/ from this file.
 */
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, check, date, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

const fen = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const products = pgTable('products', {
  id: serial('id').primaryKey(),
  code: text('code').notNull(),
  version: integer('version').notNull(),
  name: text('name').notNull(),
  minAmountFen: fen('min_amount_fen').notNull(),
  maxAmountFen: fen('max_amount_fen').notNull(),
  annualRatePpm: integer('annual_rate_ppm').notNull(),
  termMonths: integer('term_months').notNull(),
  method: text('method').notNull(),
  penaltyRatePpm: integer('penalty_rate_ppm').notNull(),
  serviceFeePpm: integer('service_fee_ppm').notNull(),
  status: text('status').notNull().default('active'),
  createdAt: createdAt(),
  retiredAt: timestamp('retired_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('products_code_version_uq').on(t.code, t.version),
  check('products_amounts_ck', sql`${t.minAmountFen} > 0 AND ${t.minAmountFen} <= ${t.maxAmountFen}`),
  check('products_status_ck', sql`${t.status} IN ('active', 'retired')`),
]);

export const borrowers = pgTable('borrowers', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  name: text('name').notNull(),
  idNumber: text('id_number').notNull(),
  mobile: text('mobile').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('borrowers_id_number_uq').on(t.idNumber)]);

export const loans = pgTable('loans', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  borrowerId: bigint('borrower_id', { mode: 'number' }).notNull().references(() => borrowers.id),
  productId: integer('product_id').notNull().references(() => products.id),
  principalFen: fen('principal_fen').notNull(),
  annualRatePpm: integer('annual_rate_ppm').notNull(),
  penaltyRatePpm: integer('penalty_rate_ppm').notNull(),
  serviceFeeFen: fen('service_fee_fen').notNull(),
  termMonths: integer('term_months').notNull(),
  method: text('method').notNull(),
  startDate: date('start_date', { mode: 'string' }),
  status: text('status').notNull(),
  repaymentChannels: text('repayment_channels').array().notNull(),
  daysPastDue: integer('days_past_due').notNull().default(0),
  bucket: text('bucket').notNull().default('current'),
  disbursementChannel: text('disbursement_channel'),
  externalRef: text('external_ref'),
  /** The carrier store that serves the borrower: signs, pays out and takes cash. */
  storeCode: text('store_code'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('loans_status_idx').on(t.status),
  index('loans_borrower_idx').on(t.borrowerId),
  uniqueIndex('loans_external_ref_uq').on(t.externalRef).where(sql`${t.externalRef} IS NOT NULL`),
  check('loans_principal_ck', sql`${t.principalFen} > 0`),
]);

export const installments = pgTable('installments', {
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  number: integer('number').notNull(),
  /** Interest accrues day by day from here to the due date. */
  periodStart: date('period_start', { mode: 'string' }).notNull(),
  dueDate: date('due_date', { mode: 'string' }).notNull(),
  principalFen: fen('principal_fen').notNull(),
  interestFen: fen('interest_fen').notNull(),
  feeFen: fen('fee_fen').notNull().default(0),
  principalPaidFen: fen('principal_paid_fen').notNull().default(0),
  interestPaidFen: fen('interest_paid_fen').notNull().default(0),
  feePaidFen: fen('fee_paid_fen').notNull().default(0),
  interestAccruedFen: fen('interest_accrued_fen').notNull().default(0),
  penaltyFen: fen('penalty_fen').notNull().default(0),
  penaltyPaidFen: fen('penalty_paid_fen').notNull().default(0),
  /** Penalty interest has been charged for every day up to and including this date. */
  penaltyThroughDate: date('penalty_through_date', { mode: 'string' }),
  status: text('status').notNull().default('pending'),
}, (t) => [
  primaryKey({ columns: [t.loanId, t.number] }),
  index('installments_due_open_idx').on(t.dueDate).where(sql`${t.status} <> 'paid'`),
  check('installments_paid_ck', sql`${t.principalPaidFen} <= ${t.principalFen} AND ${t.interestPaidFen} <= ${t.interestFen}
    AND ${t.feePaidFen} <= ${t.feeFen} AND ${t.penaltyPaidFen} <= ${t.penaltyFen} AND ${t.interestAccruedFen} <= ${t.interestFen}`),
  check('installments_status_ck', sql`${t.status} IN ('pending', 'overdue', 'paid')`),
]);

export const loanTransitions = pgTable('loan_transitions', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  fromStatus: text('from_status'),
  toStatus: text('to_status').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('loan_transitions_loan_idx').on(t.loanId)]);

export const repayments = pgTable('repayments', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  channel: text('channel').notNull(),
  amountFen: fen('amount_fen').notNull(),
  externalRef: text('external_ref').notNull(),
  businessDate: date('business_date', { mode: 'string' }).notNull(),
  allocation: jsonb('allocation').notNull(),
  journalEntryId: bigint('journal_entry_id', { mode: 'number' }).notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('repayments_channel_ref_uq').on(t.channel, t.externalRef)]);

export const ledgerAccounts = pgTable('ledger_accounts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  code: text('code').notNull(),
  ownerType: text('owner_type').notNull(),
  ownerId: text('owner_id').notNull(),
  purpose: text('purpose').notNull(),
  balanceFen: fen('balance_fen').notNull().default(0),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('ledger_accounts_code_uq').on(t.code)]);

export const journalEntries = pgTable('journal_entries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  idempotencyKey: text('idempotency_key').notNull(),
  fingerprint: text('fingerprint').notNull(),
  kind: text('kind').notNull(),
  businessRef: text('business_ref').notNull(),
  businessDate: date('business_date', { mode: 'string' }).notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('journal_entries_idempotency_uq').on(t.idempotencyKey),
  index('journal_entries_ref_idx').on(t.businessRef),
]);

export const postings = pgTable('postings', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  entryId: bigint('entry_id', { mode: 'number' }).notNull().references(() => journalEntries.id),
  accountId: bigint('account_id', { mode: 'number' }).notNull().references(() => ledgerAccounts.id),
  amountFen: fen('amount_fen').notNull(),
}, (t) => [
  index('postings_entry_idx').on(t.entryId),
  index('postings_account_idx').on(t.accountId),
  check('postings_nonzero_ck', sql`${t.amountFen} <> 0`),
]);

export const outbox = pgTable('outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  queue: text('queue').notNull(),
  jobName: text('job_name').notNull(),
  payload: jsonb('payload').notNull(),
  createdAt: createdAt(),
  relayedAt: timestamp('relayed_at', { withTimezone: true }),
}, (t) => [index('outbox_pending_idx').on(t.id).where(sql`${t.relayedAt} IS NULL`)]);

export const cobRuns = pgTable('cob_runs', {
  businessDate: date('business_date', { mode: 'string' }).primaryKey(),
  status: text('status').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  summary: jsonb('summary'),
});

export const opsUsers = pgTable('ops_users', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  tokenSha256: text('token_sha256').notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('ops_users_token_uq').on(t.tokenSha256),
  check('ops_users_role_ck', sql`${t.role} IN ('viewer', 'operator', 'admin')`),
]);

// ---- Billing: phone-credit deductions (real time over SOAP, batch over SFTP) ----

/** A signed 委托划扣协议书: the loan may be repaid from this subscriber's phone account. */
export const deductionMandates = pgTable('deduction_mandates', {
  loanId: bigint('loan_id', { mode: 'number' }).primaryKey().references(() => loans.id),
  msisdn: text('msisdn').notNull(),
  plan: text('plan').notNull(),
  status: text('status').notNull().default('active'),
  signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('deduction_mandates_msisdn_idx').on(t.msisdn),
  check('deduction_mandates_plan_ck', sql`${t.plan} IN ('prepaid', 'postpaid')`),
  check('deduction_mandates_status_ck', sql`${t.status} IN ('active', 'revoked')`),
]);

export const deductionRuns = pgTable('deduction_runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  businessDate: date('business_date', { mode: 'string' }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('deduction_runs_date_uq').on(t.businessDate)]);

/**
 * One charge attempt for one installment. `reference_code` is the Parlay X referenceCode
 * sent to the carrier: a retry of the same attempt reuses it, so the carrier de-duplicates.
 */
export const deductionAttempts = pgTable('deduction_attempts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  runId: bigint('run_id', { mode: 'number' }).references(() => deductionRuns.id),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  installmentNumber: integer('installment_number').notNull(),
  attemptNo: integer('attempt_no').notNull(),
  trigger: text('trigger').notNull(),
  referenceCode: text('reference_code').notNull(),
  msisdn: text('msisdn').notNull(),
  plan: text('plan').notNull(),
  dueFen: fen('due_fen').notNull(),
  requestedFen: fen('requested_fen'),
  chargedFen: fen('charged_fen').notNull().default(0),
  status: text('status').notNull(),
  outcomeCode: text('outcome_code'),
  outcomeDetail: text('outcome_detail'),
  repaymentId: bigint('repayment_id', { mode: 'number' }),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('deduction_attempts_reference_uq').on(t.referenceCode),
  uniqueIndex('deduction_attempts_installment_uq').on(t.loanId, t.installmentNumber, t.attemptNo),
  index('deduction_attempts_run_idx').on(t.runId),
  index('deduction_attempts_waiting_idx').on(t.msisdn).where(sql`${t.status} = 'insufficient'`),
]);

export const carrierRecharges = pgTable('carrier_recharges', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  eventId: text('event_id').notNull(),
  msisdn: text('msisdn').notNull(),
  amountFen: fen('amount_fen').notNull(),
  rechargedAt: timestamp('recharged_at', { withTimezone: true }).notNull(),
  source: text('source').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('carrier_recharges_event_uq').on(t.eventId)]);

export const billingRefunds = pgTable('billing_refunds', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  referenceCode: text('reference_code').notNull(),
  originalReferenceCode: text('original_reference_code').notNull(),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  msisdn: text('msisdn').notNull(),
  amountFen: fen('amount_fen').notNull(),
  reason: text('reason').notNull(),
  status: text('status').notNull(),
  outcomeCode: text('outcome_code'),
  requestedBy: text('requested_by').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('billing_refunds_reference_uq').on(t.referenceCode)]);

/** Every batch file sent or received; (kind, file_id) and the checksum keep a file from being applied twice. */
export const billingFiles = pgTable('billing_files', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  kind: text('kind').notNull(),
  fileId: text('file_id').notNull(),
  fileName: text('file_name').notNull(),
  sha256: text('sha256').notNull(),
  businessDate: date('business_date', { mode: 'string' }),
  recordCount: integer('record_count'),
  amountTotalFen: fen('amount_total_fen'),
  status: text('status').notNull(),
  reason: text('reason'),
  createdAt: createdAt(),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('billing_files_kind_file_uq').on(t.kind, t.fileId),
  index('billing_files_sha_idx').on(t.sha256),
  check('billing_files_kind_ck', sql`${t.kind} IN ('deduction_request', 'deduction_response', 'settlement', 'recharge')`),
  check('billing_files_status_ck', sql`${t.status} IN ('uploaded', 'applied', 'quarantined')`),
]);

export const billingResponseLines = pgTable('billing_response_lines', {
  fileId: bigint('file_id', { mode: 'number' }).notNull().references(() => billingFiles.id),
  lineNo: integer('line_no').notNull(),
  referenceCode: text('reference_code').notNull(),
  msisdn: text('msisdn').notNull(),
  requestedFen: fen('requested_fen').notNull(),
  chargedFen: fen('charged_fen').notNull(),
  resultCode: text('result_code').notNull(),
}, (t) => [primaryKey({ columns: [t.fileId, t.lineNo] }), index('billing_response_lines_ref_idx').on(t.referenceCode)]);

export const billingSettlementLines = pgTable('billing_settlement_lines', {
  fileId: bigint('file_id', { mode: 'number' }).notNull().references(() => billingFiles.id),
  lineNo: integer('line_no').notNull(),
  referenceCode: text('reference_code').notNull(),
  msisdn: text('msisdn').notNull(),
  amountFen: fen('amount_fen').notNull(),
}, (t) => [primaryKey({ columns: [t.fileId, t.lineNo] }), index('billing_settlement_lines_ref_idx').on(t.referenceCode)]);

/** Differences found by reconciliation, listed for ops until resolved with a reason. */
export const reconciliationBreaks = pgTable('reconciliation_breaks', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  source: text('source').notNull(),
  businessDate: date('business_date', { mode: 'string' }).notNull(),
  kind: text('kind').notNull(),
  referenceCode: text('reference_code').notNull(),
  expectedFen: fen('expected_fen'),
  actualFen: fen('actual_fen'),
  detail: text('detail').notNull(),
  status: text('status').notNull().default('open'),
  resolution: text('resolution'),
  resolvedBy: text('resolved_by'),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('reconciliation_breaks_uq').on(t.source, t.kind, t.referenceCode),
  index('reconciliation_breaks_date_idx').on(t.source, t.businessDate),
  check('reconciliation_breaks_status_ck', sql`${t.status} IN ('open', 'resolved')`),
]);

/**
 * A person's consent to one purpose of carrier-data use (DESIGN: consent before any carrier
 * data is read). Lookups name the consent they rely on; a revoked consent allows none.
 */
export const consents = pgTable('consents', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  idNumber: text('id_number').notNull(),
  mobile: text('mobile').notNull(),
  purpose: text('purpose').notNull(),
  method: text('method').notNull(),
  evidenceRef: text('evidence_ref').notNull(),
  channel: text('channel').notNull(),
  grantedAt: timestamp('granted_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  revokedBy: text('revoked_by'),
  revokeReason: text('revoke_reason'),
  createdAt: createdAt(),
}, (t) => [
  index('consents_person_idx').on(t.idNumber, t.purpose),
  check('consents_purpose_ck', sql`${t.purpose} IN ('identity_verification', 'credit_assessment', 'post_loan_monitoring', 'marketing')`),
]);

/** A loan application from any channel, through initial review, risk decision and offer. */
export const applications = pgTable('applications', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  channel: text('channel').notNull(),
  staffId: text('staff_id').notNull(),
  storeCode: text('store_code'),
  name: text('name').notNull(),
  idNumber: text('id_number').notNull(),
  mobile: text('mobile').notNull(),
  county: text('county').notNull(),
  village: text('village').notNull(),
  requestedAmountFen: fen('requested_amount_fen').notNull(),
  termMonths: integer('term_months').notNull(),
  method: text('method'),
  maxAnnualRatePpm: integer('max_annual_rate_ppm'),
  purpose: text('purpose').notNull(),
  contacts: text('contacts').array().notNull(),
  otherPlatformsDebtFen: fen('other_platforms_debt_fen').notNull(),
  otherPlatformsDebtSource: text('other_platforms_debt_source').notNull(),
  consentId: bigint('consent_id', { mode: 'number' }).notNull().references(() => consents.id),
  status: text('status').notNull(),
  /** Initial review and anti-fraud hits, each a reason code with its evidence. */
  hits: jsonb('hits').notNull().default(sql`'[]'::jsonb`),
  crmAttempts: integer('crm_attempts').notNull().default(0),
  lastError: text('last_error'),
  loanId: bigint('loan_id', { mode: 'number' }).references(() => loans.id),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  // One open application per person: a second is refused while the first is in progress.
  uniqueIndex('applications_open_person_uq').on(t.idNumber)
    .where(sql`${t.status} IN ('received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved')`),
  index('applications_store_day_idx').on(t.storeCode, t.createdAt),
  index('applications_staff_day_idx').on(t.staffId, t.createdAt),
  index('applications_status_idx').on(t.status),
  check('applications_amount_ck', sql`${t.requestedAmountFen} > 0`),
  check('applications_status_ck', sql`${t.status} IN ('received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved', 'refused', 'accepted')`),
]);

/** The installer's survey and the credit officer's home visit, as submitted (the latest of a kind counts). */
export const applicationForms = pgTable('application_forms', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  applicationId: bigint('application_id', { mode: 'number' }).notNull().references(() => applications.id),
  kind: text('kind').notNull(),
  form: jsonb('form').notNull(),
  submittedBy: text('submitted_by').notNull(),
  createdAt: createdAt(),
}, (t) => [
  index('application_forms_app_idx').on(t.applicationId, t.kind),
  check('application_forms_kind_ck', sql`${t.kind} IN ('installer_survey', 'home_visit')`),
]);

/** Callback verification (电话回访) of an application by the call center. */
export const callbackTasks = pgTable('callback_tasks', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  applicationId: bigint('application_id', { mode: 'number' }).notNull().references(() => applications.id),
  status: text('status').notNull().default('open'),
  notReachableAttempts: integer('not_reachable_attempts').notNull().default(0),
  result: text('result'),
  agentId: text('agent_id'),
  note: text('note'),
  resultAt: timestamp('result_at', { withTimezone: true }),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('callback_tasks_application_uq').on(t.applicationId),
  check('callback_tasks_status_ck', sql`${t.status} IN ('open', 'done')`),
]);

/**
 * Red and black lists. Court entries come from the published dishonest-debtor list, whose
 * ID numbers have their birth date masked: `id_pattern` keeps the published form and
 * matching compares the unmasked characters and the name.
 */
export const riskListEntries = pgTable('risk_list_entries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  list: text('list').notNull(),
  idPattern: text('id_pattern').notNull(),
  name: text('name'),
  reason: text('reason').notNull(),
  caseNumber: text('case_number'),
  importId: bigint('import_id', { mode: 'number' }),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  removedAt: timestamp('removed_at', { withTimezone: true }),
  removedBy: text('removed_by'),
}, (t) => [
  index('risk_list_entries_match_idx').on(t.list, t.idPattern),
  uniqueIndex('risk_list_entries_case_uq').on(t.caseNumber).where(sql`${t.list} = 'court_dishonest' AND ${t.removedAt} IS NULL`),
  check('risk_list_entries_list_ck', sql`${t.list} IN ('internal_black', 'internal_red', 'court_dishonest')`),
]);

export const riskListImports = pgTable('risk_list_imports', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  fileName: text('file_name').notNull(),
  checksum: text('checksum').notNull(),
  rows: integer('rows').notNull(),
  added: integer('added').notNull(),
  importedBy: text('imported_by').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('risk_list_imports_checksum_uq').on(t.checksum)]);

/** Scorecard versions; exactly one is active and used for new decisions. */
export const scorecards = pgTable('scorecards', {
  version: text('version').primaryKey(),
  definition: jsonb('definition').notNull(),
  active: integer('active').notNull().default(0),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('scorecards_one_active_uq').on(t.active).where(sql`${t.active} = 1`)]);

/** Every credit decision with the exact inputs it was made from, so it can be replayed. */
export const creditDecisions = pgTable('credit_decisions', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  applicationId: bigint('application_id', { mode: 'number' }).notNull().references(() => applications.id),
  scorecardVersion: text('scorecard_version').notNull().references(() => scorecards.version),
  consentId: bigint('consent_id', { mode: 'number' }).notNull().references(() => consents.id),
  inputs: jsonb('inputs').notNull(),
  result: jsonb('result').notNull(),
  outcome: text('outcome').notNull(),
  score: integer('score').notNull(),
  grade: text('grade').notNull(),
  creditLimitFen: fen('credit_limit_fen').notNull(),
  decidedBy: text('decided_by').notNull(),
  createdAt: createdAt(),
}, (t) => [
  index('credit_decisions_application_idx').on(t.applicationId),
  check('credit_decisions_outcome_ck', sql`${t.outcome} IN ('approved', 'refused', 'manual_review')`),
]);

/** The latest carrier profile of a number, minimised to what its consent's purpose allows. */
export const subscriberSnapshots = pgTable('subscriber_snapshots', {
  msisdn: text('msisdn').primaryKey(),
  idNumber: text('id_number').notNull(),
  purpose: text('purpose').notNull(),
  consentId: bigint('consent_id', { mode: 'number' }).notNull().references(() => consents.id),
  profile: jsonb('profile').notNull(),
  deviceId: text('device_id'),
  fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
}, (t) => [index('subscriber_snapshots_device_idx').on(t.deviceId), index('subscriber_snapshots_person_idx').on(t.idNumber)]);

/** CRM change events received (status change, SIM swap, cancellation, port-out); each counts once. */
export const crmEvents = pgTable('crm_events', {
  eventId: text('event_id').primaryKey(),
  msisdn: text('msisdn').notNull(),
  type: text('type').notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  detail: jsonb('detail').notNull(),
  createdAt: createdAt(),
}, (t) => [index('crm_events_msisdn_idx').on(t.msisdn, t.occurredAt)]);

/** Each call of a callback task as the call center reported it; a call id counts once. */
export const callbackCalls = pgTable('callback_calls', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  callbackTaskId: bigint('callback_task_id', { mode: 'number' }).notNull().references(() => callbackTasks.id),
  callId: text('call_id').notNull(),
  result: text('result').notNull(),
  agentId: text('agent_id').notNull(),
  note: text('note'),
  calledAt: timestamp('called_at', { withTimezone: true }).notNull(),
}, (t) => [uniqueIndex('callback_calls_call_uq').on(t.callbackTaskId, t.callId)]);

// ---------------------------------------------------------------- carrier stores (POS)

/** A carrier store acting as a branch: signs contracts, pays out and takes cash. */
export const stores = pgTable('stores', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  region: text('region').notNull(),
  county: text('county').notNull(),
  villages: text('villages').array().notNull(),
  status: text('status').notNull().default('active'),
  createdAt: createdAt(),
}, (t) => [check('stores_status_ck', sql`${t.status} IN ('active', 'closed')`)]);

/** A POS terminal of a store; its secret signs every request (HMAC-SHA256). */
export const terminals = pgTable('terminals', {
  id: text('id').primaryKey(),
  storeCode: text('store_code').notNull().references(() => stores.code),
  secret: text('secret').notNull(),
  status: text('status').notNull().default('active'),
  statusReason: text('status_reason'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('terminals_store_idx').on(t.storeCode),
  check('terminals_status_ck', sql`${t.status} IN ('active', 'suspended')`),
]);

/** Store staff who sign in on terminals: clerks and the store manager. */
export const storeStaff = pgTable('store_staff', {
  id: text('id').primaryKey(),
  storeCode: text('store_code').notNull().references(() => stores.code),
  name: text('name').notNull(),
  role: text('role').notNull(),
  pinHash: text('pin_hash').notNull(),
  status: text('status').notNull().default('active'),
  createdAt: createdAt(),
}, (t) => [
  index('store_staff_store_idx').on(t.storeCode),
  check('store_staff_role_ck', sql`${t.role} IN ('clerk', 'manager')`),
  check('store_staff_status_ck', sql`${t.status} IN ('active', 'disabled')`),
]);

/** The first response to each terminal's Idempotency-Key, replayed to retries with the same body. */
export const posIdempotency = pgTable('pos_idempotency', {
  terminalId: text('terminal_id').notNull(),
  idempotencyKey: text('idempotency_key').notNull(),
  requestSha256: text('request_sha256').notNull(),
  state: text('state').notNull(),
  statusCode: integer('status_code'),
  response: jsonb('response'),
  createdAt: createdAt(),
}, (t) => [
  primaryKey({ columns: [t.terminalId, t.idempotencyKey] }),
  check('pos_idempotency_state_ck', sql`${t.state} IN ('in_progress', 'done')`),
]);

/** One-time codes sent by SMS: only a hash is kept; a few wrong tries use a code up. */
export const otpChallenges = pgTable('otp_challenges', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  purpose: text('purpose').notNull(),
  loanId: bigint('loan_id', { mode: 'number' }).references(() => loans.id),
  msisdn: text('msisdn').notNull(),
  codeHash: text('code_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  verifiedAt: timestamp('verified_at', { withTimezone: true }),
  smsReference: text('sms_reference').notNull(),
  createdAt: createdAt(),
}, (t) => [
  index('otp_challenges_loan_idx').on(t.loanId, t.purpose),
  check('otp_challenges_purpose_ck', sql`${t.purpose} IN ('contract_signing', 'cash_receipt', 'investor_registration')`),
]);

/** A loan's signing at a store: the five documents, the OTP that confirmed them, who and where. */
export const contractSignings = pgTable('contract_signings', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  otpChallengeId: bigint('otp_challenge_id', { mode: 'number' }).notNull().references(() => otpChallenges.id),
  storeCode: text('store_code').notNull().references(() => stores.code),
  terminalId: text('terminal_id').notNull(),
  staffId: text('staff_id').notNull(),
  signedAt: timestamp('signed_at', { withTimezone: true }).notNull(),
}, (t) => [uniqueIndex('contract_signings_loan_uq').on(t.loanId)]);

/** The rendered documents a borrower signed; immutable once written (trigger in 0005). */
export const contractDocuments = pgTable('contract_documents', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  signingId: bigint('signing_id', { mode: 'number' }).notNull().references(() => contractSignings.id),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  kind: text('kind').notNull(),
  templateVersion: text('template_version').notNull(),
  title: text('title').notNull(),
  content: text('content').notNull(),
  sha256: text('sha256').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('contract_documents_loan_kind_uq').on(t.loanId, t.kind)]);

/** How a contracted loan is paid out, and where that payment stands. */
export const disbursementOrders = pgTable('disbursement_orders', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  channel: text('channel').notNull(),
  amountFen: fen('amount_fen').notNull(),
  /** Passbook or supplier account (name, bank, account number) for transfers; null for cash. */
  payee: jsonb('payee'),
  status: text('status').notNull(),
  reference: text('reference').notNull(),
  bankReference: text('bank_reference'),
  failureReason: text('failure_reason'),
  otpChallengeId: bigint('otp_challenge_id', { mode: 'number' }).references(() => otpChallenges.id),
  storeCode: text('store_code').notNull(),
  terminalId: text('terminal_id').notNull(),
  staffId: text('staff_id').notNull(),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('disbursement_orders_reference_uq').on(t.reference),
  // One order in progress or done per loan; a failed one may be followed by another.
  uniqueIndex('disbursement_orders_live_uq').on(t.loanId).where(sql`${t.status} <> 'failed'`),
  check('disbursement_orders_channel_ck', sql`${t.channel} IN ('passbook', 'store_cash', 'supplier')`),
  check('disbursement_orders_status_ck', sql`${t.status} IN ('awaiting_receipt', 'sent', 'succeeded', 'failed')`),
]);

/** Cash that crossed a store counter: repayments taken and disbursements handed out. */
export const storeCashMovements = pgTable('store_cash_movements', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  storeCode: text('store_code').notNull().references(() => stores.code),
  terminalId: text('terminal_id').notNull(),
  staffId: text('staff_id').notNull(),
  businessDate: date('business_date', { mode: 'string' }).notNull(),
  kind: text('kind').notNull(),
  amountFen: fen('amount_fen').notNull(),
  loanId: bigint('loan_id', { mode: 'number' }).notNull().references(() => loans.id),
  receiptNo: text('receipt_no').notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('store_cash_movements_receipt_uq').on(t.receiptNo),
  index('store_cash_movements_day_idx').on(t.storeCode, t.businessDate),
  check('store_cash_movements_kind_ck', sql`${t.kind} IN ('repayment_in', 'disbursement_out')`),
  check('store_cash_movements_amount_ck', sql`${t.amountFen} > 0`),
]);

/** A store's business day; once closed it takes no more cash for that date. */
export const storeDays = pgTable('store_days', {
  storeCode: text('store_code').notNull().references(() => stores.code),
  businessDate: date('business_date', { mode: 'string' }).notNull(),
  status: text('status').notNull(),
  cashInFen: fen('cash_in_fen').notNull(),
  cashOutFen: fen('cash_out_fen').notNull(),
  expectedDrawerFen: fen('expected_drawer_fen').notNull(),
  countedCashFen: fen('counted_cash_fen').notNull(),
  depositedFen: fen('deposited_fen').notNull(),
  depositSlipRef: text('deposit_slip_ref').notNull(),
  closedBy: text('closed_by').notNull(),
  closedAt: timestamp('closed_at', { withTimezone: true }).notNull(),
}, (t) => [
  primaryKey({ columns: [t.storeCode, t.businessDate] }),
  check('store_days_status_ck', sql`${t.status} IN ('closed')`),
]);

/** Outbound SMS through the carrier's gateway, one row per message we asked to send. */
export const smsMessages = pgTable('sms_messages', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  reference: text('reference').notNull(),
  msisdn: text('msisdn').notNull(),
  template: text('template').notNull(),
  text: text('text').notNull(),
  kind: text('kind').notNull(),
  status: text('status').notNull().default('queued'),
  gatewayRequestId: text('gateway_request_id'),
  lastError: text('last_error'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('sms_messages_reference_uq').on(t.reference),
  check('sms_messages_kind_ck', sql`${t.kind} IN ('transactional', 'marketing')`),
  check('sms_messages_status_ck', sql`${t.status} IN ('queued', 'sent', 'failed')`),
]);

/**
 * Investors of the portal (/v1/investor/*). The ID number and mobile are unique: one
 * account per person and per phone. risk_level stays null until the questionnaire is done.
 */
export const investors = pgTable('investors', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  name: text('name').notNull(),
  idNumber: text('id_number').notNull(),
  mobile: text('mobile').notNull(),
  passwordHash: text('password_hash').notNull(),
  bankName: text('bank_name').notNull(),
  accountNumber: text('account_number').notNull(),
  riskLevel: integer('risk_level'),
  status: text('status').notNull().default('active'),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('investors_id_number_uq').on(t.idNumber),
  uniqueIndex('investors_mobile_uq').on(t.mobile),
  check('investors_risk_level_ck', sql`${t.riskLevel} IS NULL OR ${t.riskLevel} BETWEEN 1 AND 5`),
  check('investors_status_ck', sql`${t.status} IN ('active', 'disabled')`),
]);

/** Refresh tokens, stored only as SHA-256 so a database dump holds no usable token. */
export const investorRefreshTokens = pgTable('investor_refresh_tokens', {
  tokenSha256: text('token_sha256').primaryKey(),
  investorId: bigint('investor_id', { mode: 'number' }).notNull().references(() => investors.id),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  createdAt: createdAt(),
}, (t) => [index('investor_refresh_tokens_investor_idx').on(t.investorId)]);
