/** Small helpers shared by the loan, ledger and close-of-business tests. */
import { DomainError } from '../../src/core/domain-error.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { applyForLoan } from '../../src/loans/apply-for-loan.js';
import { disburseLoan, type DisbursementRequest } from '../../src/loans/disburse-loan.js';
import { loadInstallments, type InstallmentRecord, type LoanRecord } from '../../src/loans/loan-repository.js';
import { transitionLoan } from '../../src/loans/transition-loan.js';
import { freshIdNumber, freshMobile } from '../support/identities.js';

export const RATE_CEILING_PPM = 120_000;

export async function apply(db: Database, productCode = 'Z001', principalFen = 5_000_000, idNumber = freshIdNumber()): Promise<LoanRecord> {
  return applyForLoan(db, {
    borrowerName: '张三', idNumber, mobile: freshMobile(), productCode, principalFen,
    repaymentChannels: ['store_cash', 'passbook', 'phone_credit'],
  }, 'ops:clerk');
}

/** Applies, approves, contracts and disburses (passbook unless told otherwise). */
export async function activeLoan(
  db: Database, startDate: string, productCode = 'Z001', principalFen = 5_000_000,
  disbursement: Partial<DisbursementRequest> = {},
): Promise<LoanRecord> {
  const loan = await apply(db, productCode, principalFen);
  await transitionLoan(db, loan.id, 'approved', 'ops:reviewer', 'credit check passed');
  await transitionLoan(db, loan.id, 'contracted', 'ops:clerk', 'contract signed in store');
  return disburseLoan(db, loan.id, { channel: 'passbook', businessDate: startDate, reference: `DISB-${loan.id}`, ...disbursement }, 'ops:clerk');
}

export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export async function domainCode(promise: Promise<unknown>): Promise<string> {
  const error = await errorOf(promise);
  if (!(error instanceof DomainError)) throw error;
  return error.code;
}

/** Balances of one loan's accounts by purpose (0 when the account does not exist). */
export interface LoanBalances {
  loan_principal: number;
  interest_receivable: number;
  penalty_receivable: number;
  fee_receivable: number;
  borrower_credit: number;
}

export async function loanBalances(q: Queryable, loanId: number): Promise<LoanBalances> {
  const rows = await q.query<{ purpose: string; balance_fen: number }>(
    `SELECT purpose, balance_fen FROM ledger_accounts WHERE owner_type = 'loan' AND owner_id = $1`, [String(loanId)]);
  const out: LoanBalances = { loan_principal: 0, interest_receivable: 0, penalty_receivable: 0, fee_receivable: 0, borrower_credit: 0 };
  for (const r of rows) {
    if (!(r.purpose in out)) throw new Error(`loan ${loanId} has an unexpected account purpose ${r.purpose}`);
    out[r.purpose as keyof LoanBalances] = r.balance_fen;
  }
  return out;
}

export async function accountBalance(q: Queryable, code: string): Promise<number> {
  const [row] = await q.query<{ balance_fen: number }>(`SELECT balance_fen FROM ledger_accounts WHERE code = $1`, [code]);
  return row?.balance_fen ?? 0;
}

export async function loanRow(q: Queryable, loanId: number): Promise<{ status: string; days_past_due: number; bucket: string; product_id: number }> {
  const [row] = await q.query<{ status: string; days_past_due: number; bucket: string; product_id: number }>(
    `SELECT status, days_past_due, bucket, product_id FROM loans WHERE id = $1`, [loanId]);
  return row!;
}

export async function installments(q: Queryable, loanId: number): Promise<InstallmentRecord[]> {
  return loadInstallments(q, loanId);
}

export async function transitions(q: Queryable, loanId: number): Promise<{ from_status: string | null; to_status: string; actor: string; reason: string }[]> {
  return q.query(`SELECT from_status, to_status, actor, reason FROM loan_transitions WHERE loan_id = $1 ORDER BY id`, [loanId]);
}

export async function outboxEvents(q: Queryable, loanId: number): Promise<string[]> {
  const rows = await q.query<{ job_name: string }>(
    `SELECT job_name FROM outbox WHERE (payload->>'loanId')::bigint = $1 ORDER BY id`, [loanId]);
  return rows.map((r) => r.job_name);
}

/** Sum of what is still owed per component over the installments. */
export function owedOn(rows: readonly InstallmentRecord[]): { principal: number; interestAccruedUnpaid: number; penalty: number; fee: number } {
  return rows.reduce((acc, i) => ({
    principal: acc.principal + i.principalFen - i.principalPaidFen,
    interestAccruedUnpaid: acc.interestAccruedUnpaid + Math.max(0, i.interestAccruedFen - i.interestPaidFen),
    penalty: acc.penalty + i.penaltyFen - i.penaltyPaidFen,
    fee: acc.fee + i.feeFen - i.feePaidFen,
  }), { principal: 0, interestAccruedUnpaid: 0, penalty: 0, fee: 0 });
}
