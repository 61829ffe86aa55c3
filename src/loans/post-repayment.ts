import type { Allocation } from '../core/allocation.js';
import type { CalendarDate } from '../core/calendar-date.js';
import { DomainError, invariant } from '../core/domain-error.js';
import { channelAccount, repaymentEntry, type RepaymentChannel } from '../core/loan-accounting.js';
import type { Database, Queryable } from '../db/database.js';
import { postEntry } from '../ledger/post-entries.js';
import { publishLoanEvent } from './loan-events.js';
import { holdOffCloseOfBusiness, isSettled, loadInstallments, lockLoan, recordTransition, type InstallmentRecord, type LoanRecord } from './loan-repository.js';
import { planRepayment, type InstallmentPayment, type RepaymentPlan } from './repayment-plan.js';

export interface RepaymentRequest {
  amountFen: number;
  /**
   * Early full repayment (提前还款): interest not yet accrued is waived, the amount must cover
   * the payoff quote, and it pays every installment off; anything beyond is borrower credit.
   */
  payoff?: boolean;
  channel: RepaymentChannel;
  /** The channel's own reference (receipt number, billing referenceCode, bank reference): one repayment per reference. */
  externalRef: string;
  businessDate: CalendarDate;
  storeCode?: string;
}

export interface RepaymentResult {
  repaymentId: number;
  loanId: number;
  amountFen: number;
  allocation: Allocation;
  loanStatus: string;
  /** True when this reference was already posted; nothing was posted again. */
  duplicate: boolean;
}

async function applyToInstallments(tx: Queryable, loanId: number, payments: readonly InstallmentPayment[]): Promise<void> {
  for (const p of payments) {
    await tx.query(
      `UPDATE installments SET principal_paid_fen = principal_paid_fen + $3, interest_paid_fen = interest_paid_fen + $4,
         fee_paid_fen = fee_paid_fen + $5, penalty_paid_fen = penalty_paid_fen + $6,
         interest_accrued_fen = greatest(interest_accrued_fen, interest_paid_fen + $4)
       WHERE loan_id = $1 AND number = $2`,
      [loanId, p.number, p.principal, p.interest, p.fee, p.penalty]);
  }
  await tx.query(
    `UPDATE installments SET status = 'paid' WHERE loan_id = $1 AND status <> 'paid' AND principal_paid_fen = principal_fen
       AND interest_paid_fen = interest_fen AND fee_paid_fen = fee_fen AND penalty_paid_fen = penalty_fen`, [loanId]);
}

/** After money arrives: settle the loan, cure it, and store days past due. */
async function applyLoanOutcome(tx: Queryable, loan: LoanRecord, outcome: RepaymentPlan['outcome'], reference: string): Promise<LoanRecord> {
  await tx.query(`UPDATE loans SET days_past_due = $2, bucket = $3 WHERE id = $1`, [loan.id, outcome.daysPastDue, outcome.bucket]);
  if (outcome.settled) {
    await publishLoanEvent(tx, 'loan.settled', { loanId: loan.id });
    return recordTransition(tx, loan, 'settled', 'repayment', `fully repaid, last reference ${reference}`);
  }
  if (loan.status === 'overdue' && !outcome.hasOverdue) {
    return recordTransition(tx, loan, 'active', 'repayment', `overdue installments repaid, reference ${reference}`);
  }
  return loan;
}

async function findPosted(q: Queryable, request: RepaymentRequest, loanId: number): Promise<RepaymentResult | undefined> {
  const [row] = await q.query<{ id: number; loan_id: number; amount_fen: number; allocation: Allocation; status: string }>(
    `SELECT r.id, r.loan_id, r.amount_fen, r.allocation, l.status FROM repayments r JOIN loans l ON l.id = r.loan_id
     WHERE r.channel = $1 AND r.external_ref = $2`, [request.channel, request.externalRef]);
  if (!row) return undefined;
  if (row.loan_id !== loanId || row.amount_fen !== request.amountFen) {
    throw new DomainError('REPAYMENT_REFERENCE_REUSED',
      `externalRef ${request.externalRef} was already used for a different repayment on channel ${request.channel}`, 'externalRef');
  }
  return { repaymentId: row.id, loanId, amountFen: row.amount_fen, allocation: row.allocation, loanStatus: row.status, duplicate: true };
}

/** What paying the loan off today takes: everything owed, with interest only as far as accrued. */
export function payoffQuote(installments: readonly InstallmentRecord[]): { payoffFen: number; waivedInterestFen: number } {
  let payoffFen = 0;
  let waivedInterestFen = 0;
  for (const i of installments) {
    const interestKept = Math.max(i.interestAccruedFen, i.interestPaidFen);
    payoffFen += (i.principalFen - i.principalPaidFen) + (i.feeFen - i.feePaidFen) + (i.penaltyFen - i.penaltyPaidFen) + (interestKept - i.interestPaidFen);
    waivedInterestFen += i.interestFen - interestKept;
  }
  return { payoffFen, waivedInterestFen };
}

