import { Readable } from 'node:stream';
import { invariant } from '../core/domain-error.js';
import { buildSchedule, type ScheduleTerms } from '../core/schedule.js';
import type { Queryable } from '../db/database.js';
import type { InstallmentRecord } from './loan-repository.js';

/** A new installment: its schedule part, before anything is paid, accrued or charged. */
export type InstallmentRow = Pick<InstallmentRecord, 'number' | 'periodStart' | 'dueDate' | 'principalFen' | 'interestFen' | 'feeFen'> & { loanId: number };

/** The loan's schedule as rows; the service fee is due with the first installment. */
export function installmentRows(loanId: number, terms: ScheduleTerms, serviceFeeFen: number): InstallmentRow[] {
  const schedule = buildSchedule(terms);
  return schedule.map((installment, index) => ({
    loanId,
    number: installment.number,
    periodStart: index === 0 ? terms.startDate : schedule[index - 1]!.dueDate,
    dueDate: installment.dueDate,
    principalFen: installment.principalFen,
    interestFen: installment.interestFen,
    feeFen: index === 0 ? serviceFeeFen : 0,
  }));
}

function* csvLines(rows: readonly InstallmentRow[]): Generator<string> {
  for (const r of rows) yield `${r.loanId},${r.number},${r.periodStart},${r.dueDate},${r.principalFen},${r.interestFen},${r.feeFen}\n`;
}

/** COPY, not a statement per row: a migrated loan book brings millions of installments. */
export async function insertInstallments(tx: Queryable, rows: readonly InstallmentRow[]): Promise<void> {
  const copied = await tx.copyFrom(
    'COPY installments (loan_id, number, period_start, due_date, principal_fen, interest_fen, fee_fen) FROM STDIN WITH (FORMAT csv)',
    Readable.from(csvLines(rows)));
  invariant(copied === rows.length, `copied ${copied} of ${rows.length} installment rows`);
}
