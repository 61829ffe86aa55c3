/**
 * Works one charge attempt. Safe to run any number of times: the attempt's status says
 * how far it got, the amount is fixed before the first charge call, and every call to the
 * carrier carries the attempt's referenceCode, so a retry after a timeout or a crash can
 * never charge twice. Timeouts and service errors throw, so the queue retries them.
 */
import type { BillingConfig } from '../config.js';
import { planCharge } from '../core/deduction.js';
import { shanghaiDate } from '../core/calendar-date.js';
import { DomainError, invariant } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';
import { postRepaymentInTransaction } from '../loans/post-repayment.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';
import type { QueueJob } from '../queue/workers.js';
import type { BillingPort, ChargeFailure } from './billing.port.js';
import { INSTALLMENT_DUE_SQL } from './deduction-runs.js';

export interface Attempt {
  id: number;
  loanId: number;
  installmentNumber: number;
  attemptNo: number;
  referenceCode: string;
  msisdn: string;
  plan: 'prepaid' | 'postpaid';
  requestedFen: number | null;
  status: string;
}

const TERMINAL = new Set(['charged', 'partial', 'insufficient', 'failed', 'collections', 'cancelled']);

export class RetryableChargeError extends DomainError {
  constructor(failure: ChargeFailure, referenceCode: string) {
    super(`BILLING_${failure.kind.toUpperCase()}`, `charge ${referenceCode}: ${failure.kind} (${failure.code}); retried with the same reference`);
  }
}

