/**
 * Billing reconciliation: what we charged (completed deduction attempts) against what the
 * carrier says it settled to the custody account. Every difference is a break that ops see
 * until they resolve it with a reason. Settling moves money from the carrier receivable to
 * custody cash, one journal entry per settlement file.
 */
import type { CalendarDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import { channelAccount } from '../core/loan-accounting.js';
import type { Database, Queryable } from '../db/database.js';
import { postEntry } from '../ledger/post-entries.js';

const CUSTODY_CASH = channelAccount('passbook', undefined);
const CARRIER_RECEIVABLE = channelAccount('phone_credit', undefined);

/** Posts a settlement file's total: the carrier paid what it owed into the custody account. */
export async function postSettlement(tx: Queryable, fileDbId: number, businessDate: CalendarDate): Promise<number> {
  const [total] = await tx.query<{ fen: number; file_id: string }>(`SELECT coalesce(sum(s.amount_fen), 0)::bigint AS fen, f.file_id
    FROM billing_files f LEFT JOIN billing_settlement_lines s ON s.file_id = f.id WHERE f.id = $1 GROUP BY f.file_id`, [fileDbId]);
  if (!total || total.fen === 0) return 0;
  await postEntry(tx, {
    idempotencyKey: `billing-settlement:${total.file_id}`, kind: 'carrier_settlement', businessRef: `settlement:${total.file_id}`, businessDate,
    lines: [{ account: CUSTODY_CASH, amountFen: total.fen }, { account: CARRIER_RECEIVABLE, amountFen: -total.fen }],
  });
  return total.fen;
}

/** Inserts the breaks a query finds (kind, reference_code, expected, actual, detail); one listed already is not listed again. */
async function insertBreaks(tx: Queryable, businessDate: CalendarDate, breaksSql: string): Promise<number> {
  const rows = await tx.query(`WITH breaks AS (${breaksSql})
    INSERT INTO reconciliation_breaks (source, business_date, kind, reference_code, expected_fen, actual_fen, detail)
    SELECT 'billing', $1::date, kind, reference_code, expected, actual, detail FROM breaks
    ON CONFLICT (source, kind, reference_code) DO NOTHING RETURNING id`, [businessDate]);
  return rows.length;
}

/**
 * After a settlement file: charges up to `businessDate` never settled (missing), settled for
 * a different amount (amount_mismatch), and settlements of charges we do not have (unexpected).
 */
export function reconcileSettlement(tx: Queryable, businessDate: CalendarDate): Promise<number> {
  return insertBreaks(tx, businessDate, `WITH charged AS (
      SELECT a.reference_code, a.charged_fen FROM deduction_attempts a JOIN repayments r ON r.id = a.repayment_id
      WHERE a.status IN ('charged', 'partial') AND r.business_date <= $1::date),
    settled AS (
      SELECT s.reference_code, sum(s.amount_fen)::bigint AS amount_fen FROM billing_settlement_lines s
      JOIN billing_files f ON f.id = s.file_id WHERE f.business_date <= $1::date GROUP BY s.reference_code)
    SELECT 'missing' AS kind, c.reference_code, c.charged_fen AS expected, NULL::bigint AS actual, 'charged but not in any settlement file' AS detail
      FROM charged c LEFT JOIN settled s USING (reference_code) WHERE s.reference_code IS NULL
    UNION ALL
    SELECT 'amount_mismatch', c.reference_code, c.charged_fen, s.amount_fen, 'settled amount differs from the charge'
      FROM charged c JOIN settled s USING (reference_code) WHERE s.amount_fen <> c.charged_fen
    UNION ALL
    SELECT 'unexpected', s.reference_code, NULL, s.amount_fen, 'settled by the carrier but no completed charge of ours'
      FROM settled s LEFT JOIN charged c USING (reference_code) WHERE c.reference_code IS NULL`);
}

/** After a response file: requests of that business date the carrier left unanswered (no_result). */
export function reconcileResponses(tx: Queryable, businessDate: CalendarDate): Promise<number> {
  return insertBreaks(tx, businessDate, `SELECT 'no_result' AS kind, a.reference_code, coalesce(a.requested_fen, a.due_fen) AS expected,
      NULL::bigint AS actual, 'in a request file whose response file came back without it' AS detail
    FROM deduction_attempts a JOIN deduction_runs r ON r.id = a.run_id
    WHERE a.status = 'requested_in_file' AND r.business_date = $1::date`);
}

export interface ReconciliationBreak {
  id: number; businessDate: string; kind: string; referenceCode: string; expectedFen: number | null; actualFen: number | null;
  detail: string; status: string; resolution: string | null; resolvedBy: string | null;
}

export async function listBillingBreaks(q: Queryable, businessDate: CalendarDate): Promise<ReconciliationBreak[]> {
  return q.query<ReconciliationBreak>(`SELECT id, business_date AS "businessDate", kind, reference_code AS "referenceCode",
      expected_fen AS "expectedFen", actual_fen AS "actualFen", detail, status, resolution, resolved_by AS "resolvedBy"
    FROM reconciliation_breaks WHERE source = 'billing' AND (business_date = $1 OR status = 'open') ORDER BY id`, [businessDate]);
}

export async function resolveBreak(db: Database, id: number, reason: string, actor: string): Promise<void> {
  if (reason.trim() === '') throw new DomainError('REASON_REQUIRED', 'reason must say how the break was resolved', 'reason');
  const rows = await db.query(`UPDATE reconciliation_breaks SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = now()
    WHERE id = $1 AND status = 'open' RETURNING id`, [id, reason, actor]);
  if (rows.length === 0) throw new DomainError('BREAK_NOT_FOUND', `no open reconciliation break ${id}`, 'id');
}
