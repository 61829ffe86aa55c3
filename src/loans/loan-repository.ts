import { DomainError, invariant } from '../core/domain-error.js';
import type { InstallmentBalance } from '../core/allocation.js';
import { assertTransition, isLoanStatus, type LoanStatus } from '../core/loan-state.js';
import type { RepaymentMethod } from '../core/schedule.js';
import type { Queryable } from '../db/database.js';

export interface LoanRecord {
  id: number;
  borrowerId: number;
  productId: number;
  principalFen: number;
  annualRatePpm: number;
  penaltyRatePpm: number;
  serviceFeeFen: number;
  termMonths: number;
  method: RepaymentMethod;
  startDate: string | null;
  status: LoanStatus;
  repaymentChannels: string[];
  daysPastDue: number;
  bucket: string;
}

export interface InstallmentRecord {
  number: number;
  periodStart: string;
  dueDate: string;
  principalFen: number;
  interestFen: number;
  feeFen: number;
  principalPaidFen: number;
  interestPaidFen: number;
  feePaidFen: number;
  interestAccruedFen: number;
  penaltyFen: number;
  penaltyPaidFen: number;
  status: 'pending' | 'overdue' | 'paid';
}

export const LOAN_SELECT = `SELECT id, borrower_id AS "borrowerId", product_id AS "productId", principal_fen AS "principalFen",
  annual_rate_ppm AS "annualRatePpm", penalty_rate_ppm AS "penaltyRatePpm", service_fee_fen AS "serviceFeeFen",
  term_months AS "termMonths", method, start_date AS "startDate", status, repayment_channels AS "repaymentChannels",
  days_past_due AS "daysPastDue", bucket FROM loans`;

const INSTALLMENT_COLUMNS = `number, period_start AS "periodStart", due_date AS "dueDate", principal_fen AS "principalFen",
  interest_fen AS "interestFen", fee_fen AS "feeFen", principal_paid_fen AS "principalPaidFen", interest_paid_fen AS "interestPaidFen",
  fee_paid_fen AS "feePaidFen", interest_accrued_fen AS "interestAccruedFen", penalty_fen AS "penaltyFen",
  penalty_paid_fen AS "penaltyPaidFen", status`;
const INSTALLMENT_SELECT = `SELECT ${INSTALLMENT_COLUMNS} FROM installments`;

export async function findLoan(q: Queryable, loanId: number): Promise<LoanRecord | undefined> {
  const [row] = await q.query<LoanRecord>(`${LOAN_SELECT} WHERE id = $1`, [loanId]);
  if (row) invariant(isLoanStatus(row.status), `loan ${loanId} has unknown status ${row.status}`);
  return row;
}

/**
 * Waits for a running close of business and keeps the next one out until this transaction
 * ends (the shared side of the advisory lock close of business takes exclusively). Close of
 * business computes accrual and penalty from what it reads at the start, so a repayment or
 * write-off committed while it runs would otherwise leave penalty on a paid installment or
 * receivables on a written-off loan. Take it first, before any row lock.
 */
export async function holdOffCloseOfBusiness(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock_shared(hashtext('close-of-business'))`);
}

/** Locks the loan row for the rest of the transaction: loan events are serialised per loan. */
export async function lockLoan(tx: Queryable, loanId: number): Promise<LoanRecord> {
  const [row] = await tx.query<LoanRecord>(`${LOAN_SELECT} WHERE id = $1 FOR UPDATE`, [loanId]);
  if (!row) throw new DomainError('LOAN_NOT_FOUND', `no loan ${loanId}`, 'loanId');
  invariant(isLoanStatus(row.status), `loan ${loanId} has unknown status ${row.status}`);
  return row;
}

/** Locks many loans at once, in id order so concurrent batches cannot deadlock. */
export async function lockLoans(tx: Queryable, loanIds: readonly number[]): Promise<Map<number, LoanRecord>> {
  const rows = await tx.query<LoanRecord>(`${LOAN_SELECT} WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [loanIds]);
  return new Map(rows.map((row) => [row.id, row]));
}

export async function loadInstallmentsOfLoans(q: Queryable, loanIds: readonly number[]): Promise<Map<number, InstallmentRecord[]>> {
  const rows = await q.query<InstallmentRecord & { loanId: number }>(
    `SELECT loan_id AS "loanId", ${INSTALLMENT_COLUMNS} FROM installments WHERE loan_id = ANY($1::bigint[]) ORDER BY loan_id, number`, [loanIds]);
  const byLoan = new Map<number, InstallmentRecord[]>();
  for (const { loanId, ...installment } of rows) byLoan.set(loanId, [...(byLoan.get(loanId) ?? []), installment]);
  return byLoan;
}

export async function loadInstallments(q: Queryable, loanId: number): Promise<InstallmentRecord[]> {
  return q.query<InstallmentRecord>(`${INSTALLMENT_SELECT} WHERE loan_id = $1 ORDER BY number`, [loanId]);
}

export function outstanding(i: InstallmentRecord): InstallmentBalance {
  return {
    number: i.number,
    dueDate: i.dueDate,
    principalFen: i.principalFen - i.principalPaidFen,
    interestFen: i.interestFen - i.interestPaidFen,
    feeFen: i.feeFen - i.feePaidFen,
    penaltyFen: i.penaltyFen - i.penaltyPaidFen,
  };
}

export function isSettled(i: InstallmentRecord): boolean {
  const o = outstanding(i);
  return o.principalFen === 0 && o.interestFen === 0 && o.feeFen === 0 && o.penaltyFen === 0;
}

/** Changes a locked loan's status and records who moved it, when and why. */
export async function recordTransition(
  tx: Queryable, loan: LoanRecord, to: LoanStatus, actor: string, reason: string,
): Promise<LoanRecord> {
  assertTransition(loan.status, to);
  await tx.query(`UPDATE loans SET status = $2, updated_at = now() WHERE id = $1`, [loan.id, to]);
  await tx.query(`INSERT INTO loan_transitions (loan_id, from_status, to_status, actor, reason) VALUES ($1, $2, $3, $4, $5)`,
    [loan.id, loan.status, to, actor, reason]);
  return { ...loan, status: to };
}
