/**
 * Outbound SMS: a message is stored and its send job written in the caller's transaction
 * (queueSms), and a queue worker sends it through the SmsPort (smsSendHandler).
 *
 * Exactly once, as far as the phone can tell: the row's `reference` is unique, so queueing
 * the same reference again stores nothing and enqueues nothing; every send carries that
 * reference to the gateway (Parlay X correlator), which de-duplicates on it, so a retry
 * after a timeout, a stalled job or a replayed dead letter never reaches the phone twice.
 *
 * Outcomes of a send: accepted -> `sent` with the gateway's requestIdentifier; refused
 * (unknown, barred, opted-out number, policy) -> `failed` for good, no retry; timeout or
 * service error -> `last_error` recorded, the row stays `queued` and the job throws so
 * BullMQ retries with capped backoff; after the last attempt it is a dead letter ops can
 * replay. No full phone number is written to `last_error` or to an error message.
 *
 * Marketing: queueSms refuses kind `marketing` (SMS_MARKETING_NOT_ENABLED) until consent,
 * opt-out and quiet hours (no marketing 21:00-08:00) are enforced; the later issue adds
 * them in checkSendPolicy, which the worker runs before every send, and lifts the refusal.
 */
import { DomainError, invariant } from '../core/domain-error.js';
import { maskMobile, parseMobile } from '../core/identity.js';
import { checkSmsText } from '../core/sms-segments.js';
import type { Database, Queryable } from '../db/database.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_SMS_OUTBOUND } from '../queue/queues.js';
import type { JobHandler } from '../queue/workers.js';
import type { SmsPort, SmsSendOutcome } from './sms.port.js';

export const SMS_KINDS = ['transactional', 'marketing'] as const;
export type SmsKind = (typeof SMS_KINDS)[number];
export type SmsStatus = 'queued' | 'sent' | 'failed';

/** Job name of a send on QUEUE_SMS_OUTBOUND; the payload is `{ smsId }`. */
export const SMS_SEND_JOB = 'send';
/** Messages of this template carry a one-time code, which is blanked in the stored text once sent. */
export const OTP_TEMPLATE = 'otp';
/**
 * Our reference of one message, and the gateway's de-duplication key: letters, digits and
 * `. _ : -`, at most 64 characters (what the wire's correlator accepts, adapters/sms/wsdl).
 * Callers derive it from what the message is about (`otp-123`, `receipt-RC-…`), so that a
 * business retry of the same message reuses it.
 */
export const SMS_REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Template name: which kind of message this is (`otp`, `repayment_receipt`), for ops and the later catalogue. */
export const SMS_TEMPLATE_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
/** Longest last_error kept, in characters. */
export const SMS_LAST_ERROR_CHARS_MAX = 500;

export interface QueueSmsInput {
  /** 11-digit mainland mobile number (a +86 prefix or spaces are accepted and dropped). */
  msisdn: string;
  template: string;
  /** The whole text; at most SMS_SEGMENTS_MAX segments. */
  text: string;
  kind: SmsKind;
  /** Unique per message; queueing the same reference again is a no-op. */
  reference: string;
}

export interface QueuedSms {
  smsId: number;
  /** True when the reference was queued before: nothing was stored or enqueued this time. */
  duplicate: boolean;
}

function checkInput(input: QueueSmsInput): QueueSmsInput {
  const reference = typeof input.reference === 'string' ? input.reference : '';
  if (!SMS_REFERENCE_PATTERN.test(reference)) {
    throw new DomainError('SMS_REFERENCE_INVALID', 'reference must be 1 to 64 letters, digits or . _ : - (starting with a letter or digit)', 'reference');
  }
  const template = typeof input.template === 'string' ? input.template : '';
  if (!SMS_TEMPLATE_PATTERN.test(template)) {
    throw new DomainError('SMS_TEMPLATE_INVALID', 'template must be 1 to 64 lower-case letters, digits or _ . -', 'template');
  }
  if (!(SMS_KINDS as readonly unknown[]).includes(input.kind)) throw new DomainError('SMS_KIND_INVALID', `kind must be one of ${SMS_KINDS.join(', ')}`, 'kind');
  if (input.kind === 'marketing') {
    // Fail closed: a marketing message queued now would be sent without the consent, opt-out
    // and quiet-hour checks, which do not exist yet (see the header comment).
    throw new DomainError('SMS_MARKETING_NOT_ENABLED', 'marketing SMS are not sent until consent, opt-out and quiet hours are enforced', 'kind');
  }
  checkSmsText(input.text, 'text');
  return { msisdn: parseMobile(input.msisdn, 'msisdn'), template, text: input.text, kind: input.kind, reference };
}

interface SmsRow {
  id: number;
  reference: string;
  msisdn: string;
  template: string;
  text: string;
  kind: SmsKind;
  status: SmsStatus;
}

/**
 * Stores the message and its send job in the caller's transaction `tx`. A reference queued
 * before returns the existing id with `duplicate: true` and enqueues nothing; the same
 * reference for a different message is a bug in the caller and throws SMS_REFERENCE_REUSED.
 */
