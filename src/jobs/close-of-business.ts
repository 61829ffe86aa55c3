/**
 * Close of business for one business date, in one transaction of set-based SQL:
 * 1. accrue interest day by day up to the date (per-loan journal entries);
 * 2. move installments unpaid after their due date to overdue, and their loans too;
 * 3. charge penalty interest on overdue principal for every day not yet charged;
 * 4. recompute days past due and buckets.
 * A date that has completed is never run again; entries carry per-loan, per-date
 * idempotency keys and installments remember what was accrued and charged, so even a
 * forced rerun could not post twice.
 */
import { DomainError, invariant } from '../core/domain-error.js';
import { parseCalendarDate, type CalendarDate } from '../core/calendar-date.js';
import { accountCode, platformAccount } from '../core/journal-entry.js';
import { canTransition, DELINQUENCY_BUCKETS } from '../core/loan-state.js';
import type { Database, Queryable } from '../db/database.js';
import { postStagedEntries } from '../ledger/post-entries.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';

export interface CloseOfBusinessSummary {
  businessDate: CalendarDate;
  alreadyCompleted: boolean;
  interestAccruedFen: number;
  loansAccrued: number;
  installmentsNewlyOverdue: number;
  loansNewlyOverdue: number;
  penaltyChargedFen: number;
  loansPenalised: number;
  entriesPosted: number;
  buckets: Record<string, number>;
}

const SERVICED = `('active', 'overdue')`;
const INTEREST_INCOME = accountCode(platformAccount('interest_income'));
const PENALTY_INCOME = accountCode(platformAccount('penalty_income'));

async function accrueInterest(tx: Queryable, date: CalendarDate): Promise<{ loans: number; fen: number }> {
  await tx.query(`CREATE TEMP TABLE cob_accrual ON COMMIT DROP AS
    SELECT i.loan_id, i.number,
      CASE WHEN $1::date >= i.due_date THEN i.interest_fen
           ELSE round(i.interest_fen::numeric * ($1::date - i.period_start) / (i.due_date - i.period_start))::bigint END
        - i.interest_accrued_fen AS delta
    FROM installments i JOIN loans l ON l.id = i.loan_id
    WHERE l.status IN ${SERVICED} AND i.status <> 'paid' AND i.period_start < $1::date AND i.interest_accrued_fen < i.interest_fen`, [date]);
  await tx.query(`DELETE FROM cob_accrual WHERE delta <= 0`);
  await tx.query(`UPDATE installments i SET interest_accrued_fen = i.interest_accrued_fen + a.delta
    FROM cob_accrual a WHERE i.loan_id = a.loan_id AND i.number = a.number`);
  await stagePerLoan(tx, date, 'cob_accrual', 'interest_accrual', 'interest_receivable', INTEREST_INCOME);
  const [totals] = await tx.query<{ loans: number; fen: number }>(
    `SELECT count(DISTINCT loan_id)::int AS loans, coalesce(sum(delta), 0)::bigint AS fen FROM cob_accrual`);
  return totals!;
}

/** Stages one balanced entry per loan from a (loan_id, delta) table: receivable up, income down. */
async function stagePerLoan(tx: Queryable, date: CalendarDate, source: string, kind: string, receivable: string, income: string): Promise<void> {
  await tx.query(`INSERT INTO cob_ledger_stage (entry_key, kind, business_ref, business_date, account_code, amount_fen)
    SELECT 'cob:' || $1 || ':' || $2 || ':' || loan_id, $2, 'cob:' || $1, $1::date, side.code, side.sign * total
    FROM (SELECT loan_id, sum(delta) AS total FROM ${source} GROUP BY loan_id HAVING sum(delta) > 0) t
    CROSS JOIN LATERAL (VALUES ('loan:' || t.loan_id || ':' || $3, 1), ($4, -1)) AS side(code, sign)`,
  [date, kind, receivable, income]);
}

async function markOverdue(tx: Queryable, date: CalendarDate): Promise<{ installments: number; loans: number }> {
  invariant(canTransition('active', 'overdue'), 'the loan state machine no longer allows active -> overdue');
  const installments = await tx.query(`UPDATE installments i SET status = 'overdue' FROM loans l
    WHERE l.id = i.loan_id AND l.status IN ${SERVICED} AND i.status = 'pending' AND i.due_date < $1::date RETURNING 1`, [date]);
  const [loans] = await tx.query<{ n: number }>(`WITH newly AS (
      UPDATE loans l SET status = 'overdue', updated_at = now() WHERE l.status = 'active'
        AND EXISTS (SELECT 1 FROM installments i WHERE i.loan_id = l.id AND i.status = 'overdue') RETURNING l.id),
    transitions AS (INSERT INTO loan_transitions (loan_id, from_status, to_status, actor, reason)
      SELECT id, 'active', 'overdue', 'close-of-business', 'installment unpaid after its due date, business date ' || $1 FROM newly),
    events AS (INSERT INTO outbox (queue, job_name, payload)
      SELECT $2, 'loan.overdue', jsonb_build_object('loanId', id, 'businessDate', $1) FROM newly)
    SELECT count(*)::int AS n FROM newly`, [date, QUEUE_DOMAIN_EVENTS]);
  return { installments: installments.length, loans: loans!.n };
}

