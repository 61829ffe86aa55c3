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