export async function queueSms(tx: Queryable, input: QueueSmsInput): Promise<QueuedSms> {
  const message = checkInput(input);
  // ON CONFLICT DO NOTHING: a concurrent transaction inserting the same reference makes this
  // one wait for it, then see its row below instead of failing on the unique index.
  const inserted = await tx.query<{ id: number }>(
    `INSERT INTO sms_messages (reference, msisdn, template, text, kind) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (reference) DO NOTHING RETURNING id`,
    [message.reference, message.msisdn, message.template, message.text, message.kind]);
  const smsId = inserted[0]?.id;
  if (smsId !== undefined) {
    await enqueueInTransaction(tx, { queue: QUEUE_SMS_OUTBOUND, name: SMS_SEND_JOB, payload: { smsId } });
    return { smsId, duplicate: false };
  }
  const [existing] = await tx.query<SmsRow>(
    `SELECT id, reference, msisdn, template, text, kind, status FROM sms_messages WHERE reference = $1`, [message.reference]);
  invariant(existing !== undefined, `sms_messages holds reference ${message.reference} after a conflict on it`);
  const same = existing.msisdn === message.msisdn && existing.template === message.template && existing.text === message.text && existing.kind === message.kind;
  if (!same) {
    throw new DomainError('SMS_REFERENCE_REUSED', `reference ${message.reference} was already used for a different message`, 'reference');
  }
  return { smsId: existing.id, duplicate: true };
}

// ---------------------------------------------------------------- sending

/**
 * Whether a stored message may go out now. Transactional messages always may. This is the
 * seam for the marketing rules of the later issue (consent, opt-out, quiet hours): they are
 * checked at send time, not queue time, because a retry may run hours later.
 */
export function checkSendPolicy(row: Pick<SmsRow, 'kind'>): { refuse: string; detail: string } | undefined {
  if (row.kind === 'marketing') return { refuse: 'SMS_MARKETING_NOT_ENABLED', detail: 'marketing SMS are not sent yet' };
  return undefined;
}

export interface SmsSendDeps {
  db: Database;
  sms: SmsPort;
}

export type SmsSendResult =
  | { status: 'skipped'; current: SmsStatus | 'missing' }
  | { status: 'sent'; requestIdentifier: string; segments: number }
  | { status: 'failed'; code: string }
  | { status: 'retry'; code: string; error: string };

/** Any mainland mobile number inside free text, masked; a port other than ours may not mask its details. */
function maskNumbers(text: string): string {
  return text.replace(/(?:\+?86)?(1[3-9]\d{9})(?!\d)/g, (_all, mobile: string) => maskMobile(mobile));
}

function errorText(outcome: Exclude<SmsSendOutcome, { kind: 'accepted' }>): string {
  return maskNumbers(`${outcome.code}: ${outcome.detail}`.replace(/\s+/g, ' ')).slice(0, SMS_LAST_ERROR_CHARS_MAX);
}

async function markFailed(db: Queryable, smsId: number, error: string): Promise<void> {
  await db.query(`UPDATE sms_messages SET status = 'failed', last_error = $2, updated_at = now() WHERE id = $1 AND status = 'queued'`, [smsId, error]);
}

/**
 * Sends one stored message unless it is already settled. The gateway call runs outside any
 * transaction; each update only moves a `queued` row, so a second run of the same job that
 * raced this one changes nothing.
 */
export async function sendQueuedSms(deps: SmsSendDeps, smsId: number): Promise<SmsSendResult> {
  const [row] = await deps.db.query<SmsRow>(
    `SELECT id, reference, msisdn, template, text, kind, status FROM sms_messages WHERE id = $1`, [smsId]);
  if (!row) return { status: 'skipped', current: 'missing' };
  if (row.status !== 'queued') return { status: 'skipped', current: row.status };
  const policy = checkSendPolicy(row);
  if (policy) {
    await markFailed(deps.db, smsId, `${policy.refuse}: ${policy.detail}`);
    return { status: 'failed', code: policy.refuse };
  }
  const outcome = await deps.sms.send({ msisdn: row.msisdn, text: row.text, reference: row.reference });
  switch (outcome.kind) {
    case 'accepted':
      // Once sent, a one-time code has done its job on the handset; the stored copy keeps no code.
      await deps.db.query(
        `UPDATE sms_messages SET status = 'sent', gateway_request_id = $2, last_error = NULL, updated_at = now(),
           text = CASE WHEN template = $3 THEN regexp_replace(text, '[0-9]{6}', '******', 'g') ELSE text END
         WHERE id = $1 AND status = 'queued'`,
        [smsId, outcome.requestIdentifier, OTP_TEMPLATE]);
      return { status: 'sent', requestIdentifier: outcome.requestIdentifier, segments: outcome.segments };
    case 'refused':
      await markFailed(deps.db, smsId, errorText(outcome));
      return { status: 'failed', code: outcome.code };
    case 'timeout':
    case 'service_error': {
      const error = errorText(outcome);
      await deps.db.query(`UPDATE sms_messages SET last_error = $2, updated_at = now() WHERE id = $1 AND status = 'queued'`, [smsId, error]);
      return { status: 'retry', code: outcome.code, error };
    }
  }
}

/** Thrown after recording a gateway failure, so the queue retries with backoff. */
export class SmsGatewayUnavailableError extends Error {
  constructor(readonly smsId: number, readonly code: string, error: string) {
    super(`SMS ${smsId} not sent yet: ${error}`);
    this.name = 'SmsGatewayUnavailableError';
  }
}

/** The QUEUE_SMS_OUTBOUND handler: sends the job's message; a timeout or service error is recorded, then thrown. */
export function smsSendHandler(deps: SmsSendDeps): JobHandler {
  return async (job) => {
    const smsId = (job.data as { smsId?: unknown } | null)?.smsId;
    if (typeof smsId !== 'number' || !Number.isSafeInteger(smsId) || smsId <= 0) throw new Error('SMS send job without a numeric smsId');
    const result = await sendQueuedSms(deps, smsId);
    if (result.status === 'retry') throw new SmsGatewayUnavailableError(smsId, result.code, result.error);
  };
}
