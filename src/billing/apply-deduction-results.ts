/**
 * Applies a validated deduction response file. Results without money update their
 * attempts in one statement. Charged lines are worked a chunk of loans at a time: the
 * chunk's loans and installments are read and locked in one statement each, every
 * repayment is planned in memory with the same rules as a single repayment
 * (planRepayment), and the results are written back with one bulk statement per table.
 * No statement per line.
 */
import type { CalendarDate } from '../core/calendar-date.js';
import { invariant } from '../core/domain-error.js';
import type { JournalEntryDraft } from '../core/journal-entry.js';
import { channelAccount, repaymentEntry } from '../core/loan-accounting.js';
import { assertTransition } from '../core/loan-state.js';
import type { Queryable } from '../db/database.js';
import { postEntries } from '../ledger/post-entries.js';
import { holdOffCloseOfBusiness, loadInstallmentsOfLoans, lockLoans, type InstallmentRecord, type LoanRecord } from '../loans/loan-repository.js';
import { planRepayment } from '../loans/repayment-plan.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';

/** Loans planned and written per round: bounds memory and statement size. */
export const APPLY_CHUNK_LOANS = 500;

/** Response file result codes (adapters/billing/files/FORMAT.md) that carry no money, and what they make of the attempt. */
const NO_MONEY_STATUS = `CASE r.result_code WHEN 'INSUFFICIENT' THEN
    CASE WHEN a.attempt_no >= $2 THEN 'collections' ELSE 'insufficient' END ELSE 'failed' END`;

interface ChargedLine { referenceCode: string; chargedFen: number; attemptId: number; loanId: number; dueFen: number }

interface ChunkWrites {
  drafts: JournalEntryDraft[];
  repayments: { loanId: number; amountFen: number; ref: string; allocation: string }[];
  attempts: { id: number; status: string; chargedFen: number; ref: string }[];
  installments: Map<string, InstallmentRecord & { loanId: number }>;
  loans: Map<number, { daysPastDue: number; bucket: string; status: string; from: string }>;
}

export interface ApplySummary { linesWithoutMoney: number; chargedLines: number; chargedFen: number }

export async function applyDeductionResponses(
  tx: Queryable, fileDbId: number, businessDate: CalendarDate, attemptsMax: number,
): Promise<ApplySummary> {
  await holdOffCloseOfBusiness(tx);
  const [noMoney] = await tx.query<{ n: number }>(`WITH updated AS (
      UPDATE deduction_attempts a SET status = ${NO_MONEY_STATUS}, outcome_code = r.result_code, updated_at = now()
      FROM billing_response_lines r WHERE r.file_id = $1 AND r.reference_code = a.reference_code AND r.charged_fen = 0
        AND a.status = 'requested_in_file' RETURNING 1)
    SELECT count(*)::int AS n FROM updated`, [fileDbId, attemptsMax]);
  // The charged lines once, indexed by loan: each chunk then reads its slice, not the whole file.
  await tx.query(`CREATE TEMP TABLE apply_charged ON COMMIT DROP AS
    SELECT r.line_no, r.reference_code, r.charged_fen, a.id AS attempt_id, a.loan_id, a.due_fen
    FROM billing_response_lines r JOIN deduction_attempts a ON a.reference_code = r.reference_code
    WHERE r.file_id = $1 AND r.charged_fen > 0 AND a.status = 'requested_in_file'`, [fileDbId]);
  await tx.query(`CREATE INDEX ON apply_charged (loan_id, line_no)`);
  await tx.query(`ANALYZE apply_charged`);
  let lastLoanId = 0;
  const summary: ApplySummary = { linesWithoutMoney: noMoney!.n, chargedLines: 0, chargedFen: 0 };
  for (;;) {
    const lines = await tx.query<ChargedLine>(`SELECT reference_code AS "referenceCode", charged_fen AS "chargedFen", attempt_id AS "attemptId",
        loan_id AS "loanId", due_fen AS "dueFen"
      FROM apply_charged WHERE loan_id > $1
        AND loan_id <= (SELECT max(loan_id) FROM (SELECT DISTINCT loan_id FROM apply_charged WHERE loan_id > $1 ORDER BY loan_id LIMIT $2) c)
      ORDER BY loan_id, line_no`, [lastLoanId, APPLY_CHUNK_LOANS]);
    if (lines.length === 0) break;
    await applyChunk(tx, lines, businessDate);
    lastLoanId = lines[lines.length - 1]!.loanId;
    summary.chargedLines += lines.length;
    summary.chargedFen += lines.reduce((sum, l) => sum + l.chargedFen, 0);
  }
  await tx.query(`DROP TABLE apply_charged`);
  return summary;
}

