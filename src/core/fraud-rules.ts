/**
 * 反欺诈 (anti-fraud) cross-checks: the application against the carrier's device, SIM and
 * location data, and against other applications (shared handsets, shared contacts, bursts
 * from one store or one clerk). Every hit here sends the application to manual review; none
 * refuses on its own, because each has innocent explanations in villages (a family sharing
 * one handset, a lost SIM replaced, a market day at the store) that an officer can check.
 * Evidence holds counts and dates only, never a phone, ID or device number.
 */
import { DomainError, invariant } from './domain-error.js';
import { daysBetween, type CalendarDate } from './calendar-date.js';
import { hit, type ReasonHit } from './reason-codes.js';
import type { SubscriberProfile } from './subscriber-profile.js';

export interface FraudLimits {
  /** A SIM issued fewer days ago than this is "too new". */
  simAgeDaysMin: number;
  /** A SIM swap this many days ago or fewer is "recent". */
  simSwapWindowDays: number;
  /** Applications one store may take in a day (this one included) before review. */
  storeApplicationsPerDayMax: number;
  /** Applications one staff member may take in a day (this one included) before review. */
  staffApplicationsPerDayMax: number;
}

export const DEFAULT_FRAUD_LIMITS: Readonly<FraudLimits> = Object.freeze({
  simAgeDaysMin: 90,
  simSwapWindowDays: 30,
  storeApplicationsPerDayMax: 20,
  staffApplicationsPerDayMax: 10,
});

const LIMIT_BOUNDS: Readonly<Record<keyof FraudLimits, number>> = {
  simAgeDaysMin: 3_650,
  simSwapWindowDays: 365,
  storeApplicationsPerDayMax: 10_000,
  staffApplicationsPerDayMax: 10_000,
};

/** Limits from configuration or the ops API: every field a whole number from 1 to a sane bound, nothing else. */
export function parseFraudLimits(value: unknown, field = 'fraudLimits'): FraudLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainError('INVALID_FRAUD_LIMITS', `${field} must be an object`, field);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in LIMIT_BOUNDS)) throw new DomainError('INVALID_FRAUD_LIMITS', `${field}.${key} is not a known limit`, `${field}.${key}`);
  }
  const out = {} as FraudLimits;
  for (const [key, max] of Object.entries(LIMIT_BOUNDS) as [keyof FraudLimits, number][]) {
    const v = record[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw new DomainError('INVALID_FRAUD_LIMITS', `${field}.${key} must be a whole number from 1 to ${max}`, `${field}.${key}`);
    }
    out[key] = v;
  }
  return out;
}

export interface FraudContext {
  asOf: CalendarDate;
  /** The village the applicant states on the application. */
  statedVillage: string;
  /** Needs the device and address groups (a credit_assessment lookup). */
  profile: SubscriberProfile;
  /** Other ID numbers seen applying from the same deviceId. */
  otherPersonsOnDevice: number;
  /** Other applicants who listed two or more of the same contact numbers. */
  otherPersonsSharingContacts: number;
  /** Applications the store took on asOf, this one included; null when not taken at a store. */
  storeApplicationsToday: number | null;
  /** Applications the staff member took on asOf, this one included; null when no staff member took it. */
  staffApplicationsToday: number | null;
  limits: FraudLimits;
}

function assertCount(value: number, name: string): void {
  invariant(Number.isSafeInteger(value) && value >= 0, `${name} must be a whole number, 0 or more`);
}

/**
 * Village names compare without whitespace and without a trailing 村, because the same
 * village is written 墩头村 on one form and 墩头 in the carrier's location data.
 */
export function normaliseVillage(name: string): string {
  const compact = name.replace(/[\s\u3000]+/g, '');
  return compact.length > 1 && compact.endsWith('村') ? compact.slice(0, -1) : compact;
}

export function fraudChecks(ctx: FraudContext): ReasonHit[] {
  const limits = parseFraudLimits(ctx.limits, 'limits');
  const { device, address } = ctx.profile;
  invariant(device !== undefined, 'fraudChecks needs the device group of the subscriber profile');
  invariant(address !== undefined, 'fraudChecks needs the address group of the subscriber profile');
  assertCount(ctx.otherPersonsOnDevice, 'otherPersonsOnDevice');
  assertCount(ctx.otherPersonsSharingContacts, 'otherPersonsSharingContacts');
  if (ctx.storeApplicationsToday !== null) assertCount(ctx.storeApplicationsToday, 'storeApplicationsToday');
  if (ctx.staffApplicationsToday !== null) assertCount(ctx.staffApplicationsToday, 'staffApplicationsToday');
  if (normaliseVillage(ctx.statedVillage).length === 0) {
    throw new DomainError('VALIDATION_FAILED', 'statedVillage must name a village', 'statedVillage');
  }

  const hits: ReasonHit[] = [];

  // A date after asOf (clock skew between the carrier and us) counts as "today": age 0.
  const simAgeDays = Math.max(0, daysBetween(device.simIssuedOn, ctx.asOf));
  const issuedBySwap = device.lastSimSwapOn !== null && device.lastSimSwapOn >= device.simIssuedOn;
  if (simAgeDays < limits.simAgeDaysMin) {
    // issuedBySwap tells the reviewer whether this is a new card on an old number (see SIM_SWAPPED_RECENTLY).
    hits.push(hit('SIM_TOO_NEW', { simAgeDays, simAgeDaysMin: limits.simAgeDaysMin, issuedBySwap }));
  }

  if (device.lastSimSwapOn !== null) {
    const daysSinceSwap = Math.max(0, daysBetween(device.lastSimSwapOn, ctx.asOf));
    if (daysSinceSwap <= limits.simSwapWindowDays) {
      hits.push(hit('SIM_SWAPPED_RECENTLY', { swappedOn: device.lastSimSwapOn, daysSinceSwap, windowDays: limits.simSwapWindowDays }));
    }
  }

  // Any other person on the handset is worth a look: review, not refusal, since families share phones.
  if (ctx.otherPersonsOnDevice > 0) hits.push(hit('SHARED_DEVICE', { count: ctx.otherPersonsOnDevice }));
  if (ctx.otherPersonsSharingContacts > 0) hits.push(hit('SHARED_CONTACTS', { count: ctx.otherPersonsSharingContacts }));

  const stated = normaliseVillage(ctx.statedVillage);
  const seen = address.villagesSeen.map(normaliseVillage);
  const registeredVillageMatches = normaliseVillage(address.village) === stated;
  // With no location history the registered home village is the only evidence to check against.
  if (seen.length > 0 ? !seen.includes(stated) : !registeredVillageMatches) {
    hits.push(hit('VILLAGE_NOT_SEEN', { statedVillage: ctx.statedVillage.trim(), villagesSeenCount: seen.length, registeredVillageMatches }));
  }

  if (ctx.storeApplicationsToday !== null && ctx.storeApplicationsToday > limits.storeApplicationsPerDayMax) {
    hits.push(hit('STORE_VELOCITY', { count: ctx.storeApplicationsToday, max: limits.storeApplicationsPerDayMax }));
  }
  if (ctx.staffApplicationsToday !== null && ctx.staffApplicationsToday > limits.staffApplicationsPerDayMax) {
    hits.push(hit('STAFF_VELOCITY', { count: ctx.staffApplicationsToday, max: limits.staffApplicationsPerDayMax }));
  }
  return hits;
}