/** Unaccrued interest was never booked, so waiving it is a schedule change with no ledger entry. */
async function waiveUnaccruedInterest(tx: Queryable, loanId: number, amountFen: number): Promise<void> {
  const { payoffFen } = payoffQuote(await loadInstallments(tx, loanId));
  if (amountFen < payoffFen) {
    throw new DomainError('PAYOFF_SHORT', `an early full repayment needs at least ${payoffFen} fen; ${amountFen} fen was given`, 'amountFen');
  }
  await tx.query(
    `UPDATE installments SET interest_fen = greatest(interest_paid_fen, interest_accrued_fen) WHERE loan_id = $1 AND status <> 'paid'`, [loanId]);
}

/** Posts a repayment from any channel, allocated in the house order; a repeated reference posts nothing. */
export async function postRepayment(db: Database, loanId: number, request: RepaymentRequest): Promise<RepaymentResult> {
  return db.transaction((tx) => postRepaymentInTransaction(tx, loanId, request));
}

function isRepayable(status: string): boolean {
  return status === 'active' || status === 'overdue';
}

/**
 * The repayment inside the caller's transaction, so a channel can record its own state
 * (a deduction attempt, a POS receipt) atomically with it. With `holdWhenClosed`, money
 * that already left the borrower (a completed phone-credit charge) for a loan that has
 * meanwhile been settled or written off is kept as borrower credit instead of refused.
 */
export async function postRepaymentInTransaction(
  tx: Queryable, loanId: number, request: RepaymentRequest, options: { holdWhenClosed?: boolean } = {},
): Promise<RepaymentResult> {
  if (request.channel === 'store_cash' && !request.storeCode) {
    throw new DomainError('STORE_REQUIRED', 'storeCode is required for a cash repayment at a store', 'storeCode');
  }
  await holdOffCloseOfBusiness(tx);
  const loan = await lockLoan(tx, loanId);
  // Serialises one channel reference across loans, so a reference reused on another loan
  // is reported as such rather than as a unique-key violation.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('repayment:' || $1 || ':' || $2))`, [request.channel, request.externalRef]);
  const earlier = await findPosted(tx, request, loanId);
  if (earlier) return earlier;
  const repayable = isRepayable(loan.status);
  if (!repayable && !(options.holdWhenClosed && loan.status !== 'applied' && loan.status !== 'approved')) {
    throw new DomainError('LOAN_NOT_REPAYABLE', `loan ${loanId} is ${loan.status} and takes no repayments`, 'loanId');
  }
  if (request.payoff && repayable) await waiveUnaccruedInterest(tx, loanId, request.amountFen);
  const installments = repayable ? await loadInstallments(tx, loanId) : [];
  invariant(!repayable || installments.some((i) => !isSettled(i)), `loan ${loanId} is ${loan.status} but owes nothing`);
  const plan = planRepayment(installments, request.amountFen, request.businessDate, request.payoff ? 'payoff' : 'due');
  invariant(!request.payoff || plan.outcome.settled, `the payoff of loan ${loanId} did not settle it`);
  const { allocation, payments } = plan;
  const entry = await postEntry(tx, repaymentEntry({
    loanId, repaymentKey: `${request.channel}:${request.externalRef}`, amountFen: request.amountFen, allocation,
    unaccruedInterestPaidFen: plan.unaccruedInterestFen,
    source: channelAccount(request.channel, request.storeCode), businessDate: request.businessDate, reference: request.externalRef,
  }));
  invariant(!entry.duplicate, `repayment ${request.externalRef} was posted to the ledger without a repayment record`);
  await applyToInstallments(tx, loanId, payments);
  const [repayment] = await tx.query<{ id: number }>(
    `INSERT INTO repayments (loan_id, channel, amount_fen, external_ref, business_date, allocation, journal_entry_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [loanId, request.channel, request.amountFen, request.externalRef, request.businessDate, JSON.stringify(allocation), entry.entryId]);
  const after = repayable ? await applyLoanOutcome(tx, loan, plan.outcome, request.externalRef) : loan;
  await publishLoanEvent(tx, 'loan.repayment_posted', {
    loanId, repaymentId: repayment!.id, channel: request.channel, amountFen: request.amountFen, creditFen: allocation.creditFen,
  });
  return { repaymentId: repayment!.id, loanId, amountFen: request.amountFen, allocation, loanStatus: after.status, duplicate: false };
}
