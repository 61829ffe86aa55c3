/**
 * The catalogue of reasons a review, an anti-fraud check or a credit decision can give.
 * Codes are stable: they are stored with the application, shown on ops screens and matched
 * by clients, so a code is never renamed or reused for another meaning.
 *
 * Severity says what a hit does to the application:
 * - refuse: the application is refused; no person may override it.
 * - review: the application goes to manual review; an officer decides.
 * - info:   recorded for the reviewer and the audit trail, never blocks.
 */
import { invariant } from './domain-error.js';

export const REASON_SEVERITIES = ['refuse', 'review', 'info'] as const;
export type ReasonSeverity = (typeof REASON_SEVERITIES)[number];

export interface ReasonCodeInfo {
  readonly severity: ReasonSeverity;
  readonly description: string;
}

export const REASON_CODES = {
  // 初审: red/black list model and the person's own history on the platform.
  BLACK_LISTED: { severity: 'refuse', description: 'The person is on the platform\'s internal black list.' },
  COURT_DISHONEST_DEBTOR: { severity: 'refuse', description: 'The person is on the court\'s list of dishonest judgment debtors (失信被执行人).' },
  OWN_OVERDUE_HISTORY: { severity: 'refuse', description: 'The person has a loan overdue now, or was once more than 30 days past due on the platform.' },
  OWN_WRITTEN_OFF: { severity: 'refuse', description: 'A loan of the person on the platform was written off.' },
  RED_LISTED: { severity: 'info', description: 'The person is on the internal red list of trusted borrowers.' },

  // 初审: identity against the carrier's real-name registration.
  SUBSCRIBER_UNKNOWN: { severity: 'refuse', description: 'The carrier does not know the mobile number.' },
  CONSENT_REVOKED: { severity: 'refuse', description: 'The applicant withdrew the consent to read carrier data before the lookup.' },
  CRM_ACCESS_REFUSED: { severity: 'refuse', description: 'The carrier refused the lookup (for example the consent was revoked or does not cover it).' },
  CRM_UNAVAILABLE: { severity: 'review', description: 'The carrier CRM could not answer after the allowed attempts; a person must check the applicant.' },
  SUBSCRIBER_NOT_ACTIVE: { severity: 'refuse', description: 'The mobile number is suspended or cancelled at the carrier.' },
  ID_MISMATCH: { severity: 'refuse', description: 'The ID number differs from the real-name registration of the mobile number.' },
  NAME_MISMATCH: { severity: 'review', description: 'The name differs from the real-name registration of the mobile number.' },

  // 初审: telephone callback (电话回访).
  CALLBACK_DENIED: { severity: 'refuse', description: 'On the callback the person denied having applied.' },
  CALLBACK_NOT_REACHABLE: { severity: 'refuse', description: 'The person could not be reached on the callback after the allowed attempts.' },

  // 反欺诈: cross-checks of the application against carrier data and other applications.
  SIM_TOO_NEW: { severity: 'review', description: 'The SIM card was issued only recently.' },
  SIM_SWAPPED_RECENTLY: { severity: 'review', description: 'The SIM card was swapped (补换卡) recently.' },
  SHARED_DEVICE: { severity: 'review', description: 'Other applicants\' numbers were seen on the same handset.' },
  SHARED_CONTACTS: { severity: 'review', description: 'Other applicants listed two or more of the same contact numbers.' },
  VILLAGE_NOT_SEEN: { severity: 'review', description: 'The handset has not spent nights in the village the applicant states.' },
  STORE_VELOCITY: { severity: 'review', description: 'The store took more applications today than the daily limit.' },
  STAFF_VELOCITY: { severity: 'review', description: 'The staff member took more applications today than the daily limit.' },

  // 风控: what the installer and the loan officer saw on the ground.
  INSTALLER_VILLAGE_DISPUTED: { severity: 'review', description: 'The installer who knows the household says it does not live in the stated village.' },
  PURPOSE_NOT_CONFIRMED: { severity: 'review', description: 'The home visit could not confirm the stated purpose of the loan.' },

  // Credit decision and product matching.
  SCORE_TOO_LOW: { severity: 'refuse', description: 'The credit score falls in a grade that is declined.' },
  PLATFORM_CAP_EXHAUSTED: { severity: 'refuse', description: 'The platform borrowing cap (CNY 200,000) leaves no room for the smallest product.' },
  TOTAL_CAP_EXHAUSTED: { severity: 'refuse', description: 'The total borrowing cap (CNY 1,000,000) leaves no room for the smallest product.' },
  NO_PRODUCT_FITS: { severity: 'refuse', description: 'No product the applicant is eligible for fits the credit limit.' },
} as const satisfies Record<string, ReasonCodeInfo>;

export type ReasonCode = keyof typeof REASON_CODES;
export const REASON_CODE_LIST = Object.keys(REASON_CODES) as ReasonCode[];

/** Facts behind a hit, shown to reviewers: counts, dates, masked identifiers; never a full ID or phone number. */
export type ReasonEvidence = Record<string, string | number | boolean>;

export interface ReasonHit {
  code: ReasonCode;
  severity: ReasonSeverity;
  evidence: ReasonEvidence;
}

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASON_CODES, value);
}

/** A hit with the catalogue's severity, so no caller can soften or harden a code. */
export function hit(code: ReasonCode, evidence: ReasonEvidence = {}): ReasonHit {
  invariant(isReasonCode(code), `unknown reason code ${String(code)}`);
  for (const [key, value] of Object.entries(evidence)) {
    invariant(typeof value !== 'number' || Number.isFinite(value), `evidence ${key} of ${code} is not a finite number`);
  }
  return { code, severity: REASON_CODES[code].severity, evidence: { ...evidence } };
}

const SEVERITY_ORDER: Record<ReasonSeverity, number> = { refuse: 0, review: 1, info: 2 };

/** Refusals first, then review, then info; stable within a severity. */
export function sortHitsBySeverity(hits: readonly ReasonHit[]): ReasonHit[] {
  return hits
    .map((h, i) => ({ h, i }))
    .sort((a, b) => SEVERITY_ORDER[a.h.severity] - SEVERITY_ORDER[b.h.severity] || a.i - b.i)
    .map(({ h }) => h);
}

export function hasSeverity(hits: readonly ReasonHit[], severity: ReasonSeverity): boolean {
  return hits.some((h) => h.severity === severity);
}
