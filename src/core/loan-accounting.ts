/**
 * Journal entries caused by loan events, as pure functions. The ledger posts what these
 * return; nothing else decides which accounts a loan event touches.
 */
import { invariant } from './domain-error.js';
import type { Allocation } from './allocation.js';
import type { CalendarDate } from './calendar-date.js';
import { loanAccount, platformAccount, type AccountRef, type JournalEntryDraft, type PostingLine } from './journal-entry.js';
import type { Fen } from './money.js';

export const DISBURSEMENT_CHANNELS = ['passbook', 'store_cash', 'supplier'] as const;
export type DisbursementChannel = (typeof DISBURSEMENT_CHANNELS)[number];
export const REPAYMENT_CHANNELS = ['store_cash', 'passbook', 'phone_credit'] as const;
export type RepaymentChannel = (typeof REPAYMENT_CHANNELS)[number];

const CUSTODY_CASH: AccountRef = { ownerType: 'bank', ownerId: 'custody', purpose: 'custody_bank_cash' };
const CARRIER_RECEIVABLE: AccountRef = { ownerType: 'carrier', ownerId: 'billing', purpose: 'carrier_billing_receivable' };
const storeCash = (storeCode: string): AccountRef => ({ ownerType: 'store', ownerId: storeCode, purpose: 'store_cash_in_transit' });

/** Where money arrives from or leaves to, per channel. Store cash needs the store's code. */
export function channelAccount(channel: DisbursementChannel | RepaymentChannel, storeCode: string | undefined): AccountRef {
  if (channel === 'store_cash') {
    invariant(storeCode, 'store cash needs a store code');
    return storeCash(storeCode);
  }
  return channel === 'phone_credit' ? CARRIER_RECEIVABLE : CUSTODY_CASH;
}

export interface DisbursementInput {
  loanId: number;
  principalFen: Fen;
  serviceFeeFen: Fen;
  source: AccountRef;
  businessDate: CalendarDate;
  reference: string;
}

export function disbursementEntry(d: DisbursementInput): JournalEntryDraft {
  const lines: PostingLine[] = [
    { account: loanAccount(d.loanId, 'loan_principal'), amountFen: d.principalFen },
    { account: d.source, amountFen: -d.principalFen },
  ];
  if (d.serviceFeeFen > 0) {
    lines.push({ account: loanAccount(d.loanId, 'fee_receivable'), amountFen: d.serviceFeeFen });
    lines.push({ account: platformAccount('fee_income'), amountFen: -d.serviceFeeFen });
  }
  return { idempotencyKey: `loan:${d.loanId}:disbursement`, kind: 'disbursement', businessRef: d.reference, businessDate: d.businessDate, lines };
}

export interface RepaymentInput {
  loanId: number;
  repaymentKey: string;
  amountFen: Fen;
  allocation: Allocation;
  /** Interest paid beyond what close of business has accrued so far: recognised as income now. */
  unaccruedInterestPaidFen: Fen;
  source: AccountRef;
  businessDate: CalendarDate;
  reference: string;
}

export function repaymentEntry(r: RepaymentInput): JournalEntryDraft {
  const paid = { penalty: 0, fee: 0, interest: 0, principal: 0 };
  for (const line of r.allocation.lines) paid[line.component] += line.amountFen;
  invariant(r.unaccruedInterestPaidFen >= 0 && r.unaccruedInterestPaidFen <= paid.interest, 'unaccrued interest exceeds interest paid');
  const lines: PostingLine[] = [
    { account: r.source, amountFen: r.amountFen },
    { account: loanAccount(r.loanId, 'penalty_receivable'), amountFen: -paid.penalty },
    { account: loanAccount(r.loanId, 'fee_receivable'), amountFen: -paid.fee },
    { account: loanAccount(r.loanId, 'interest_receivable'), amountFen: -(paid.interest - r.unaccruedInterestPaidFen) },
    { account: platformAccount('interest_income'), amountFen: -r.unaccruedInterestPaidFen },
    { account: loanAccount(r.loanId, 'loan_principal'), amountFen: -paid.principal },
    { account: loanAccount(r.loanId, 'borrower_credit'), amountFen: -r.allocation.creditFen },
  ];
  return {
    idempotencyKey: `loan:${r.loanId}:repayment:${r.repaymentKey}`,
    kind: 'repayment',
    businessRef: r.reference,
    businessDate: r.businessDate,
    lines: lines.filter((l) => l.amountFen !== 0),
  };
}

export interface WriteOffInput {
  loanId: number;
  principalFen: Fen;
  interestReceivableFen: Fen;
  penaltyReceivableFen: Fen;
  feeReceivableFen: Fen;
  businessDate: CalendarDate;
  reference: string;
}

/** Moves every receivable still on the loan to loan-loss expense. */
export function writeOffEntry(w: WriteOffInput): JournalEntryDraft {
  const parts: [AccountRef, Fen][] = [
    [loanAccount(w.loanId, 'loan_principal'), w.principalFen],
    [loanAccount(w.loanId, 'interest_receivable'), w.interestReceivableFen],
    [loanAccount(w.loanId, 'penalty_receivable'), w.penaltyReceivableFen],
    [loanAccount(w.loanId, 'fee_receivable'), w.feeReceivableFen],
  ];
  const total = parts.reduce((sum, [, amount]) => sum + amount, 0);
  invariant(total > 0, `loan ${w.loanId} has nothing to write off`);
  return {
    idempotencyKey: `loan:${w.loanId}:write-off`,
    kind: 'write_off',
    businessRef: w.reference,
    businessDate: w.businessDate,
    lines: [
      { account: platformAccount('loan_loss_expense'), amountFen: total },
      ...parts.filter(([, amount]) => amount !== 0).map(([account, amount]) => ({ account, amountFen: -amount })),
    ],
  };
}
