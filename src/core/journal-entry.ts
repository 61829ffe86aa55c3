import { DomainError, invariant } from './domain-error.js';
import { assertFen, type Fen } from './money.js';
import type { CalendarDate } from './calendar-date.js';

/**
 * Ledger accounts are named by owner and purpose. Balances are debit-positive: assets and
 * expenses carry positive balances, liabilities and income negative ones, so every
 * account together always sums to zero.
 */
export const ACCOUNT_PURPOSES = [
  'loan_principal', 'interest_receivable', 'penalty_receivable', 'fee_receivable', 'borrower_credit',
  'interest_income', 'penalty_income', 'fee_income', 'loan_loss_expense',
  'custody_bank_cash', 'store_cash_in_transit', 'carrier_billing_receivable', 'bank_transfers_in_transit',
  'investor_available_cash', 'investor_invested_principal', 'funding_payable', 'opening_balance_equity',
] as const;
export type AccountPurpose = (typeof ACCOUNT_PURPOSES)[number];
export const ACCOUNT_OWNER_TYPES = ['loan', 'platform', 'store', 'investor', 'carrier', 'bank'] as const;
export type AccountOwnerType = (typeof ACCOUNT_OWNER_TYPES)[number];

export interface AccountRef {
  ownerType: AccountOwnerType;
  ownerId: string;
  purpose: AccountPurpose;
}

/** Debit-positive amount on one account. */
export interface PostingLine {
  account: AccountRef;
  amountFen: Fen;
}

export interface JournalEntryDraft {
  /** Unique per business event; posting the same key twice returns the first entry. */
  idempotencyKey: string;
  kind: string;
  businessRef: string;
  businessDate: CalendarDate;
  lines: PostingLine[];
}

export const JOURNAL_LINES_MAX = 64;
const CODE_PART = /^[A-Za-z0-9_.-]{1,64}$/;

export function accountCode(ref: AccountRef): string {
  invariant(CODE_PART.test(ref.ownerId), `account owner id "${ref.ownerId}" has characters an account code cannot hold`);
  return `${ref.ownerType}:${ref.ownerId}:${ref.purpose}`;
}

export const platformAccount = (purpose: AccountPurpose): AccountRef => ({ ownerType: 'platform', ownerId: 'platform', purpose });
export const loanAccount = (loanId: number, purpose: AccountPurpose): AccountRef => ({ ownerType: 'loan', ownerId: String(loanId), purpose });

/** Rejects an entry that is not balanced, has too few or too many lines, or a zero line. */
export function assertBalanced(entry: JournalEntryDraft): void {
  const { lines, idempotencyKey } = entry;
  if (lines.length < 2 || lines.length > JOURNAL_LINES_MAX) {
    throw new DomainError('LEDGER_UNBALANCED', `entry ${idempotencyKey} must have 2 to ${JOURNAL_LINES_MAX} postings, has ${lines.length}`, 'lines');
  }
  let sum = 0;
  for (const line of lines) {
    assertFen(line.amountFen, 'amountFen');
    if (line.amountFen === 0) throw new DomainError('LEDGER_UNBALANCED', `entry ${idempotencyKey} has a zero posting`, 'lines');
    sum += line.amountFen;
  }
  if (sum !== 0) throw new DomainError('LEDGER_UNBALANCED', `entry ${idempotencyKey} does not balance: postings sum to ${sum} fen`, 'lines');
}
