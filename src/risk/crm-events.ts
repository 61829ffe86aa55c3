/**
 * The CRM's change feed: status changes, SIM swaps, cancellations and port-outs. Each
 * event counts once (by the carrier's event id) and, for a person who consented to post-loan
 * monitoring, updates the stored profile of the number
 * and is published as `crm.subscriber_changed` for post-loan monitoring, naming the loans
 * of the person rather than the number itself.
 */
import { parseCalendarDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import { parseMobile } from '../core/identity.js';
import { CRM_CHANGE_TYPES, SUBSCRIBER_STATUSES, type CrmChangeEvent, type SubscriberProfile } from '../core/subscriber-profile.js';
import type { Database, Queryable } from '../db/database.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';

const EVENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * One change-feed body (JSON already parsed) as a typed event, or an error naming the field.
 * Fields the contract does not know are ignored, so the carrier may add some; `status` and
 * `simIssuedOn` must appear exactly where the contract puts them (adapters/crm/wsdl/README.md).
 */
export function parseCrmChangeEvent(body: unknown): CrmChangeEvent {
  const fail = (field: string, reason: string): never => { throw new DomainError('CRM_EVENT_INVALID', `${field} ${reason}`, field); };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  const eventId = typeof b.eventId === 'string' && EVENT_ID_PATTERN.test(b.eventId) ? b.eventId : fail('eventId', 'must be 1-64 letters, digits or _.:-');
  const type = CRM_CHANGE_TYPES.find((t) => t === b.type) ?? fail('type', `must be one of ${CRM_CHANGE_TYPES.join(', ')}`);
  const occurredAt = typeof b.occurredAt === 'string' && ISO_INSTANT.test(b.occurredAt) && !Number.isNaN(Date.parse(b.occurredAt))
    ? b.occurredAt : fail('occurredAt', 'must be an ISO 8601 instant with a time zone');
  const msisdn = typeof b.msisdn === 'string' && /^\d{11}$/.test(b.msisdn) ? parseMobile(b.msisdn, 'msisdn') : fail('msisdn', 'must be an 11-digit mainland mobile number');
  const event: CrmChangeEvent = { eventId, msisdn, type, occurredAt };
  if (type === 'status_changed') {
    event.status = SUBSCRIBER_STATUSES.find((s) => s === b.status) ?? fail('status', `must be one of ${SUBSCRIBER_STATUSES.join(', ')} for status_changed`);
  } else if (type === 'number_cancelled' && b.status !== undefined) {
    event.status = b.status === 'cancelled' ? 'cancelled' : fail('status', 'can only be cancelled for number_cancelled');
  } else if (b.status !== undefined) {
    fail('status', `is not part of a ${type} event`);
  }
  if (type === 'sim_swapped') {
    try {
      event.simIssuedOn = parseCalendarDate(b.simIssuedOn, 'simIssuedOn');
    } catch {
      fail('simIssuedOn', 'must be a calendar date YYYY-MM-DD for sim_swapped');
    }
  } else if (b.simIssuedOn !== undefined) {
    fail('simIssuedOn', `is not part of a ${type} event`);
  }
  return event;
}

export interface CrmEventReceipt {
  eventId: string;
  duplicate: boolean;
  /** False when the person gave no (or withdrew the) consent to post-loan monitoring. */
  monitored: boolean;
  profileUpdated: boolean;
  loansAffected: number;
}

/** The profile after the change; groups the snapshot does not hold stay absent. */
export function applyChangeToProfile(profile: SubscriberProfile, event: CrmChangeEvent, date: string): SubscriberProfile {
  switch (event.type) {
    case 'status_changed':
      return profile.status && event.status ? { ...profile, status: { status: event.status, since: date } } : profile;
    case 'number_cancelled':
    case 'ported_out':
      return profile.status ? { ...profile, status: { status: 'cancelled', since: date } } : profile;
    case 'sim_swapped':
      return profile.device
        ? { ...profile, device: { ...profile.device, simIssuedOn: event.simIssuedOn ?? date, lastSimSwapOn: event.simIssuedOn ?? date } }
        : profile;
  }
}

async function updateSnapshot(tx: Queryable, event: CrmChangeEvent, date: string): Promise<boolean> {
  const rows = await tx.query<{ profile: SubscriberProfile }>(`SELECT profile FROM subscriber_snapshots WHERE msisdn = $1 FOR UPDATE`, [event.msisdn]);
  if (!rows[0]) return false;
  const next = applyChangeToProfile(rows[0].profile, event, date);
  await tx.query(`UPDATE subscriber_snapshots SET profile = $2::jsonb, updated_at = now() WHERE msisdn = $1`, [event.msisdn, JSON.stringify(next)]);
  return true;
}

export async function recordCrmEvent(db: Database, event: CrmChangeEvent, shanghaiDateOf: (iso: string) => string): Promise<CrmEventReceipt> {
  return db.transaction(async (tx) => {
    const inserted = await tx.query<{ event_id: string }>(
      `INSERT INTO crm_events (event_id, msisdn, type, occurred_at, detail) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.eventId, event.msisdn, event.type, event.occurredAt,
        JSON.stringify({ ...(event.status ? { status: event.status } : {}), ...(event.simIssuedOn ? { simIssuedOn: event.simIssuedOn } : {}) })]);
    if (!inserted[0]) return { eventId: event.eventId, duplicate: true, monitored: false, profileUpdated: false, loansAffected: 0 };
    // Post-loan monitoring is a purpose of its own: without that consent the event changes nothing.
    const [consent] = await tx.query<{ id: number }>(
      `SELECT id FROM consents WHERE mobile = $1 AND purpose = 'post_loan_monitoring' AND revoked_at IS NULL LIMIT 1`, [event.msisdn]);
    if (!consent) return { eventId: event.eventId, duplicate: false, monitored: false, profileUpdated: false, loansAffected: 0 };
    // An older event arriving after a newer one must not overwrite the newer state.
    const [newer] = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM crm_events WHERE msisdn = $1 AND type = $2 AND occurred_at > $3 AND event_id <> $4`,
      [event.msisdn, event.type, event.occurredAt, event.eventId]);
    const profileUpdated = newer!.n === 0 ? await updateSnapshot(tx, event, shanghaiDateOf(event.occurredAt)) : false;
    const loans = await tx.query<{ id: number }>(
      `SELECT l.id FROM loans l JOIN borrowers b ON b.id = l.borrower_id
       WHERE b.mobile = $1 AND l.status IN ('approved', 'contracted', 'active', 'overdue') ORDER BY l.id`, [event.msisdn]);
    if (loans.length > 0) {
      await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'crm.subscriber_changed',
        payload: { eventId: event.eventId, type: event.type, occurredAt: event.occurredAt, loanIds: loans.map((l) => l.id),
          ...(event.status ? { status: event.status } : {}) } });
    }
    return { eventId: event.eventId, duplicate: false, monitored: true, profileUpdated, loansAffected: loans.length };
  });
}
