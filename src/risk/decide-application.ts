/**
 * Gathers what a credit decision needs, runs the core's assessment with the active
 * scorecard and stores the decision with its exact inputs, so it can be replayed later.
 */
import { isDeepStrictEqual } from 'node:util';
import { shanghaiDate } from '../core/calendar-date.js';
import { assessCredit, type CreditAssessment, type CreditAssessmentInputs } from '../core/credit-assessment.js';
import { DomainError } from '../core/domain-error.js';
import { DEFAULT_FRAUD_LIMITS } from '../core/fraud-rules.js';
import { parseHomeVisit, parseInstallerSurvey } from '../core/risk-features.js';
import type { SubscriberProfile } from '../core/subscriber-profile.js';
import type { Queryable } from '../db/database.js';
import { latestForm, moveApplication, type ApplicationRecord } from '../applications/application-repository.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';
import { listFactsFor } from './risk-lists.js';
import { activeScorecard, findScorecard } from './scorecard-repository.js';

/** Applications older than this no longer count for rings of shared contacts. */
const RING_WINDOW_DAYS = 180;

export async function storedProfile(q: Queryable, msisdn: string): Promise<SubscriberProfile> {
  const rows = await q.query<{ profile: SubscriberProfile }>(`SELECT profile FROM subscriber_snapshots WHERE msisdn = $1`, [msisdn]);
  if (!rows[0]) throw new DomainError('CRM_PROFILE_MISSING', 'no carrier profile is stored for the applicant; the CRM lookup has not succeeded', 'mobile');
  return rows[0].profile;
}

async function smallestProductMinFen(q: Queryable): Promise<number> {
  const [row] = await q.query<{ n: number }>(`SELECT coalesce(min(min_amount_fen), 0)::bigint AS n FROM products WHERE status = 'active'`);
  if (row!.n <= 0) throw new DomainError('NO_ACTIVE_PRODUCTS', 'no product is active; nothing could be offered', 'products');
  return row!.n;
}

interface CrossChecks {
  on_device: number;
  sharing_contacts: number;
  store_today: number | null;
  staff_today: number;
  open_principal: number;
}

/** The counts the anti-fraud rules and the caps need, in one round trip. */
async function crossChecks(q: Queryable, app: ApplicationRecord, deviceId: string | null, now: Date, dayStart: string): Promise<CrossChecks> {
  const [row] = await q.query<CrossChecks>(
    `SELECT
       (SELECT count(DISTINCT id_number) FROM subscriber_snapshots WHERE $3::text IS NOT NULL AND device_id = $3 AND id_number <> $1)::int AS on_device,
       (SELECT count(DISTINCT id_number) FROM applications
         WHERE cardinality($2::text[]) >= 2 AND id_number <> $1 AND created_at > $4::timestamptz - make_interval(days => $5)
           AND contacts && $2::text[] AND cardinality(ARRAY(SELECT unnest(contacts) INTERSECT SELECT unnest($2::text[]))) >= 2)::int AS sharing_contacts,
       CASE WHEN $6::text IS NULL THEN NULL
         ELSE (SELECT count(*) FROM applications WHERE store_code = $6 AND created_at >= $8::timestamptz)::int END AS store_today,
       (SELECT count(*) FROM applications WHERE staff_id = $7 AND channel = $9 AND created_at >= $8::timestamptz)::int AS staff_today,
       (SELECT coalesce(sum(l.principal_fen), 0) FROM loans l JOIN borrowers b ON b.id = l.borrower_id
         WHERE b.id_number = $1 AND l.status IN ('applied', 'approved', 'contracted', 'active', 'overdue'))::bigint AS open_principal`,
    [app.idNumber, app.contacts, deviceId, now, RING_WINDOW_DAYS, app.storeCode, app.staffId, dayStart, app.channel]);
  return row!;
}

