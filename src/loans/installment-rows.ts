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

const INSERT_CHUNK_ROWS = 20_000;

/** One statement per chunk of rows, never one per row. */
export async function insertInstallments(tx: Queryable, rows: readonly InstallmentRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    const chunk = rows.slice(start, start + INSERT_CHUNK_ROWS);
    const inserted = await tx.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO installments (loan_id, number, period_start, due_date, principal_fen, interest_fen, fee_fen)
         SELECT * FROM unnest($1::bigint[], $2::int[], $3::date[], $4::date[], $5::bigint[], $6::bigint[], $7::bigint[])
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [chunk.map((r) => r.loanId), chunk.map((r) => r.number), chunk.map((r) => r.periodStart), chunk.map((r) => r.dueDate),
        chunk.map((r) => r.principalFen), chunk.map((r) => r.interestFen), chunk.map((r) => r.feeFen)]);
    invariant(inserted[0]?.n === chunk.length, 'not every installment row was inserted');
  }
}
