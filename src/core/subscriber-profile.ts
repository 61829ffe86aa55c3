/**
 * What the carrier's CRM knows about a subscriber, as the lending side sees it once the
 * adapter has parsed and minimised the reply. Each group is present only when the purpose
 * of the lookup needs it (FIELD_GROUPS_BY_PURPOSE): data minimisation is decided here, in
 * one table, and enforced by the adapter mapping and by the simulator alike.
 */
import type { CalendarDate } from './calendar-date.js';
import type { Fen } from './money.js';

export const CRM_PURPOSES = ['identity_verification', 'credit_assessment', 'post_loan_monitoring'] as const;
export type CrmPurpose = (typeof CRM_PURPOSES)[number];

export const CRM_FIELD_GROUPS = ['identity', 'status', 'plan', 'usage', 'address', 'device', 'behaviour'] as const;
export type CrmFieldGroup = (typeof CRM_FIELD_GROUPS)[number];

export const FIELD_GROUPS_BY_PURPOSE: Readonly<Record<CrmPurpose, readonly CrmFieldGroup[]>> = {
  identity_verification: ['identity', 'status'],
  credit_assessment: ['identity', 'status', 'plan', 'usage', 'address', 'device', 'behaviour'],
  post_loan_monitoring: ['status', 'address', 'device', 'behaviour'],
};

export const SUBSCRIBER_STATUSES = ['active', 'suspended', 'cancelled'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];
export const SUBSCRIBER_PLANS = ['prepaid', 'postpaid'] as const;
export type SubscriberPlanKind = (typeof SUBSCRIBER_PLANS)[number];

/** Real-name registration (实名登记) of the number. */
export interface RealNameRecord {
  name: string;
  idNumber: string;
}

export interface StatusRecord {
  status: SubscriberStatus;
  /** Date the current status began. */
  since: CalendarDate;
}

export interface PlanRecord {
  plan: SubscriberPlanKind;
  /** Date the number joined the network; tenure is measured from it. */
  activatedOn: CalendarDate;
}

export interface Recharge {
  date: CalendarDate;
  amountFen: Fen;
}

export interface UsageRecord {
  /** Spend per calendar month for the last 6 complete months, oldest first. */
  monthlySpendFen: Fen[];
  /** Top-ups in the last 6 months, oldest first (postpaid numbers may have none). */
  recharges: Recharge[];
}

export interface AddressRecord {
  /** Address where the line or broadband was installed (装机地址). */
  installedAddress: string;
  county: string;
  /** Home village as registered with the carrier. */
  village: string;
  /** Villages where the handset spent nights in the last 6 months (location history), most frequent first. */
  villagesSeen: string[];
  /** Share of the last 90 nights spent in the home village, 0-100: location stability. */
  homeNightSharePercent: number;
}

export interface DeviceRecord {
  /** Opaque, carrier-salted hash of the handset's IMEI: equal values mean the same handset. */
  deviceId: string;
  deviceSince: CalendarDate;
  /** Date the current SIM card was issued for this number. */
  simIssuedOn: CalendarDate;
  /** Most recent SIM swap (补换卡), if any. */
  lastSimSwapOn: CalendarDate | null;
}

/** Behaviour features over the last 30 days, as the carrier's data platform aggregates them. */
export interface BehaviourRecord {
  callActiveDays30: number;
  outgoingCalls30: number;
  smsSent30: number;
  /** Numbers called or calling at least 3 times a month for 3 months running. */
  regularContacts: number;
}

export interface SubscriberProfile {
  msisdn: string;
  identity?: RealNameRecord;
  status?: StatusRecord;
  plan?: PlanRecord;
  usage?: UsageRecord;
  address?: AddressRecord;
  device?: DeviceRecord;
  behaviour?: BehaviourRecord;
}

export const CRM_CHANGE_TYPES = ['status_changed', 'sim_swapped', 'number_cancelled', 'ported_out'] as const;
export type CrmChangeType = (typeof CRM_CHANGE_TYPES)[number];

/** One event of the CRM's change feed. */
export interface CrmChangeEvent {
  /** The carrier's event id; the receiver de-duplicates on it. */
  eventId: string;
  msisdn: string;
  type: CrmChangeType;
  /** ISO timestamp of the change at the carrier. */
  occurredAt: string;
  /** New status for status_changed (number_cancelled implies cancelled). */
  status?: SubscriberStatus;
  /** Issue date of the new SIM for sim_swapped. */
  simIssuedOn?: CalendarDate;
}

/** Keeps only the groups a purpose may see; anything else is dropped, never stored. */
export function minimiseProfile(profile: SubscriberProfile, purpose: CrmPurpose): SubscriberProfile {
  const allowed = new Set<CrmFieldGroup>(FIELD_GROUPS_BY_PURPOSE[purpose]);
  const kept: SubscriberProfile = { msisdn: profile.msisdn };
  for (const group of CRM_FIELD_GROUPS) {
    if (allowed.has(group) && profile[group] !== undefined) Object.assign(kept, { [group]: profile[group] });
  }
  return kept;
}