export async function gatherInputs(q: Queryable, app: ApplicationRecord, now: Date): Promise<CreditAssessmentInputs> {
  const asOf = shanghaiDate(now);
  const profile = await storedProfile(q, app.mobile);
  const survey = await latestForm(q, app.id, 'installer_survey');
  const visit = await latestForm(q, app.id, 'home_visit');
  // Applications of today, Asia/Shanghai, counted by their creation time.
  const counts = await crossChecks(q, app, profile.device?.deviceId ?? null, now, `${asOf}T00:00:00+08:00`);
  return {
    asOf,
    applicant: { name: app.name, idNumber: app.idNumber, village: app.village },
    requestedAmountFen: app.requestedAmountFen,
    termMonths: app.termMonths,
    profile,
    installerSurvey: survey === undefined ? null : parseInstallerSurvey(survey),
    homeVisit: visit === undefined ? null : parseHomeVisit(visit),
    listFacts: await listFactsFor(q, app.idNumber, app.name),
    otherPersonsOnDevice: counts.on_device,
    otherPersonsSharingContacts: counts.sharing_contacts,
    storeApplicationsToday: counts.store_today,
    staffApplicationsToday: counts.staff_today,
    fraudLimits: DEFAULT_FRAUD_LIMITS,
    openPlatformPrincipalFen: counts.open_principal,
    otherPlatformsDebtFen: app.otherPlatformsDebtFen,
    smallestProductMinFen: await smallestProductMinFen(q),
  };
}

export interface StoredDecision {
  id: number;
  applicationId: number;
  scorecardVersion: string;
  consentId: number;
  outcome: 'approved' | 'refused' | 'manual_review';
  score: number;
  grade: string;
  creditLimitFen: number;
  decidedBy: string;
  result: CreditAssessment & { override?: { by: string; reason: string; engineOutcome: string } };
  inputs: CreditAssessmentInputs;
  createdAt: Date;
}

interface DecisionRow {
  id: number; application_id: number; scorecard_version: string; consent_id: number; outcome: StoredDecision['outcome'];
  score: number; grade: string; credit_limit_fen: number; decided_by: string; result: StoredDecision['result'];
  inputs: CreditAssessmentInputs; created_at: Date;
}

const DECISION_COLUMNS = `id, application_id, scorecard_version, consent_id, outcome, score, grade, credit_limit_fen, decided_by, result, inputs, created_at`;

const decisionFromRow = (r: DecisionRow): StoredDecision => ({
  id: r.id, applicationId: r.application_id, scorecardVersion: r.scorecard_version, consentId: r.consent_id, outcome: r.outcome,
  score: r.score, grade: r.grade, creditLimitFen: r.credit_limit_fen, decidedBy: r.decided_by, result: r.result, inputs: r.inputs,
  createdAt: r.created_at,
});

export async function latestDecision(q: Queryable, applicationId: number): Promise<StoredDecision | undefined> {
  const rows = await q.query<DecisionRow>(
    `SELECT ${DECISION_COLUMNS} FROM credit_decisions WHERE application_id = $1 ORDER BY id DESC LIMIT 1`, [applicationId]);
  return rows[0] ? decisionFromRow(rows[0]) : undefined;
}

