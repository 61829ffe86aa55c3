import type { CalendarDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import { channelAccount, disbursementEntry, type DisbursementChannel } from '../core/loan-accounting.js';
import type { Database, Queryable } from '../db/database.js';
import type { AccountRef } from '../core/journal-entry.js';
import { postEntry } from '../ledger/post-entries.js';
import { publishLoanEvent } from './loan-events.js';
import { installmentRows, insertInstallments } from './installment-rows.js';
import { lockLoan, recordTransition, type LoanRecord } from './loan-repository.js';

export interface DisbursementRequest {
  channel: DisbursementChannel;
  storeCode?: string;
  businessDate: CalendarDate;
  /** The bank transfer reference, cash receipt number or supplier payment reference. */
  reference: string;
  /** Where the money comes from when not the channel's usual account (a bank transfer already in transit). */
  source?: AccountRef;
}

/** Pays out a contracted loan: schedule from the disbursement date, ledger entry, loan becomes active. */
export async function disburseLoan(db: Database, loanId: number, request: DisbursementRequest, actor: string): Promise<LoanRecord> {
  if (request.channel === 'store_cash' && !request.storeCode) {
    throw new DomainError('STORE_REQUIRED', 'storeCode is required for a cash disbursement at a store', 'storeCode');
  }
  return db.transaction((tx) => disburseLoanInTransaction(tx, loanId, request, actor));
}

/** The disbursement inside the caller's transaction, so a channel records its own state with it. */
export async function disburseLoanInTransaction(tx: Queryable, loanId: number, request: DisbursementRequest, actor: string): Promise<LoanRecord> {
  const loan = await lockLoan(tx, loanId);
  // overdue -> active is a legal move (a cure), but only a contracted loan is paid out.
  if (loan.status !== 'contracted') {
    throw new DomainError('LOAN_ILLEGAL_TRANSITION', `loan ${loanId} is ${loan.status}; only a contracted loan can be disbursed`, 'status');
  }
  const active = await recordTransition(tx, loan, 'active', actor, `disbursed by ${request.channel}, reference ${request.reference}`);
  const terms = {
    principalFen: loan.principalFen, annualRatePpm: loan.annualRatePpm, termMonths: loan.termMonths,
    method: loan.method, startDate: request.businessDate,
  };
  await insertInstallments(tx, installmentRows(loan.id, terms, loan.serviceFeeFen));
  await tx.query(`UPDATE loans SET start_date = $2, disbursement_channel = $3 WHERE id = $1`,
    [loan.id, request.businessDate, request.channel]);
  await postEntry(tx, disbursementEntry({
    loanId: loan.id, principalFen: loan.principalFen, serviceFeeFen: loan.serviceFeeFen,
    source: request.source ?? channelAccount(request.channel, request.storeCode), businessDate: request.businessDate, reference: request.reference,
  }));
  await publishLoanEvent(tx, 'loan.disbursed', { loanId: loan.id, channel: request.channel, principalFen: loan.principalFen });
  return { ...active, startDate: request.businessDate };
}
