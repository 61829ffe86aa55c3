/**
 * A subscriber topped up. Each recharge event is recorded once (by the carrier's event id,
 * whether it came by webhook or in the SFTP feed) and gives every installment of that
 * subscriber that is waiting on low credit one new attempt.
 */
import { DomainError } from '../core/domain-error.js';
import { parseMobile } from '../core/identity.js';
import { assertPositiveFen } from '../core/money.js';
import type { Database, Queryable } from '../db/database.js';
import { enqueueChargeJobs, insertAttempts } from './deduction-runs.js';

export interface RechargeEvent {
  eventId: string;
  msisdn: string;
  amountFen: number;
  rechargedAt: string;
}

export interface RechargeResult { eventId: string; duplicate: boolean; attemptsTriggered: number }

const EVENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function parseRechargeEvent(value: unknown): RechargeEvent {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v.eventId !== 'string' || !EVENT_ID_PATTERN.test(v.eventId)) {
    throw new DomainError('INVALID_EVENT', 'eventId must be 1-64 letters, digits or _.:-', 'eventId');
  }
  assertPositiveFen(v.amountFen, 'amountFen');
  const at = typeof v.rechargedAt === 'string' ? new Date(v.rechargedAt) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new DomainError('INVALID_EVENT', 'rechargedAt must be an ISO 8601 time', 'rechargedAt');
  return { eventId: v.eventId, msisdn: parseMobile(v.msisdn, 'msisdn'), amountFen: v.amountFen, rechargedAt: at.toISOString() };
}

/**
 * Gives each installment waiting on low credit (its latest attempt found too little) of the
 * subscribers `msisdnCondition` selects one new attempt and its queue job. Returns how many.
 */
export async function retryWaitingInstallments(
  tx: Queryable, msisdnCondition: string, params: unknown[], attemptsMax: number,
): Promise<number> {
  const waiting = `SELECT a.loan_id, a.installment_number AS number FROM deduction_attempts a
    WHERE ${msisdnCondition} AND a.status = 'insufficient'
      AND a.attempt_no = (SELECT max(b.attempt_no) FROM deduction_attempts b WHERE b.loan_id = a.loan_id AND b.installment_number = a.installment_number)`;
  const ids = await insertAttempts(tx, waiting, params, { runId: null, trigger: 'recharge', status: 'pending', attemptsMax });
  await enqueueChargeJobs(tx, ids);
  return ids.length;
}

export async function recordRechargeInTransaction(
  tx: Queryable, event: RechargeEvent, source: 'webhook' | 'sftp', attemptsMax: number,
): Promise<RechargeResult> {
  const inserted = await tx.query(`INSERT INTO carrier_recharges (event_id, msisdn, amount_fen, recharged_at, source)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
  [event.eventId, event.msisdn, event.amountFen, event.rechargedAt, source]);
  if (inserted.length === 0) return { eventId: event.eventId, duplicate: true, attemptsTriggered: 0 };
  const attemptsTriggered = await retryWaitingInstallments(tx, 'a.msisdn = $1', [event.msisdn], attemptsMax);
  return { eventId: event.eventId, duplicate: false, attemptsTriggered };
}

export function recordRecharge(db: Database, event: RechargeEvent, source: 'webhook' | 'sftp', attemptsMax: number): Promise<RechargeResult> {
  return db.transaction((tx) => recordRechargeInTransaction(tx, event, source, attemptsMax));
}