function planChunk(lines: readonly ChargedLine[], loans: Map<number, LoanRecord>, installments: Map<number, InstallmentRecord[]>, businessDate: CalendarDate): ChunkWrites {
  const writes: ChunkWrites = { drafts: [], repayments: [], attempts: [], installments: new Map(), loans: new Map() };
  for (const line of lines) {
    const loan = loans.get(line.loanId);
    invariant(loan, `loan ${line.loanId} of charge ${line.referenceCode} exists`);
    const repayable = loan.status === 'active' || loan.status === 'overdue';
    const plan = planRepayment(repayable ? installments.get(loan.id) ?? [] : [], line.chargedFen, businessDate);
    writes.drafts.push(repaymentEntry({
      loanId: loan.id, repaymentKey: `phone_credit:${line.referenceCode}`, amountFen: line.chargedFen, allocation: plan.allocation,
      unaccruedInterestPaidFen: plan.unaccruedInterestFen, source: channelAccount('phone_credit', undefined), businessDate, reference: line.referenceCode,
    }));
    writes.repayments.push({ loanId: loan.id, amountFen: line.chargedFen, ref: line.referenceCode, allocation: JSON.stringify(plan.allocation) });
    writes.attempts.push({ id: line.attemptId, status: line.chargedFen < line.dueFen ? 'partial' : 'charged', chargedFen: line.chargedFen, ref: line.referenceCode });
    if (!repayable) continue;
    installments.set(loan.id, plan.installmentsAfter);
    for (const i of plan.installmentsAfter) writes.installments.set(`${loan.id}:${i.number}`, { ...i, loanId: loan.id });
    const from = writes.loans.get(loan.id)?.from ?? loan.status;
    const status = plan.outcome.settled ? 'settled' : plan.outcome.hasOverdue ? loan.status : 'active';
    if (status !== loan.status) assertTransition(loan.status, status);
    writes.loans.set(loan.id, { daysPastDue: plan.outcome.daysPastDue, bucket: plan.outcome.bucket, status, from });
    loans.set(loan.id, { ...loan, status: status as LoanRecord['status'] });
  }
  return writes;
}

