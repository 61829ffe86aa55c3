import type { CalendarDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import { accountCode, loanAccount } from '../core/journal-entry.js';
import { writeOffEntry } from '../core/loan-accounting.js';
import type { Database, Queryable } from '../db/database.js';
import { postEntry } from '../ledger/post-entries.js';
import { publishLoanEvent } from './loan-events.js';
import { holdOffCloseOfBusiness, lockLoan, recordTransition, type LoanRecord } from './loan-repository.js';

async function loanReceivables(tx: Queryable, loanId: number): Promise<Record<string, number>> {
  const purposes = ['loan_principal', 'interest_receivable', 'penalty_receivable', 'fee_receivable'] as const;
  const codes = purposes.map((p) => accountCode(loanAccount(loanId, p)));
  const rows = await tx.query<{ purpose: string; balance_fen: number }>(
    `SELECT purpose, balance_fen FROM ledger_accounts WHERE code = ANY($1::text[])`, [codes]);
  return Object.fromEntries(purposes.map((p) => [p, rows.find((r) => r.purpose === p)?.balance_fen ?? 0]));
}

/** Writes off an overdue loan: every receivable moves to loan-loss expense. */
export async function writeOffLoan(
  db: Database, loanId: number, businessDate: CalendarDate, actor: string, reason: string,
): Promise<LoanRecord> {
  if (reason.trim().length === 0) throw new DomainError('REASON_REQUIRED', 'reason must say why the loan is written off', 'reason');
  return db.transaction(async (tx) => {
    await holdOffCloseOfBusiness(tx);
    const loan = await lockLoan(tx, loanId);
    const writtenOff = await recordTransition(tx, loan, 'written_off', actor, reason);
    const r = await loanReceivables(tx, loanId);
    await postEntry(tx, writeOffEntry({
      loanId, businessDate, reference: `write-off:${loanId}`,
      principalFen: r.loan_principal ?? 0, interestReceivableFen: r.interest_receivable ?? 0,
      penaltyReceivableFen: r.penalty_receivable ?? 0, feeReceivableFen: r.fee_receivable ?? 0,
    }));
    await publishLoanEvent(tx, 'loan.written_off', { loanId });
    return writtenOff;
  });
}
