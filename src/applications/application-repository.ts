/** Reading and moving applications; every status change goes through the core's state machine. */
import { assertApplicationTransition, type ApplicationChannel, type ApplicationStatus } from '../core/application-state.js';
import { DomainError } from '../core/domain-error.js';
import type { ReasonHit } from '../core/reason-codes.js';
import type { RatePpm } from '../core/rate.js';
import type { RepaymentMethod } from '../core/schedule.js';
import type { Queryable } from '../db/database.js';

export interface ApplicationRecord {
  id: number;
  channel: ApplicationChannel;
  staffId: string;
  storeCode: string | null;
  name: string;
  idNumber: string;
  mobile: string;
  county: string;
  village: string;
  requestedAmountFen: number;
  termMonths: number;
  method: RepaymentMethod | null;
  maxAnnualRatePpm: RatePpm | null;
  purpose: string;
  contacts: string[];
  otherPlatformsDebtFen: number;
  otherPlatformsDebtSource: 'declared' | 'bureau';
  consentId: number;
  status: ApplicationStatus;
  hits: ReasonHit[];
  crmAttempts: number;
  lastError: string | null;
  loanId: number | null;
  createdAt: Date;
}

const COLUMNS = `id, channel, staff_id, store_code, name, id_number, mobile, county, village, requested_amount_fen, term_months,
  method, max_annual_rate_ppm, purpose, contacts, other_platforms_debt_fen, other_platforms_debt_source, consent_id, status, hits,
  crm_attempts, last_error, loan_id, created_at`;

interface Row {
  id: number; channel: string; staff_id: string; store_code: string | null; name: string; id_number: string; mobile: string;
  county: string; village: string; requested_amount_fen: number; term_months: number; method: string | null;
  max_annual_rate_ppm: number | null; purpose: string; contacts: string[]; other_platforms_debt_fen: number;
  other_platforms_debt_source: string; consent_id: number; status: string; hits: ReasonHit[]; crm_attempts: number;
  last_error: string | null; loan_id: number | null; created_at: Date;
}

function fromRow(r: Row): ApplicationRecord {
  return {
    id: r.id, channel: r.channel as ApplicationChannel, staffId: r.staff_id, storeCode: r.store_code, name: r.name, idNumber: r.id_number,
    mobile: r.mobile, county: r.county, village: r.village, requestedAmountFen: r.requested_amount_fen, termMonths: r.term_months,
    method: r.method as RepaymentMethod | null, maxAnnualRatePpm: r.max_annual_rate_ppm, purpose: r.purpose, contacts: r.contacts,
    otherPlatformsDebtFen: r.other_platforms_debt_fen, otherPlatformsDebtSource: r.other_platforms_debt_source as 'declared' | 'bureau',
    consentId: r.consent_id, status: r.status as ApplicationStatus, hits: r.hits, crmAttempts: r.crm_attempts, lastError: r.last_error,
    loanId: r.loan_id, createdAt: r.created_at,
  };
}

export async function findApplication(q: Queryable, id: number): Promise<ApplicationRecord | undefined> {
  const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM applications WHERE id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Locks the application row for the rest of the transaction. */
export async function lockApplication(q: Queryable, id: number): Promise<ApplicationRecord> {
  const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM applications WHERE id = $1 FOR UPDATE`, [id]);
  if (!rows[0]) throw new DomainError('APPLICATION_NOT_FOUND', `no application ${id}`, 'id');
  return fromRow(rows[0]);
}

export interface StatusChange {
  hits?: ReasonHit[];
  crmAttempts?: number;
  lastError?: string | null;
  loanId?: number;
}

export async function moveApplication(q: Queryable, app: ApplicationRecord, to: ApplicationStatus, change: StatusChange = {}): Promise<void> {
  assertApplicationTransition(app.status, to);
  await q.query(
    `UPDATE applications SET status = $2, hits = coalesce($3::jsonb, hits), crm_attempts = coalesce($4, crm_attempts),
       last_error = CASE WHEN $5::boolean THEN $6 ELSE last_error END, loan_id = coalesce($7, loan_id), updated_at = now()
     WHERE id = $1`,
    [app.id, to, change.hits === undefined ? null : JSON.stringify(change.hits), change.crmAttempts ?? null,
      change.lastError !== undefined, change.lastError ?? null, change.loanId ?? null]);
}

/** The latest submitted form of a kind, if any. */
export async function latestForm(q: Queryable, applicationId: number, kind: 'installer_survey' | 'home_visit'): Promise<unknown> {
  const rows = await q.query<{ form: unknown }>(
    `SELECT form FROM application_forms WHERE application_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`, [applicationId, kind]);
  return rows[0]?.form;
}
