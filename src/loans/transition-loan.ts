import { DomainError } from '../core/domain-error.js';
import type { LoanStatus } from '../core/loan-state.js';
import type { Database } from '../db/database.js';
import { lockLoan, recordTransition, type LoanRecord } from './loan-repository.js';

/** Decisions people make on a loan; the other moves follow from money events and close of business. */
export const MANUAL_TRANSITIONS = ['approved', 'rejected', 'contracted', 'cancelled'] as const;
export type ManualTransition = (typeof MANUAL_TRANSITIONS)[number];

export async function transitionLoan(
  db: Database, loanId: number, to: ManualTransition, actor: string, reason: string,
): Promise<LoanRecord> {
  if (reason.trim().length === 0) throw new DomainError('REASON_REQUIRED', 'reason must say why the loan moves', 'reason');
  return db.transaction(async (tx) => recordTransition(tx, await lockLoan(tx, loanId), to as LoanStatus, actor, reason));
}