async function loadAttempt(q: Queryable, attemptId: number, lock: boolean): Promise<Attempt> {
  const [row] = await q.query<Attempt>(`SELECT id, loan_id AS "loanId", installment_number AS "installmentNumber",
      attempt_no AS "attemptNo", reference_code AS "referenceCode", msisdn, plan, requested_fen AS "requestedFen", status
    FROM deduction_attempts WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [attemptId]);
  invariant(row, `deduction attempt ${attemptId} exists`);
  return row;
}

async function finish(tx: Queryable, attempt: Attempt, status: string, code: string | null, detail: string | null): Promise<void> {
  await tx.query(`UPDATE deduction_attempts SET status = $2, outcome_code = $3, outcome_detail = $4, updated_at = now() WHERE id = $1`,
    [attempt.id, status, code, detail]);
}

export interface ChargeDeps {
  db: Database;
  billing: BillingPort;
  config: BillingConfig;
  clock: () => Date;
}

/** Low credit: wait for a recharge or the next run, unless this was the last attempt allowed. */
async function markInsufficient(deps: ChargeDeps, attempt: Attempt, detail: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const last = attempt.attemptNo >= deps.config.attemptsPerInstallmentMax;
    await finish(tx, attempt, last ? 'collections' : 'insufficient', 'INSUFFICIENT_CREDIT', detail);
    const payload = { loanId: attempt.loanId, installment: attempt.installmentNumber, attemptNo: attempt.attemptNo };
    await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'billing.deduction_insufficient', payload });
    if (last) await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'billing.handed_to_collections', payload });
  });
}

async function markFailed(deps: ChargeDeps, attempt: Attempt, failure: ChargeFailure): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await finish(tx, attempt, 'failed', failure.code, `${failure.kind}: ${failure.detail}`.slice(0, 500));
    await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'billing.deduction_failed',
      payload: { loanId: attempt.loanId, installment: attempt.installmentNumber, reason: failure.kind } });
  });
}

/** Fixes the amount before the first charge call; returns false when nothing is to be charged. */
async function fixAmount(deps: ChargeDeps, attempt: Attempt): Promise<number | undefined> {
  const [row] = await deps.db.query<{ due: number }>(
    `SELECT ${INSTALLMENT_DUE_SQL} AS due FROM installments i WHERE i.loan_id = $1 AND i.number = $2`, [attempt.loanId, attempt.installmentNumber]);
  const dueFen = row?.due ?? 0;
  if (dueFen <= 0) {
    await finish(deps.db, attempt, 'cancelled', 'NOTHING_DUE', 'the installment was paid through another channel');
    return undefined;
  }
  let balanceFen = 0;
  if (attempt.plan === 'prepaid') {
    const balance = await deps.billing.getBalance(attempt.msisdn);
    if (balance.kind !== 'balance') {
      await handleFailure(deps, attempt, balance);
      return undefined;
    }
    balanceFen = balance.balanceFen;
  }
  const plan = planCharge({ plan: attempt.plan, dueFen, balanceFen, reserveFen: deps.config.prepaidReserveFen, partialAllowed: deps.config.partialChargesAllowed });
  if (plan.kind === 'insufficient') {
    await markInsufficient(deps, attempt, `credit above the reserve is ${plan.availableFen} fen, ${dueFen} fen due`);
    return undefined;
  }
  const updated = await deps.db.query(`UPDATE deduction_attempts SET status = 'charging', requested_fen = $2, due_fen = $3, updated_at = now()
    WHERE id = $1 AND status = 'pending' RETURNING id`, [attempt.id, plan.amountFen, dueFen]);
  invariant(updated.length === 1, `deduction attempt ${attempt.id} left pending while its amount was fixed`);
  return plan.amountFen;
}

async function handleFailure(deps: ChargeDeps, attempt: Attempt, failure: ChargeFailure): Promise<void> {
  if (failure.kind === 'timeout' || failure.kind === 'service_error') throw new RetryableChargeError(failure, attempt.referenceCode);
  if (failure.kind === 'insufficient_credit') return markInsufficient(deps, attempt, failure.detail);
  return markFailed(deps, attempt, failure);
}

/** Money taken: the repayment, the attempt's result and the events, in one transaction. */
async function recordCharged(deps: ChargeDeps, attempt: Attempt, chargedFen: number, requestedFen: number): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const current = await loadAttempt(tx, attempt.id, true);
    if (TERMINAL.has(current.status)) return;
    const repayment = await postRepaymentInTransaction(tx, attempt.loanId, {
      amountFen: chargedFen, channel: 'phone_credit', externalRef: attempt.referenceCode, businessDate: shanghaiDate(deps.clock()),
    }, { holdWhenClosed: true });
    const [due] = await tx.query<{ due_fen: number }>(`SELECT due_fen FROM deduction_attempts WHERE id = $1`, [attempt.id]);
    const status = chargedFen < (due?.due_fen ?? requestedFen) ? 'partial' : 'charged';
    await tx.query(`UPDATE deduction_attempts SET status = $2, charged_fen = $3, repayment_id = $4, outcome_code = 'OK', updated_at = now()
      WHERE id = $1`, [attempt.id, status, chargedFen, repayment.repaymentId]);
    await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'billing.deduction_charged',
      payload: { loanId: attempt.loanId, installment: attempt.installmentNumber, amountFen: chargedFen, repaymentId: repayment.repaymentId } });
  });
}

export async function workChargeAttempt(deps: ChargeDeps, attemptId: number): Promise<void> {
  const attempt = await loadAttempt(deps.db, attemptId, false);
  if (TERMINAL.has(attempt.status) || attempt.status === 'requested_in_file') return;
  const amountFen = attempt.status === 'pending' ? await fixAmount(deps, attempt) : attempt.requestedFen;
  if (amountFen === undefined || amountFen === null) return;
  const outcome = await deps.billing.charge({
    msisdn: attempt.msisdn, amountFen, referenceCode: attempt.referenceCode, description: `贷款还款 loan ${attempt.loanId} installment ${attempt.installmentNumber}`,
  });
  if (outcome.kind === 'charged') return recordCharged(deps, attempt, outcome.amountFen, amountFen);
  if (outcome.kind === 'insufficient_credit') {
    // The credit fell between the balance read and the charge: nothing was taken under this reference.
    return markInsufficient(deps, attempt, outcome.detail);
  }
  return handleFailure(deps, attempt, outcome);
}

export function chargeAttemptHandler(deps: ChargeDeps) {
  return async (job: QueueJob): Promise<void> => {
    const attemptId = (job.data as { attemptId?: unknown } | null)?.attemptId;
    invariant(typeof attemptId === 'number' && Number.isSafeInteger(attemptId), `charge job ${job.id} names an attempt`);
    await workChargeAttempt(deps, attemptId);
  };
}
