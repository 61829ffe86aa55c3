/**
 * A deduction run for a business date: one charge attempt per installment that a phone
 * credit mandate covers and that falls due by the date (or within the configured days
 * before), or is overdue, unless an attempt for it is still open or collections have it.
 * Attempts and their queue jobs are written set-based in one transaction; the run's date
 * is unique, so starting the same date twice returns the first run and charges nothing again.
 */
import { addDays, parseCalendarDate, type CalendarDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';
import { QUEUE_BILLING_CHARGES } from '../queue/queues.js';

export type DeductionMode = 'realtime' | 'batch';

export interface DeductionRunRequest {
  businessDate: string;
  daysBefore: number;
  attemptsMax: number;
  mode: DeductionMode;
  actor: string;
}

export interface StartedRun { runId: number; businessDate: CalendarDate; attemptsCreated: number; alreadyStarted: boolean }

/** Unpaid amount of an installment, all components. */
export const INSTALLMENT_DUE_SQL = `(i.principal_fen - i.principal_paid_fen + i.interest_fen - i.interest_paid_fen
  + i.fee_fen - i.fee_paid_fen + i.penalty_fen - i.penalty_paid_fen)`;

/**
 * Inserts the next attempt for each candidate installment; `candidates` yields (loan_id,
 * number). The attempt's referenceCode is `DED<loan>I<installment>A<attempt>`: stable, so
 * a retry of the attempt sends the carrier the same reference.
 */
export async function insertAttempts(
  tx: Queryable, candidates: string, params: unknown[], run: { runId: number | null; trigger: string; status: string; attemptsMax: number },
): Promise<number[]> {
  const base = params.length;
  const rows = await tx.query<{ id: number }>(`
    INSERT INTO deduction_attempts (run_id, loan_id, installment_number, attempt_no, trigger, reference_code, msisdn, plan, due_fen, status)
    SELECT coalesce($${base + 1}::bigint, prior.run_id), c.loan_id, c.number, coalesce(prior.attempt_no, 0) + 1, $${base + 2},
      'DED' || c.loan_id || 'I' || c.number || 'A' || (coalesce(prior.attempt_no, 0) + 1), m.msisdn, m.plan, ${INSTALLMENT_DUE_SQL}, $${base + 3}
    FROM (${candidates}) c
    JOIN installments i ON i.loan_id = c.loan_id AND i.number = c.number
    JOIN loans l ON l.id = c.loan_id
    JOIN deduction_mandates m ON m.loan_id = c.loan_id AND m.status = 'active'
    LEFT JOIN LATERAL (SELECT a.attempt_no, a.status, a.run_id FROM deduction_attempts a
      WHERE a.loan_id = c.loan_id AND a.installment_number = c.number ORDER BY a.attempt_no DESC LIMIT 1) prior ON true
    WHERE l.status IN ('active', 'overdue') AND i.status <> 'paid' AND ${INSTALLMENT_DUE_SQL} > 0
      AND (prior.status IS NULL OR prior.status NOT IN ('pending', 'charging', 'requested_in_file', 'collections'))
      AND coalesce(prior.attempt_no, 0) < $${base + 4}
    ORDER BY c.loan_id, c.number
    RETURNING id`, [...params, run.runId, run.trigger, run.status, run.attemptsMax]);
  return rows.map((r) => r.id);
}

/** One queue job per attempt, through the outbox, in the caller's transaction. */
export async function enqueueChargeJobs(tx: Queryable, attemptIds: number[]): Promise<void> {
  if (attemptIds.length === 0) return;
  await tx.query(`INSERT INTO outbox (queue, job_name, payload)
    SELECT $1, 'charge', jsonb_build_object('attemptId', id) FROM unnest($2::bigint[]) AS t(id) ORDER BY id`,
  [QUEUE_BILLING_CHARGES, attemptIds]);
}

export async function startDeductionRun(db: Database, request: DeductionRunRequest): Promise<StartedRun> {
  const date = parseCalendarDate(request.businessDate, 'businessDate');
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('deduction-run:' || $1))`, [date]);
    const [existing] = await tx.query<{ id: number; n: number }>(
      `SELECT r.id, (SELECT count(*)::int FROM deduction_attempts a WHERE a.run_id = r.id) AS n FROM deduction_runs r WHERE business_date = $1`, [date]);
    if (existing) return { runId: existing.id, businessDate: date, attemptsCreated: existing.n, alreadyStarted: true };
    const [run] = await tx.query<{ id: number }>(
      `INSERT INTO deduction_runs (business_date, created_by) VALUES ($1, $2) RETURNING id`, [date, request.actor]);
    const ids = await insertAttempts(tx,
      `SELECT i.loan_id, i.number FROM installments i JOIN deduction_mandates m ON m.loan_id = i.loan_id AND m.status = 'active'
       WHERE i.status <> 'paid' AND i.due_date <= $1::date`,
      [addDays(date, request.daysBefore)],
      { runId: run!.id, trigger: 'schedule', status: request.mode === 'realtime' ? 'pending' : 'requested_in_file', attemptsMax: request.attemptsMax });
    if (request.mode === 'realtime') await enqueueChargeJobs(tx, ids);
    return { runId: run!.id, businessDate: date, attemptsCreated: ids.length, alreadyStarted: false };
  });
}

export interface RunStatusLine { count: number; dueFen: number; chargedFen: number }

export interface DeductionRunStatus {
  runId: number;
  businessDate: string;
  attempted: RunStatusLine;
  charged: RunStatusLine;
  partial: RunStatusLine;
  insufficient: RunStatusLine;
  failed: RunStatusLine;
  pending: RunStatusLine;
  collections: RunStatusLine;
  cancelled: RunStatusLine;
}

const STATUS_GROUPS: Record<string, keyof Omit<DeductionRunStatus, 'runId' | 'businessDate' | 'attempted'>> = {
  charged: 'charged', partial: 'partial', insufficient: 'insufficient', failed: 'failed',
  pending: 'pending', charging: 'pending', requested_in_file: 'pending', collections: 'collections', cancelled: 'cancelled',
};

export async function deductionRunStatus(q: Queryable, runId: number): Promise<DeductionRunStatus> {
  const [run] = await q.query<{ id: number; business_date: string }>(`SELECT id, business_date FROM deduction_runs WHERE id = $1`, [runId]);
  if (!run) throw new DomainError('DEDUCTION_RUN_NOT_FOUND', `no deduction run ${runId}`, 'id');
  const rows = await q.query<{ status: string; n: number; due: number; charged: number }>(
    `SELECT status, count(*)::int AS n, coalesce(sum(due_fen), 0)::bigint AS due, coalesce(sum(charged_fen), 0)::bigint AS charged
     FROM deduction_attempts WHERE run_id = $1 GROUP BY status`, [runId]);
  const empty = (): RunStatusLine => ({ count: 0, dueFen: 0, chargedFen: 0 });
  const status: DeductionRunStatus = {
    runId, businessDate: run.business_date, attempted: empty(), charged: empty(), partial: empty(), insufficient: empty(),
    failed: empty(), pending: empty(), collections: empty(), cancelled: empty(),
  };
  for (const row of rows) {
    for (const line of [status.attempted, status[STATUS_GROUPS[row.status] ?? 'failed']]) {
      line.count += row.n;
      line.dueFen += row.due;
      line.chargedFen += row.charged;
    }
  }
  return status;
}