async function applyChunk(tx: Queryable, lines: readonly ChargedLine[], businessDate: CalendarDate): Promise<void> {
  const loanIds = [...new Set(lines.map((l) => l.loanId))];
  const loans = await lockLoans(tx, loanIds);
  const writes = planChunk(lines, loans, await loadInstallmentsOfLoans(tx, loanIds), businessDate);
  const posted = await postEntries(tx, writes.drafts);
  invariant(posted.every((p) => !p.duplicate), 'a charge in the response file was already posted');
  const entryIds = new Map(posted.map((p) => [p.idempotencyKey, p.entryId]));
  const repaymentIds = await tx.query<{ id: number; external_ref: string }>(`INSERT INTO repayments
      (loan_id, channel, amount_fen, external_ref, business_date, allocation, journal_entry_id)
    SELECT loan_id, 'phone_credit', amount_fen, ref, $5::date, allocation::jsonb, entry_id
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $6::bigint[]) AS t(loan_id, amount_fen, ref, allocation, entry_id)
    RETURNING id, external_ref`,
  [writes.repayments.map((r) => r.loanId), writes.repayments.map((r) => r.amountFen), writes.repayments.map((r) => r.ref),
    writes.repayments.map((r) => r.allocation), businessDate, writes.repayments.map((r) => entryIds.get(`loan:${r.loanId}:repayment:phone_credit:${r.ref}`))]);
  const repaymentByRef = new Map(repaymentIds.map((r) => [r.external_ref, r.id]));
  await writeInstallments(tx, [...writes.installments.values()]);
  await writeLoans(tx, writes.loans);
  await tx.query(`UPDATE deduction_attempts a SET status = t.status, charged_fen = t.charged, repayment_id = t.repayment_id,
      outcome_code = 'OK', updated_at = now()
    FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS t(id, status, charged, repayment_id) WHERE a.id = t.id`,
  [writes.attempts.map((a) => a.id), writes.attempts.map((a) => a.status), writes.attempts.map((a) => a.chargedFen),
    writes.attempts.map((a) => repaymentByRef.get(a.ref))]);
  // The same events a real-time charge publishes: settlement to investors and the SMS receipt follow them.
  await tx.query(`INSERT INTO outbox (queue, job_name, payload)
    SELECT $1, e.name, e.payload FROM repayments r JOIN deduction_attempts a ON a.repayment_id = r.id
    CROSS JOIN LATERAL (VALUES
      (1, 'loan.repayment_posted', jsonb_build_object('loanId', r.loan_id, 'repaymentId', r.id, 'channel', 'phone_credit', 'amountFen', r.amount_fen)),
      (2, 'billing.deduction_charged', jsonb_build_object('loanId', r.loan_id, 'installment', a.installment_number, 'amountFen', r.amount_fen, 'repaymentId', r.id))
    ) AS e(ord, name, payload)
    WHERE r.id = ANY($2::bigint[]) ORDER BY r.id, e.ord`, [QUEUE_DOMAIN_EVENTS, repaymentIds.map((r) => r.id)]);
}

async function writeInstallments(tx: Queryable, rows: readonly (InstallmentRecord & { loanId: number })[]): Promise<void> {
  await tx.query(`UPDATE installments i SET principal_paid_fen = t.principal, interest_paid_fen = t.interest, fee_paid_fen = t.fee,
      penalty_paid_fen = t.penalty, interest_accrued_fen = t.accrued, status = t.status
    FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[])
      AS t(loan_id, number, principal, interest, fee, penalty, accrued, status)
    WHERE i.loan_id = t.loan_id AND i.number = t.number`,
  [rows.map((r) => r.loanId), rows.map((r) => r.number), rows.map((r) => r.principalPaidFen), rows.map((r) => r.interestPaidFen),
    rows.map((r) => r.feePaidFen), rows.map((r) => r.penaltyPaidFen), rows.map((r) => r.interestAccruedFen), rows.map((r) => r.status)]);
}

async function writeLoans(tx: Queryable, loans: ChunkWrites['loans']): Promise<void> {
  const ids = [...loans.keys()];
  const rows = [...loans.values()];
  await tx.query(`UPDATE loans l SET days_past_due = t.dpd, bucket = t.bucket, status = t.status, updated_at = now()
    FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[]) AS t(id, dpd, bucket, status) WHERE l.id = t.id`,
  [ids, rows.map((r) => r.daysPastDue), rows.map((r) => r.bucket), rows.map((r) => r.status)]);
  const moved = ids.map((id, k) => ({ id, ...rows[k]! })).filter((r) => r.from !== r.status);
  await tx.query(`WITH t AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, from_status, to_status)),
      transitions AS (INSERT INTO loan_transitions (loan_id, from_status, to_status, actor, reason)
        SELECT id, from_status, to_status, 'repayment', 'phone-credit deduction from the carrier''s response file' FROM t)
    INSERT INTO outbox (queue, job_name, payload)
      SELECT $4, 'loan.settled', jsonb_build_object('loanId', id) FROM t WHERE to_status = 'settled'`,
  [moved.map((r) => r.id), moved.map((r) => r.from), moved.map((r) => r.status), QUEUE_DOMAIN_EVENTS]);
}