export async function findDecision(q: Queryable, id: number): Promise<StoredDecision | undefined> {
  const rows = await q.query<DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM credit_decisions WHERE id = $1`, [id]);
  return rows[0] ? decisionFromRow(rows[0]) : undefined;
}

async function insertDecision(
  tx: Queryable, app: ApplicationRecord, version: string, inputs: CreditAssessmentInputs, result: StoredDecision['result'],
  outcome: StoredDecision['outcome'], actor: string,
): Promise<StoredDecision> {
  const [row] = await tx.query<{ id: number; created_at: Date }>(
    `INSERT INTO credit_decisions (application_id, scorecard_version, consent_id, inputs, result, outcome, score, grade, credit_limit_fen, decided_by)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10) RETURNING id, created_at`,
    [app.id, version, app.consentId, JSON.stringify(inputs), JSON.stringify(result), outcome, result.score.score, result.score.grade,
      result.decision.creditLimitFen, actor]);
  await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'application.decided', payload: { applicationId: app.id, decisionId: row!.id, outcome } });
  return {
    id: row!.id, applicationId: app.id, scorecardVersion: version, consentId: app.consentId, outcome, score: result.score.score,
    grade: result.score.grade, creditLimitFen: result.decision.creditLimitFen, decidedBy: actor, result, inputs, createdAt: row!.created_at,
  };
}

/** Runs the risk step for a locked application and moves it to the outcome. */
export async function decideApplication(tx: Queryable, app: ApplicationRecord, now: Date, actor: string): Promise<StoredDecision> {
  const scorecard = await activeScorecard(tx);
  const inputs = await gatherInputs(tx, app, now);
  const result = assessCredit(inputs, scorecard);
  const outcome = result.decision.outcome;
  const decision = await insertDecision(tx, app, scorecard.version, inputs, result, outcome, actor);
  await moveApplication(tx, app, outcome, { hits: result.decision.reasons });
  return decision;
}

/** An officer's decision on an application in manual review; the engine's result is kept beside it. */
export async function overrideDecision(
  tx: Queryable, app: ApplicationRecord, outcome: 'approved' | 'refused', actor: string, reason: string,
): Promise<StoredDecision> {
  if (app.status !== 'manual_review') {
    throw new DomainError('APPLICATION_NOT_IN_REVIEW', `application ${app.id} is ${app.status}, not in manual review`, 'status');
  }
  const engine = await latestDecision(tx, app.id);
  if (!engine) throw new DomainError('APPLICATION_NOT_IN_REVIEW', `application ${app.id} has no decision to review`, 'status');
  if (outcome === 'approved' && engine.result.hits.some((h) => h.severity === 'refuse')) {
    throw new DomainError('DECISION_NOT_OVERRIDABLE', 'the decision carries a refusal reason that no reviewer may override', 'outcome');
  }
  if (outcome === 'approved' && engine.creditLimitFen <= 0) {
    throw new DomainError('DECISION_NOT_OVERRIDABLE', 'the applicant has no credit limit left under the borrowing caps', 'outcome');
  }
  const result = { ...engine.result, override: { by: actor, reason, engineOutcome: engine.result.decision.outcome } };
  const decision = await insertDecision(tx, app, engine.scorecardVersion, engine.inputs, result, outcome, actor);
  await moveApplication(tx, app, outcome);
  return decision;
}

export interface DecisionReplay {
  decisionId: number;
  scorecardVersion: string;
  matches: boolean;
  stored: CreditAssessment;
  replayed: CreditAssessment;
}

/** Recomputes a stored decision from its stored inputs and scorecard version. */
export async function replayDecision(q: Queryable, decisionId: number): Promise<DecisionReplay> {
  const decision = await findDecision(q, decisionId);
  if (!decision) throw new DomainError('DECISION_NOT_FOUND', `no decision ${decisionId}`, 'id');
  const card = await findScorecard(q, decision.scorecardVersion);
  if (!card) throw new DomainError('SCORECARD_NOT_FOUND', `decision ${decisionId} names scorecard ${decision.scorecardVersion}, which is missing`, 'scorecardVersion');
  const replayed = assessCredit(decision.inputs, card.definition);
  const { override: _override, ...stored } = decision.result;
  return { decisionId, scorecardVersion: decision.scorecardVersion, // Stored JSON has lost key order and undefined members; compare as JSON values.
    matches: isDeepStrictEqual(JSON.parse(JSON.stringify(replayed)), stored), stored, replayed };
}

/**
 * Decides again with today's data, e.g. after a home visit arrived late. Only before the
 * offer is accepted, and only once the callback has confirmed the application.
 */
export async function redecideApplication(tx: Queryable, app: ApplicationRecord, now: Date, actor: string): Promise<StoredDecision> {
  if (app.status !== 'approved' && app.status !== 'manual_review') {
    throw new DomainError('APPLICATION_NOT_DECIDABLE', `application ${app.id} is ${app.status}; only approved or reviewed applications are decided again`, 'status');
  }
  const [task] = await tx.query<{ result: string | null }>(`SELECT result FROM callback_tasks WHERE application_id = $1`, [app.id]);
  if (task?.result !== 'confirmed') {
    throw new DomainError('APPLICATION_NOT_DECIDABLE', `application ${app.id} has no confirmed callback`, 'status');
  }
  return decideApplication(tx, app, now, actor);
}
