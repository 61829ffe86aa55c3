/**
 * The life of a loan application: received → (CRM lookup, red/black lists, identity) →
 * awaiting_callback → (callback verification, anti-fraud, scorecard, caps) → approved,
 * refused or manual_review → (offer accepted) accepted. `crm_pending` is a visible wait
 * while the CRM cannot answer; it never leads to approval without the CRM's data.
 */
import { DomainError } from './domain-error.js';

export const APPLICATION_STATUSES = [
  'received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved', 'refused', 'accepted',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** While in one of these a person cannot open a second application. */
export const OPEN_APPLICATION_STATUSES: readonly ApplicationStatus[] = ['received', 'crm_pending', 'awaiting_callback', 'manual_review', 'approved'];

const TRANSITIONS: Readonly<Record<ApplicationStatus, readonly ApplicationStatus[]>> = {
  received: ['crm_pending', 'awaiting_callback', 'refused', 'manual_review'],
  crm_pending: ['crm_pending', 'awaiting_callback', 'refused', 'manual_review'],
  awaiting_callback: ['awaiting_callback', 'approved', 'refused', 'manual_review'],
  // An ops reviewer decides; a re-decision after late offline data may also move it.
  manual_review: ['approved', 'refused', 'manual_review'],
  approved: ['accepted', 'approved', 'refused', 'manual_review'],
  refused: [],
  accepted: [],
};

export function assertApplicationTransition(from: ApplicationStatus, to: ApplicationStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from].join(', ') || 'none (final state)';
    throw new DomainError('APPLICATION_ILLEGAL_TRANSITION', `an application cannot move from ${from} to ${to}; allowed: ${allowed}`, 'status');
  }
}

export const APPLICATION_CHANNELS = ['store_pos', 'web_hall', 'app_hall', 'call_center', 'installer_referral', 'sms_reply'] as const;
export type ApplicationChannel = (typeof APPLICATION_CHANNELS)[number];

export const CONSENT_METHODS = ['signed_form', 'sms_reply', 'recorded_call', 'app_checkbox'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];
