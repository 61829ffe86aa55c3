/**
 * Refunds of over-deductions: money a phone-credit charge took beyond what was due is held
 * as borrower credit; ops refund it to the phone account through Parlay X refundAmount.
 * A refund can only take credit that is not already promised to another pending refund.
 * On success the carrier owes us that much less: borrower credit down, carrier receivable down.
 */
import { shanghaiDate } from '../core/calendar-date.js';
import { DomainError, invariant } from '../core/domain-error.js';
import { accountCode, loanAccount } from '../core/journal-entry.js';
import { channelAccount } from '../core/loan-accounting.js';
import { assertPositiveFen } from '../core/money.js';
import type { Database } from '../db/database.js';
import { postEntry } from '../ledger/post-entries.js';
import { lockLoan } from '../loans/loan-repository.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_BILLING_REFUNDS, QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';
import type { QueueJob } from '../queue/workers.js';
import type { BillingPort } from './billing.port.js';
import { RetryableChargeError } from './charge-attempt.handler.js';

export interface RefundRequestInput { originalReferenceCode: string; amountFen: number; reason: string; actor: string }
export interface RefundRecord { id: number; referenceCode: string; loanId: number; amountFen: number; status: string }

export async function requestRefund(db: Database, input: RefundRequestInput): Promise<RefundRecord> {
  assertPositiveFen(input.amountFen, 'amountFen');
  if (input.reason.trim() === '') throw new DomainError('REASON_REQUIRED', 'reason must say why the money goes back', 'reason');
  return db.transaction(async (tx) => {
    const [charge] = await tx.query<{ id: number; loan_id: number; msisdn: string; charged_fen: number }>(
      `SELECT id, loan_id, msisdn, charged_fen FROM deduction_attempts WHERE reference_code = $1 AND status IN ('charged', 'partial')`,
      [input.originalReferenceCode]);
    if (!charge) throw new DomainError('CHARGE_NOT_FOUND', `no completed charge ${input.originalReferenceCode}`, 'originalReferenceCode');
    await lockLoan(tx, charge.loan_id);
    const [credit] = await tx.query<{ available: number }>(`SELECT
        -coalesce((SELECT balance_fen FROM ledger_accounts WHERE code = $1), 0)
        - coalesce((SELECT sum(amount_fen) FROM billing_refunds WHERE loan_id = $2 AND status = 'pending'), 0) AS available`,
    [accountCode(loanAccount(charge.loan_id, 'borrower_credit')), charge.loan_id]);
    const already = await tx.query<{ total: number }>(`SELECT coalesce(sum(amount_fen), 0)::bigint AS total FROM billing_refunds
      WHERE original_reference_code = $1 AND status IN ('pending', 'refunded')`, [input.originalReferenceCode]);
    if (input.amountFen > credit!.available || input.amountFen + already[0]!.total > charge.charged_fen) {
      throw new DomainError('REFUND_EXCEEDS_CREDIT',
        `amountFen ${input.amountFen} is more than the borrower credit available (${credit!.available} fen) or than the charge left to refund`, 'amountFen');
    }
    const [count] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM billing_refunds WHERE original_reference_code = $1`, [input.originalReferenceCode]);
    const referenceCode = `RFD${charge.id}N${count!.n + 1}`;
    const [refund] = await tx.query<RefundRecord>(`INSERT INTO billing_refunds
        (reference_code, original_reference_code, loan_id, msisdn, amount_fen, reason, status, requested_by)
      VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
      RETURNING id, reference_code AS "referenceCode", loan_id AS "loanId", amount_fen AS "amountFen", status`,
    [referenceCode, input.originalReferenceCode, charge.loan_id, charge.msisdn, input.amountFen, input.reason, input.actor]);
    await enqueueInTransaction(tx, { queue: QUEUE_BILLING_REFUNDS, name: 'refund', payload: { refundId: refund!.id } });
    return refund!;
  });
}

export function refundHandler(deps: { db: Database; billing: BillingPort; clock: () => Date }) {
  return async (job: QueueJob): Promise<void> => {
    const refundId = (job.data as { refundId?: unknown } | null)?.refundId;
    invariant(typeof refundId === 'number', `refund job ${job.id} names a refund`);
    const [refund] = await deps.db.query<{ reference_code: string; original_reference_code: string; loan_id: number; msisdn: string; amount_fen: number; status: string }>(
      `SELECT reference_code, original_reference_code, loan_id, msisdn, amount_fen, status FROM billing_refunds WHERE id = $1`, [refundId]);
    invariant(refund, `refund ${refundId} exists`);
    if (refund.status !== 'pending') return;
    const outcome = await deps.billing.refund({
      msisdn: refund.msisdn, amountFen: refund.amount_fen, referenceCode: refund.reference_code,
      originalReferenceCode: refund.original_reference_code, description: `贷款多扣退款 loan ${refund.loan_id}`,
    });
    if (outcome.kind === 'timeout' || outcome.kind === 'service_error') throw new RetryableChargeError(outcome, refund.reference_code);
    await deps.db.transaction(async (tx) => {
      if (outcome.kind === 'charged') {
        await postEntry(tx, {
          idempotencyKey: `refund:${refund.reference_code}`, kind: 'refund', businessRef: refund.reference_code,
          businessDate: shanghaiDate(deps.clock()),
          lines: [
            { account: loanAccount(refund.loan_id, 'borrower_credit'), amountFen: refund.amount_fen },
            { account: channelAccount('phone_credit', undefined), amountFen: -refund.amount_fen },
          ],
        });
      }
      await tx.query(`UPDATE billing_refunds SET status = $2, outcome_code = $3 WHERE id = $1 AND status = 'pending'`,
        [refundId, outcome.kind === 'charged' ? 'refunded' : 'failed', outcome.kind === 'charged' ? 'OK' : outcome.code]);
      await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: outcome.kind === 'charged' ? 'billing.refunded' : 'billing.refund_failed',
        payload: { loanId: refund.loan_id, refundId, amountFen: refund.amount_fen } });
    });
  };
}
