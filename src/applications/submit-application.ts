/**
 * Intake of a loan application from any channel. The application, the consents it brings
 * and the message that starts its assessment are written in one transaction; the CRM is
 * only asked later, by the assessment job, and only under the recorded consent.
 */
import { APPLICATION_CHANNELS, CONSENT_METHODS, type ApplicationChannel, type ConsentMethod } from '../core/application-state.js';
import { PLATFORM_BORROWING_CAP_FEN } from '../core/borrowing-cap.js';
import { DomainError } from '../core/domain-error.js';
import { parseIdNumber, parseMobile, parsePersonName } from '../core/identity.js';
import { assertFen, assertPositiveFen, type Fen } from '../core/money.js';
import { parseRatePercent, type RatePpm } from '../core/rate.js';
import { isRepaymentMethod, type RepaymentMethod } from '../core/schedule.js';
import type { Database, Queryable } from '../db/database.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_APPLICATIONS } from '../queue/queues.js';

export const CONSENT_PURPOSES = ['credit_assessment', 'post_loan_monitoring', 'marketing'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONTACTS_MAX = 5;
export const APPLICATION_TERM_MONTHS_MAX = 60;
/** A consent signed long before the application is not the informed consent for it. */
export const CONSENT_AGE_DAYS_MAX = 30;
const DAY_MS = 86_400_000;

export interface ApplicationInput {
  channel: string;
  staffId: string;
  storeCode?: string;
  applicant: { name: string; idNumber: string; mobile: string; county: string; village: string; contacts?: string[] };
  request: { amountFen: number; termMonths: number; purpose: string; method?: string; maxAnnualRatePercent?: string | number };
  otherPlatformsDebt: { amountFen: number; source: 'declared' | 'bureau' };
  consent: { purposes: string[]; method: string; evidenceRef: string; grantedAt: string };
}

export interface ParsedApplication {
  channel: ApplicationChannel;
  staffId: string;
  storeCode: string | null;
  name: string;
  idNumber: string;
  mobile: string;
  county: string;
  village: string;
  contacts: string[];
  amountFen: Fen;
  termMonths: number;
  purpose: string;
  method: RepaymentMethod | null;
  maxAnnualRatePpm: RatePpm | null;
  otherPlatformsDebtFen: Fen;
  otherPlatformsDebtSource: 'declared' | 'bureau';
  consent: { purposes: ConsentPurpose[]; method: ConsentMethod; evidenceRef: string; grantedAt: Date };
}

function text(value: string, field: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max || /[\u0000-\u001f]/.test(trimmed)) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be 1 to ${max} printable characters`, field);
  }
  return trimmed;
}

function oneOf<T extends string>(values: readonly T[], value: string, field: string): T {
  if (!(values as readonly string[]).includes(value)) throw new DomainError('VALIDATION_FAILED', `${field} must be one of ${values.join(', ')}`, field);
  return value as T;
}

export function parseApplication(input: ApplicationInput, now: Date): ParsedApplication {
  const channel = oneOf(APPLICATION_CHANNELS, input.channel, 'channel');
  if (channel === 'store_pos' && !input.storeCode) throw new DomainError('VALIDATION_FAILED', 'storeCode is required for applications taken at a store', 'storeCode');
  const mobile = parseMobile(input.applicant.mobile, 'applicant.mobile');
  const contacts = [...new Set((input.applicant.contacts ?? []).map((c, i) => parseMobile(c, `applicant.contacts[${i}]`)))];
  if (contacts.length > CONTACTS_MAX) throw new DomainError('VALIDATION_FAILED', `applicant.contacts holds at most ${CONTACTS_MAX} numbers`, 'applicant.contacts');
  if (contacts.includes(mobile)) throw new DomainError('VALIDATION_FAILED', 'applicant.contacts must not include the applicant\'s own number', 'applicant.contacts');
  assertPositiveFen(input.request.amountFen, 'request.amountFen');
  if (input.request.amountFen > PLATFORM_BORROWING_CAP_FEN) {
    throw new DomainError('VALIDATION_FAILED', `request.amountFen must not exceed the platform cap of ${PLATFORM_BORROWING_CAP_FEN} fen`, 'request.amountFen');
  }
  const { termMonths } = input.request;
  if (!Number.isInteger(termMonths) || termMonths < 1 || termMonths > APPLICATION_TERM_MONTHS_MAX) {
    throw new DomainError('VALIDATION_FAILED', `request.termMonths must be a whole number from 1 to ${APPLICATION_TERM_MONTHS_MAX}`, 'request.termMonths');
  }
  const method = input.request.method ?? null;
  if (method !== null && !isRepaymentMethod(method)) throw new DomainError('VALIDATION_FAILED', 'request.method is not a known repayment method', 'request.method');
  assertFen(input.otherPlatformsDebt.amountFen, 'otherPlatformsDebt.amountFen');
  if (input.otherPlatformsDebt.amountFen < 0) throw new DomainError('VALIDATION_FAILED', 'otherPlatformsDebt.amountFen must not be negative', 'otherPlatformsDebt.amountFen');
  const purposes = [...new Set(input.consent.purposes.map((p, i) => oneOf(CONSENT_PURPOSES, p, `consent.purposes[${i}]`)))];
  if (!purposes.includes('credit_assessment')) {
    throw new DomainError('CONSENT_REQUIRED', 'consent.purposes must include credit_assessment: carrier data is read only with consent', 'consent.purposes');
  }
  const grantedAt = new Date(input.consent.grantedAt);
  if (Number.isNaN(grantedAt.getTime())) throw new DomainError('VALIDATION_FAILED', 'consent.grantedAt must be an ISO 8601 time', 'consent.grantedAt');
  if (grantedAt.getTime() > now.getTime() + 5 * 60_000) throw new DomainError('VALIDATION_FAILED', 'consent.grantedAt is in the future', 'consent.grantedAt');
  if (now.getTime() - grantedAt.getTime() > CONSENT_AGE_DAYS_MAX * DAY_MS) {
    throw new DomainError('CONSENT_REQUIRED', `consent.grantedAt is more than ${CONSENT_AGE_DAYS_MAX} days old; ask for consent again`, 'consent.grantedAt');
  }
  return {
    channel, staffId: text(input.staffId, 'staffId', 32), storeCode: input.storeCode ? text(input.storeCode, 'storeCode', 32) : null,
    name: parsePersonName(input.applicant.name, 'applicant.name'), idNumber: parseIdNumber(input.applicant.idNumber, 'applicant.idNumber'),
    mobile, county: text(input.applicant.county, 'applicant.county', 50), village: text(input.applicant.village, 'applicant.village', 50), contacts,
    amountFen: input.request.amountFen, termMonths, purpose: text(input.request.purpose, 'request.purpose', 200), method,
    maxAnnualRatePpm: input.request.maxAnnualRatePercent === undefined ? null
      : parseRatePercent(input.request.maxAnnualRatePercent, 'request.maxAnnualRatePercent'),
    otherPlatformsDebtFen: input.otherPlatformsDebt.amountFen, otherPlatformsDebtSource: input.otherPlatformsDebt.source,
    consent: { purposes, method: oneOf(CONSENT_METHODS, input.consent.method, 'consent.method'),
      evidenceRef: text(input.consent.evidenceRef, 'consent.evidenceRef', 128), grantedAt },
  };
}

async function recordConsents(tx: Queryable, a: ParsedApplication): Promise<Map<ConsentPurpose, number>> {
  const ids = new Map<ConsentPurpose, number>();
  for (const purpose of a.consent.purposes) {
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO consents (id_number, mobile, purpose, method, evidence_ref, channel, granted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [a.idNumber, a.mobile, purpose, a.consent.method, a.consent.evidenceRef, a.channel, a.consent.grantedAt]);
    ids.set(purpose, row!.id);
  }
  return ids;
}

export async function submitApplication(db: Database, input: ApplicationInput, now: Date): Promise<{ id: number; status: 'received' }> {
  const a = parseApplication(input, now);
  return db.transaction(async (tx) => {
    // Serialises applications of one person so the open-application check cannot race.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('application:' || $1))`, [a.idNumber]);
    const open = await tx.query<{ id: number; status: string }>(
      `SELECT id, status FROM applications WHERE id_number = $1
         AND status IN ('received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved')`, [a.idNumber]);
    if (open[0]) {
      throw new DomainError('APPLICATION_ALREADY_OPEN', `the applicant already has application ${open[0].id} in progress (${open[0].status})`, 'applicant.idNumber');
    }
    const consentIds = await recordConsents(tx, a);
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO applications (channel, staff_id, store_code, name, id_number, mobile, county, village, requested_amount_fen,
         term_months, method, max_annual_rate_ppm, purpose, contacts, other_platforms_debt_fen, other_platforms_debt_source,
         consent_id, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'received', $18, $18) RETURNING id`,
      [a.channel, a.staffId, a.storeCode, a.name, a.idNumber, a.mobile, a.county, a.village, a.amountFen, a.termMonths, a.method,
        a.maxAnnualRatePpm, a.purpose, a.contacts, a.otherPlatformsDebtFen, a.otherPlatformsDebtSource,
        consentIds.get('credit_assessment')!, now]);
    await enqueueInTransaction(tx, { queue: QUEUE_APPLICATIONS, name: 'assess', payload: { applicationId: row!.id } });
    return { id: row!.id, status: 'received' as const };
  });
}
