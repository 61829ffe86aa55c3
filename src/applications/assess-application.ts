/**
 * The assessment job of an application: the CRM lookup under the recorded consent, then
 * the initial review's list model and identity match. A CRM that cannot answer leaves the
 * application visibly in `crm_pending` and the job is retried; after CRM_ATTEMPTS_MAX the
 * application goes to manual review. Nothing here ever approves: approval needs the
 * callback and the risk step (record-callback-result.ts).
 */
import { identityReview, listModelReview } from '../core/initial-review.js';
import { hit, sortHitsBySeverity, type ReasonHit } from '../core/reason-codes.js';
import { FIELD_GROUPS_BY_PURPOSE, minimiseProfile, type SubscriberProfile } from '../core/subscriber-profile.js';
import type { Database, Queryable } from '../db/database.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';
import type { CrmPort, SubscriberLookupOutcome } from '../risk/crm.port.js';
import { listFactsFor } from '../risk/risk-lists.js';
import { lockApplication, findApplication, moveApplication, type ApplicationRecord } from './application-repository.js';

/** CRM lookups per application before a person takes over. */
export const CRM_ATTEMPTS_MAX = 5;
const PURPOSE = 'credit_assessment';

export interface AssessmentDeps {
  db: Database;
  crm: CrmPort;
  clock: () => Date;
}

export type AssessmentResult =
  | { status: 'skipped'; current: string }
  | { status: 'crm_pending'; attempts: number; error: string }
  | { status: 'refused' | 'awaiting_callback' | 'manual_review'; hits: ReasonHit[] };

/** Thrown after recording a CRM failure, so the queue retries with backoff. */
export class CrmUnavailableError extends Error {
  constructor(readonly applicationId: number, detail: string) {
    super(`CRM lookup for application ${applicationId} failed: ${detail}`);
    this.name = 'CrmUnavailableError';
  }
}

async function storeSnapshot(tx: Queryable, app: ApplicationRecord, profile: SubscriberProfile, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO subscriber_snapshots (msisdn, id_number, purpose, consent_id, profile, device_id, fetched_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)
     ON CONFLICT (msisdn) DO UPDATE SET id_number = EXCLUDED.id_number, purpose = EXCLUDED.purpose, consent_id = EXCLUDED.consent_id,
       profile = EXCLUDED.profile, device_id = EXCLUDED.device_id, fetched_at = EXCLUDED.fetched_at, updated_at = EXCLUDED.updated_at`,
    [app.mobile, app.idNumber, PURPOSE, app.consentId, JSON.stringify(profile), profile.device?.deviceId ?? null, now]);
}

async function applyOutcome(tx: Queryable, app: ApplicationRecord, outcome: SubscriberLookupOutcome, now: Date): Promise<AssessmentResult> {
  switch (outcome.kind) {
    case 'timeout':
    case 'service_error': {
      const attempts = app.crmAttempts + 1;
      const error = `${outcome.code}: ${outcome.detail}`.slice(0, 500);
      if (attempts >= CRM_ATTEMPTS_MAX) {
        const hits = [hit('CRM_UNAVAILABLE', { attempts, lastError: outcome.code })];
        await moveApplication(tx, app, 'manual_review', { crmAttempts: attempts, lastError: error, hits });
        return { status: 'manual_review', hits };
      }
      await moveApplication(tx, app, 'crm_pending', { crmAttempts: attempts, lastError: error });
      return { status: 'crm_pending', attempts, error };
    }
    case 'unknown_subscriber':
    case 'refused': {
      const hits = [outcome.kind === 'unknown_subscriber' ? hit('SUBSCRIBER_UNKNOWN', { carrierCode: outcome.code })
        : hit('CRM_ACCESS_REFUSED', { carrierCode: outcome.code })];
      await moveApplication(tx, app, 'refused', { crmAttempts: app.crmAttempts + 1, lastError: null, hits });
      return { status: 'refused', hits };
    }
    case 'found': {
      const profile = minimiseProfile(outcome.profile, PURPOSE);
      await storeSnapshot(tx, app, profile, now);
      const hits = sortHitsBySeverity([...listModelReview(await listFactsFor(tx, app.idNumber, app.name)), ...identityReview(app, profile)]);
      if (hits.some((h) => h.severity === 'refuse')) {
        await moveApplication(tx, app, 'refused', { crmAttempts: app.crmAttempts + 1, lastError: null, hits });
        return { status: 'refused', hits };
      }
      const [task] = await tx.query<{ id: number }>(
        `INSERT INTO callback_tasks (application_id) VALUES ($1) ON CONFLICT (application_id) DO UPDATE SET application_id = EXCLUDED.application_id
         RETURNING id`, [app.id]);
      await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'application.callback_requested',
        payload: { applicationId: app.id, callbackTaskId: task!.id } });
      await moveApplication(tx, app, 'awaiting_callback', { crmAttempts: app.crmAttempts + 1, lastError: null, hits });
      return { status: 'awaiting_callback', hits };
    }
  }
}

export async function assessApplication(deps: AssessmentDeps, applicationId: number): Promise<AssessmentResult> {
  const before = await findApplication(deps.db, applicationId);
  if (!before) return { status: 'skipped', current: 'missing' };
  if (before.status !== 'received' && before.status !== 'crm_pending') return { status: 'skipped', current: before.status };
  const [consent] = await deps.db.query<{ revoked_at: Date | null }>(`SELECT revoked_at FROM consents WHERE id = $1`, [before.consentId]);
  // A withdrawn consent refuses the application without asking the CRM anything.
  const outcome: SubscriberLookupOutcome | 'consent_revoked' = consent!.revoked_at !== null ? 'consent_revoked'
    : await deps.crm.lookupSubscriber({
      msisdn: before.mobile, purpose: PURPOSE, consentRef: `consent-${before.consentId}`,
      fields: FIELD_GROUPS_BY_PURPOSE[PURPOSE], referenceCode: `application-${before.id}`,
    });
  // The CRM call ran outside any transaction; the row is locked and re-checked only to apply its answer.
  return deps.db.transaction(async (tx) => {
    const app = await lockApplication(tx, applicationId);
    if (app.status !== 'received' && app.status !== 'crm_pending') return { status: 'skipped' as const, current: app.status };
    if (outcome === 'consent_revoked') {
      const hits = [hit('CONSENT_REVOKED', { consentId: app.consentId })];
      await moveApplication(tx, app, 'refused', { hits });
      return { status: 'refused' as const, hits };
    }
    return applyOutcome(tx, app, outcome, deps.clock());
  });
}

/** The queue handler: a CRM failure is recorded, then thrown so BullMQ retries with backoff. */
export function assessmentHandler(deps: AssessmentDeps) {
  return async (job: { data: unknown }): Promise<void> => {
    const applicationId = (job.data as { applicationId?: unknown }).applicationId;
    if (typeof applicationId !== 'number' || !Number.isSafeInteger(applicationId)) throw new Error('assessment job without a numeric applicationId');
    const result = await assessApplication(deps, applicationId);
    if (result.status === 'crm_pending') throw new CrmUnavailableError(applicationId, result.error);
  };
}
