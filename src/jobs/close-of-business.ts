/**
 * Close of business for one business date, in one transaction of set-based SQL that
 * touches each installment and each loan once:
 * 1. accrue interest day by day up to the date, move installments unpaid after their due
 *    date to overdue, and charge penalty interest on overdue principal for every day not
 *    yet charged (one UPDATE of installments, per-loan journal entries);
 * 2. move loans with overdue installments to overdue and recompute days past due and
 *    buckets (one UPDATE of loans).
 * A date that has completed is never run again; entries carry per-loan, per-date
 * idempotency keys and installments remember what was accrued and charged, so even a
 * forced rerun could not post twice.
 */
import { DomainError, invariant } from '../core/domain-error.js';
import { parseCalendarDate, type CalendarDate } from '../core/calendar-date.js';
import { accountCode, platformAccount } from '../core/journal-entry.js';
import { canTransition, DELINQUENCY_BUCKETS, SERVICED_STATUSES } from '../core/loan-state.js';
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

const SERVICED = `(${SERVICED_STATUSES.map((status) => `'${status}'`).join(', ')})`;
const INTEREST_INCOME = accountCode(platformAccount('interest_income'));
const PENALTY_INCOME = accountCode(platformAccount('penalty_income'));

/**
 * Everything close of business changes on installments, computed in one pass:
 * - accrual: interest accrued day by day from period start to due date, less what is accrued;
 * - overdue: unpaid after the due date;
 * - penalty: overdue principal x annual penalty rate / 360 for each day since last charged
 *   (principal owed never grows, so an installment owing none never accrues penalty).
 */
async function computeInstallmentChanges(tx: Queryable, date: CalendarDate): Promise<void> {
  await tx.query(`CREATE TEMP TABLE cob_changes ON COMMIT DROP AS
    SELECT i.loan_id, i.number,
      CASE WHEN i.period_start >= $1::date THEN 0
           WHEN $1::date >= i.due_date THEN i.interest_fen - i.interest_accrued_fen
           ELSE greatest(0, round(i.interest_fen::numeric * ($1::date - i.period_start) / (i.due_date - i.period_start))::bigint
                  - i.interest_accrued_fen) END AS accrual_delta,
      (i.status = 'pending' AND i.due_date < $1::date) AS becomes_overdue,
      (i.due_date < $1::date AND i.principal_fen > i.principal_paid_fen
        AND (i.penalty_through_date IS NULL OR i.penalty_through_date < $1::date)) AS penalised,
      CASE WHEN i.due_date < $1::date AND i.principal_fen > i.principal_paid_fen
             AND (i.penalty_through_date IS NULL OR i.penalty_through_date < $1::date)
           THEN round((i.principal_fen - i.principal_paid_fen)::numeric * l.penalty_rate_ppm
                  * ($1::date - greatest(i.due_date, coalesce(i.penalty_through_date, i.due_date))) / 360000000)::bigint
           ELSE 0 END AS penalty_delta
    FROM installments i JOIN loans l ON l.id = i.loan_id
    WHERE l.status IN ${SERVICED} AND i.status <> 'paid'
      AND ((i.period_start < $1::date AND i.interest_accrued_fen < i.interest_fen) OR i.due_date < $1::date)`, [date]);
  await tx.query(`DELETE FROM cob_changes WHERE accrual_delta = 0 AND NOT becomes_overdue AND NOT penalised`);
}

async function applyInstallmentChanges(tx: Queryable, date: CalendarDate): Promise<InstallmentTotals> {
  await tx.query(`UPDATE installments i SET
      interest_accrued_fen = i.interest_accrued_fen + c.accrual_delta,
      status = CASE WHEN c.becomes_overdue THEN 'overdue' ELSE i.status END,
      penalty_fen = i.penalty_fen + c.penalty_delta,
      penalty_through_date = CASE WHEN c.penalised THEN $1::date ELSE i.penalty_through_date END
    FROM cob_changes c WHERE i.loan_id = c.loan_id AND i.number = c.number`, [date]);
  await stagePerLoan(tx, date, 'accrual_delta', 'interest_accrual', 'interest_receivable', INTEREST_INCOME);
  await stagePerLoan(tx, date, 'penalty_delta', 'penalty_interest', 'penalty_receivable', PENALTY_INCOME);
  const [totals] = await tx.query<InstallmentTotals>(`SELECT
      count(DISTINCT loan_id) FILTER (WHERE accrual_delta > 0)::int AS "loansAccrued",
      coalesce(sum(accrual_delta), 0)::bigint AS "interestAccruedFen",
      count(*) FILTER (WHERE becomes_overdue)::int AS "installmentsNewlyOverdue",
      count(DISTINCT loan_id) FILTER (WHERE penalty_delta > 0)::int AS "loansPenalised",
      coalesce(sum(penalty_delta), 0)::bigint AS "penaltyChargedFen"
    FROM cob_changes`);
  return totals!;
}

