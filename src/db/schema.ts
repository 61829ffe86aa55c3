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