/** Penalty per day = overdue principal x annual penalty rate / 360, for each day since it was last charged. */
async function chargePenalty(tx: Queryable, date: CalendarDate): Promise<{ loans: number; fen: number }> {
  await tx.query(`CREATE TEMP TABLE cob_penalty ON COMMIT DROP AS
    SELECT i.loan_id, i.number, round((i.principal_fen - i.principal_paid_fen)::numeric * l.penalty_rate_ppm
        * ($1::date - greatest(i.due_date, coalesce(i.penalty_through_date, i.due_date))) / 360000000)::bigint AS delta
    FROM installments i JOIN loans l ON l.id = i.loan_id
    WHERE l.status = 'overdue' AND i.status = 'overdue' AND i.due_date < $1::date
      AND (i.penalty_through_date IS NULL OR i.penalty_through_date < $1::date)
      -- Principal owed never grows, so an installment owing no principal never accrues penalty.
      AND i.principal_fen > i.principal_paid_fen`, [date]);
  await tx.query(`UPDATE installments i SET penalty_fen = i.penalty_fen + p.delta, penalty_through_date = $1::date
    FROM cob_penalty p WHERE i.loan_id = p.loan_id AND i.number = p.number`, [date]);
  await stagePerLoan(tx, date, 'cob_penalty', 'penalty_interest', 'penalty_receivable', PENALTY_INCOME);
  const [totals] = await tx.query<{ loans: number; fen: number }>(
    `SELECT count(DISTINCT loan_id) FILTER (WHERE delta > 0)::int AS loans, coalesce(sum(delta), 0)::bigint AS fen FROM cob_penalty`);
  return totals!;
}

function bucketCaseSql(daysExpression: string): string {
  const finite = DELINQUENCY_BUCKETS.filter((b) => Number.isFinite(b.maxDays));
  const last = DELINQUENCY_BUCKETS[DELINQUENCY_BUCKETS.length - 1]!;
  return `CASE ${finite.map((b) => `WHEN ${daysExpression} <= ${b.maxDays} THEN '${b.bucket}'`).join(' ')} ELSE '${last.bucket}' END`;
}

async function refreshDelinquency(tx: Queryable, date: CalendarDate): Promise<Record<string, number>> {
  await tx.query(`UPDATE loans l SET days_past_due = d.days, bucket = ${bucketCaseSql('d.days')}
    FROM (SELECT i.loan_id, $1::date - min(i.due_date) AS days FROM installments i JOIN loans l2 ON l2.id = i.loan_id
          WHERE l2.status = 'overdue' AND i.status = 'overdue' GROUP BY i.loan_id) d
    WHERE l.id = d.loan_id`, [date]);
  await tx.query(`UPDATE loans SET days_past_due = 0, bucket = 'current' WHERE status = 'active' AND days_past_due <> 0`);
  const rows = await tx.query<{ bucket: string; n: number }>(
    `SELECT bucket, count(*)::int AS n FROM loans WHERE status IN ${SERVICED} GROUP BY bucket ORDER BY bucket`);
  return Object.fromEntries(rows.map((r) => [r.bucket, r.n]));
}

async function completedRun(tx: Queryable, date: CalendarDate): Promise<CloseOfBusinessSummary | undefined> {
  const [row] = await tx.query<{ summary: CloseOfBusinessSummary }>(
    `SELECT summary FROM cob_runs WHERE business_date = $1 AND status = 'completed'`, [date]);
  return row ? { ...row.summary, alreadyCompleted: true } : undefined;
}

export async function closeOfBusiness(db: Database, businessDate: string): Promise<CloseOfBusinessSummary> {
  const date = parseCalendarDate(businessDate, 'businessDate');
  return db.transaction(async (tx) => {
    // One close of business at a time: a second caller waits, then sees the completed run.
    // Repayments and write-offs hold the shared side (holdOffCloseOfBusiness), so none commits mid-run.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('close-of-business'))`);
    const done = await completedRun(tx, date);
    if (done) return done;
    await tx.query(`INSERT INTO cob_runs (business_date, status) VALUES ($1, 'running')
      ON CONFLICT (business_date) DO UPDATE SET status = 'running', started_at = now()`, [date]);
    await tx.query(`CREATE TEMP TABLE cob_ledger_stage (entry_key text, kind text, business_ref text, business_date date,
      account_code text, amount_fen bigint) ON COMMIT DROP`);
    const accrual = await accrueInterest(tx, date);
    const overdue = await markOverdue(tx, date);
    const penalty = await chargePenalty(tx, date);
    const ledger = await postStagedEntries(tx, 'cob_ledger_stage');
    if (ledger.duplicates > 0) {
      throw new DomainError('COB_LEDGER_CONFLICT', `close of business ${date} found ${ledger.duplicates} entries already posted`);
    }
    const summary: CloseOfBusinessSummary = {
      businessDate: date, alreadyCompleted: false,
      interestAccruedFen: accrual.fen, loansAccrued: accrual.loans,
      installmentsNewlyOverdue: overdue.installments, loansNewlyOverdue: overdue.loans,
      penaltyChargedFen: penalty.fen, loansPenalised: penalty.loans,
      entriesPosted: ledger.posted, buckets: await refreshDelinquency(tx, date),
    };
    await tx.query(`UPDATE cob_runs SET status = 'completed', finished_at = now(), summary = $2 WHERE business_date = $1`,
      [date, JSON.stringify(summary)]);
    return summary;
  });
}