interface InstallmentTotals {
  loansAccrued: number; interestAccruedFen: number; installmentsNewlyOverdue: number; loansPenalised: number; penaltyChargedFen: number;
}

/** Stages one balanced entry per loan from a cob_changes column: receivable up, income down. */
async function stagePerLoan(tx: Queryable, date: CalendarDate, column: 'accrual_delta' | 'penalty_delta', kind: string, receivable: string, income: string): Promise<void> {
  await tx.query(`INSERT INTO cob_ledger_stage (entry_key, kind, business_ref, business_date, account_code, amount_fen)
    SELECT 'cob:' || $1 || ':' || $2 || ':' || loan_id, $2, 'cob:' || $1, $1::date, side.code, side.sign * total
    FROM (SELECT loan_id, sum(${column}) AS total FROM cob_changes GROUP BY loan_id HAVING sum(${column}) > 0) t
    CROSS JOIN LATERAL (VALUES ('loan:' || t.loan_id || ':' || $3, 1), ($4, -1)) AS side(code, sign)`,
  [date, kind, receivable, income]);
}

function bucketCaseSql(daysExpression: string): string {
  const finite = DELINQUENCY_BUCKETS.filter((b) => Number.isFinite(b.maxDays));
  const last = DELINQUENCY_BUCKETS[DELINQUENCY_BUCKETS.length - 1]!;
  return `CASE ${finite.map((b) => `WHEN ${daysExpression} <= ${b.maxDays} THEN '${b.bucket}'`).join(' ')} ELSE '${last.bucket}' END`;
}

/**
 * One pass over loans: a loan with an overdue installment is overdue (recorded as a
 * transition with an outbox event when it was active), with days past due counted from
 * its oldest overdue installment; an active loan is current.
 */
async function refreshLoans(tx: Queryable, date: CalendarDate): Promise<{ loansNewlyOverdue: number; buckets: Record<string, number> }> {
  invariant(canTransition('active', 'overdue'), 'the loan state machine no longer allows active -> overdue');
  const [newly] = await tx.query<{ n: number }>(`WITH late AS (
      SELECT i.loan_id, $1::date - min(i.due_date) AS days FROM installments i JOIN loans l ON l.id = i.loan_id
      WHERE l.status IN ${SERVICED} AND i.status = 'overdue' GROUP BY i.loan_id),
    changed AS (
      UPDATE loans l SET status = 'overdue', days_past_due = late.days, bucket = ${bucketCaseSql('late.days')},
        updated_at = CASE WHEN l.status = 'active' THEN now() ELSE l.updated_at END
      FROM late JOIN loans before ON before.id = late.loan_id
      WHERE l.id = late.loan_id
      -- 'before' is read from the statement's snapshot, so it holds the status prior to this update.
      RETURNING l.id, before.status AS old_status),
    newly AS (SELECT id FROM changed WHERE old_status = 'active'),
    transitions AS (INSERT INTO loan_transitions (loan_id, from_status, to_status, actor, reason)
      SELECT id, 'active', 'overdue', 'close-of-business', 'installment unpaid after its due date, business date ' || $1 FROM newly),
    events AS (INSERT INTO outbox (queue, job_name, payload)
      SELECT $2, 'loan.overdue', jsonb_build_object('loanId', id, 'businessDate', $1) FROM newly)
    SELECT count(*)::int AS n FROM newly`, [date, QUEUE_DOMAIN_EVENTS]);
  await tx.query(`UPDATE loans SET days_past_due = 0, bucket = 'current' WHERE status = 'active' AND days_past_due <> 0`);
  const rows = await tx.query<{ bucket: string; n: number }>(
    `SELECT bucket, count(*)::int AS n FROM loans WHERE status IN ${SERVICED} GROUP BY bucket ORDER BY bucket`);
  return { loansNewlyOverdue: newly!.n, buckets: Object.fromEntries(rows.map((r) => [r.bucket, r.n])) };
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
    await computeInstallmentChanges(tx, date);
    const installments = await applyInstallmentChanges(tx, date);
    const ledger = await postStagedEntries(tx, 'cob_ledger_stage');
    if (ledger.duplicates > 0) {
      throw new DomainError('COB_LEDGER_CONFLICT', `close of business ${date} found ${ledger.duplicates} entries already posted`);
    }
    const loans = await refreshLoans(tx, date);
    const summary: CloseOfBusinessSummary = {
      businessDate: date, alreadyCompleted: false, ...installments,
      loansNewlyOverdue: loans.loansNewlyOverdue, entriesPosted: ledger.posted, buckets: loans.buckets,
    };
    await tx.query(`UPDATE cob_runs SET status = 'completed', finished_at = now(), summary = $2 WHERE business_date = $1`,
      [date, JSON.stringify(summary)]);
    return summary;
  });
}
