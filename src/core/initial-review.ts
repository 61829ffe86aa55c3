/**
 * 初审 (initial review), the seed's "first line of defence": the online red/black list
 * model, the applicant's identity against the carrier's real-name registration, and the
 * telephone callback (电话回访). Each rule returns reason hits; the caller stops the
 * application on any 'refuse' hit before it spends anything on the credit assessment.
 */
import { invariant } from './domain-error.js';
import { maskIdNumber, maskMobile } from './identity.js';
import { hit, type ReasonHit } from './reason-codes.js';
import type { SubscriberProfile } from './subscriber-profile.js';

/**
 * A past delinquency longer than this refuses a new loan. 30 days is the usual line between
 * a late payment (a harvest that came in late) and a default in the making (M1 -> M2).
 */
export const OWN_MAX_DAYS_PAST_DUE_TOLERATED = 30;

/** Callback attempts that may end "not reachable" before the application is refused. */
export const CALLBACK_ATTEMPTS_MAX = 3;

export const BLACK_LISTS = ['internal_black', 'court_dishonest'] as const;
export type BlackList = (typeof BLACK_LISTS)[number];

export interface BlackListEntry {
  list: BlackList;
  reason: string;
  caseNumber?: string;
}

export interface OwnHistory {
  loansWrittenOff: number;
  loansOverdueNow: number;
  maxDaysPastDueEver: number;
}

export interface ListFacts {
  blackListEntries: BlackListEntry[];
  redListed: boolean;
  ownHistory: OwnHistory;
}

export interface Applicant {
  name: string;
  idNumber: string;
}

export const CALLBACK_RESULTS = ['confirmed', 'not_reachable', 'denied'] as const;
export type CallbackResult = (typeof CALLBACK_RESULTS)[number];

export interface CallbackReview {
  outcome: 'passed' | 'retry' | 'refused';
  hit?: ReasonHit;
}

function assertCount(value: number, name: string): void {
  invariant(Number.isSafeInteger(value) && value >= 0, `${name} must be a whole number, 0 or more`);
}

/** The red/black list model (红黑名单模型). One hit per black-list entry so each stays explainable. */
export function listModelReview(facts: ListFacts): ReasonHit[] {
  const { loansWrittenOff, loansOverdueNow, maxDaysPastDueEver } = facts.ownHistory;
  assertCount(loansWrittenOff, 'loansWrittenOff');
  assertCount(loansOverdueNow, 'loansOverdueNow');
  assertCount(maxDaysPastDueEver, 'maxDaysPastDueEver');

  const hits: ReasonHit[] = [];
  for (const entry of facts.blackListEntries) {
    invariant((BLACK_LISTS as readonly string[]).includes(entry.list), `unknown black list ${entry.list}`);
    const evidence = { reason: entry.reason, ...(entry.caseNumber !== undefined ? { caseNumber: entry.caseNumber } : {}) };
    hits.push(hit(entry.list === 'internal_black' ? 'BLACK_LISTED' : 'COURT_DISHONEST_DEBTOR', evidence));
  }
  if (loansWrittenOff > 0) hits.push(hit('OWN_WRITTEN_OFF', { loansWrittenOff }));
  if (loansOverdueNow > 0 || maxDaysPastDueEver > OWN_MAX_DAYS_PAST_DUE_TOLERATED) {
    hits.push(hit('OWN_OVERDUE_HISTORY', {
      loansOverdueNow, maxDaysPastDueEver, toleratedDaysPastDue: OWN_MAX_DAYS_PAST_DUE_TOLERATED,
    }));
  }
  if (facts.redListed) hits.push(hit('RED_LISTED', {}));
  return hits;
}

/** ID numbers compare case-insensitively on the check character and without spaces. */
function normaliseIdNumber(idNumber: string): string {
  return idNumber.replace(/\s+/g, '').toUpperCase();
}

/**
 * Names compare without whitespace and with every middle-dot variant made one, because
 * ethnic-minority names (买买提·艾力) are written with ·, •, ・ or ． depending on the system.
 */
export function normalisePersonName(name: string): string {
  return name.replace(/[\s\u3000]+/g, '').replace(/[\u00b7\u2022\u30fb\uff0e\u2027.]/g, '·');
}

/** For evidence and screens: the first character, then one * per further character (张三 -> 张*). */
export function maskPersonName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '***';
  return chars[0]! + '*'.repeat(Math.max(1, chars.length - 1));
}

/**
 * The applicant against the real-name registration of the number. A different ID number
 * refuses: the number is someone else's. A different name with the same ID number only goes
 * to review, since rare characters (生僻字) and variant forms differ between systems.
 * The profile must come from an identity_verification (or richer) lookup.
 */
export function identityReview(applicant: Applicant, profile: SubscriberProfile): ReasonHit[] {
  invariant(profile.identity !== undefined, 'identityReview needs the identity group of the subscriber profile');
  invariant(profile.status !== undefined, 'identityReview needs the status group of the subscriber profile');
  const hits: ReasonHit[] = [];
  const registered = profile.identity;
  if (normaliseIdNumber(applicant.idNumber) !== normaliseIdNumber(registered.idNumber)) {
    hits.push(hit('ID_MISMATCH', {
      applicantIdNumber: maskIdNumber(normaliseIdNumber(applicant.idNumber)),
      registeredIdNumber: maskIdNumber(normaliseIdNumber(registered.idNumber)),
    }));
  }
  if (normalisePersonName(applicant.name) !== normalisePersonName(registered.name)) {
    hits.push(hit('NAME_MISMATCH', {
      applicantName: maskPersonName(applicant.name),
      registeredName: maskPersonName(registered.name),
    }));
  }
  if (profile.status.status !== 'active') {
    hits.push(hit('SUBSCRIBER_NOT_ACTIVE', { status: profile.status.status, since: profile.status.since }));
  }
  return hits;
}

/** The hit for a number the CRM does not know; the evidence carries the masked number only. */
export function subscriberUnknownHit(msisdn: string): ReasonHit {
  return hit('SUBSCRIBER_UNKNOWN', { msisdn: maskMobile(msisdn) });
}

/**
 * One callback attempt's result. `notReachableAttempts` counts the attempts that ended
 * not reachable, this one included, so the third unanswered call refuses.
 */
export function callbackReview(result: CallbackResult, notReachableAttempts: number): CallbackReview {
  assertCount(notReachableAttempts, 'notReachableAttempts');
  switch (result) {
    case 'confirmed':
      return { outcome: 'passed' };
    case 'denied':
      return { outcome: 'refused', hit: hit('CALLBACK_DENIED', {}) };
    case 'not_reachable':
      invariant(notReachableAttempts >= 1, 'a not_reachable result must be counted in notReachableAttempts');
      if (notReachableAttempts < CALLBACK_ATTEMPTS_MAX) return { outcome: 'retry' };
      return { outcome: 'refused', hit: hit('CALLBACK_NOT_REACHABLE', { attempts: notReachableAttempts, attemptsMax: CALLBACK_ATTEMPTS_MAX }) };
    default: {
      const never: never = result;
      invariant(false, `unknown callback result ${String(never)}`);
    }
  }
}
