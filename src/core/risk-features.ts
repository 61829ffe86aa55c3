/**
 * Credit features (征信特征) from the seed's online and offline "data jigsaw": the carrier's
 * profile of the subscriber (tenure, spend, recharges, calls, contacts, location stability,
 * SIM and plan) and what people on the ground saw (the installer's survey of a household
 * he knows, the loan officer's home visit). A feature is null when the data to compute it
 * is missing; the scorecard then gives it its `missingPoints`, so a thin file is scored,
 * never rejected for being thin.
 *
 * Every feature is a whole number, so scorecard bands compare exactly and a feature vector
 * stored as JSON reads back identical.
 */
import { DomainError, invariant } from './domain-error.js';
import { addMonthsClamped, daysBetween, parseCalendarDate, type CalendarDate } from './calendar-date.js';
import { assertFen, assertPositiveFen, type Fen } from './money.js';
import { hit, type ReasonHit } from './reason-codes.js';
import { TERM_MONTHS_MAX } from './schedule.js';
import type { SubscriberProfile } from './subscriber-profile.js';

export const FEATURE_NAMES = [
  'tenure_months',
  'avg_monthly_spend_fen',
  'spend_trend_pct',
  'recharge_months_6m',
  'call_active_days_30',
  'regular_contacts',
  'home_night_share_pct',
  'sim_age_days',
  'plan_postpaid',
  'installer_rating',
  'income_to_installment_pct',
  'red_listed',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
/** null = the data behind the feature is missing. */
export type FeatureVector = Readonly<Record<FeatureName, number | null>>;

export function isFeatureName(value: unknown): value is FeatureName {
  return typeof value === 'string' && (FEATURE_NAMES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------
// Field data forms: the installer's survey (装维人员采集) and the home visit (贷前家访)
// ---------------------------------------------------------------------------------------

/** The seed: an installer looks after about 3-4 villages, which is why his word counts there. */
export const INSTALLER_VILLAGES_MAX = 4;
export const HOUSEHOLD_RATINGS = [1, 2, 3, 4, 5] as const;
export type HouseholdRating = (typeof HOUSEHOLD_RATINGS)[number];

export interface InstallerSurvey {
  installerId: string;
  villagesCovered: string[];
  knowsHousehold: boolean;
  householdRating: HouseholdRating;
  livesInStatedVillage: boolean;
  notes?: string;
}

export const ASSET_KINDS = ['house', 'land', 'livestock', 'machinery', 'vehicle', 'savings', 'other'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export interface HomeVisitAsset {
  kind: AssetKind;
  estimatedValueFen: Fen;
  note?: string;
}

export interface HomeVisit {
  officerId: string;
  visitedOn: CalendarDate;
  purposeConfirmed: boolean;
  purposeNotes?: string;
  householdSize: number;
  dependants: number;
  monthlyIncomeFen: Fen;
  incomeSources: string[];
  assets: HomeVisitAsset[];
  existingDebtFen: Fen;
}

const HOUSEHOLD_SIZE_MAX = 30;
const INCOME_SOURCES_MAX = 10;
const ASSETS_MAX = 30;
const ID_MAX = 64;
const SHORT_TEXT_MAX = 50;
const NOTES_MAX = 500;

function fail(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', `${field} ${message}`, field);
}

function record(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object');
  const obj = value as Record<string, unknown>;
  // Unknown fields are refused rather than dropped: a misspelt optional field would otherwise vanish silently.
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(`${field}.${key}`, 'is not a known field');
  return obj;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max || /[\u0000-\u001f<>]/.test(trimmed)) {
    fail(field, `must be 1 to ${max} printable characters`);
  }
  return trimmed;
}

function optionalText(value: unknown, field: string, max: number): string | undefined {
  return value === undefined ? undefined : text(value, field, max);
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, 'must be true or false');
  return value;
}

function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function nonNegativeFen(value: unknown, field: string): Fen {
  assertFen(value, field);
  if (value < 0) throw new DomainError('INVALID_AMOUNT', `${field} must not be negative`, field);
  return value;
}

function array(value: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) fail(field, 'must be a list');
  if (value.length < min || value.length > max) fail(field, `must hold ${min} to ${max} entries`);
  return value;
}

function distinctTexts(value: unknown, field: string, min: number, max: number): string[] {
  const items = array(value, field, min, max).map((v, i) => text(v, `${field}[${i}]`, SHORT_TEXT_MAX));
  items.forEach((item, i) => { if (items.indexOf(item) !== i) fail(`${field}[${i}]`, 'repeats an earlier entry'); });
  return items;
}

function withOptional<T extends object, K extends string>(base: T, key: K, value: string | undefined): T {
  return value === undefined ? base : { ...base, [key]: value };
}

export function parseInstallerSurvey(value: unknown, field = 'installerSurvey'): InstallerSurvey {
  const o = record(value, field, ['installerId', 'villagesCovered', 'knowsHousehold', 'householdRating', 'livesInStatedVillage', 'notes']);
  const survey: InstallerSurvey = {
    installerId: text(o.installerId, `${field}.installerId`, ID_MAX),
    villagesCovered: distinctTexts(o.villagesCovered, `${field}.villagesCovered`, 1, INSTALLER_VILLAGES_MAX),
    knowsHousehold: bool(o.knowsHousehold, `${field}.knowsHousehold`),
    householdRating: wholeNumber(o.householdRating, `${field}.householdRating`, 1, 5) as HouseholdRating,
    livesInStatedVillage: bool(o.livesInStatedVillage, `${field}.livesInStatedVillage`),
  };
  return withOptional(survey, 'notes', optionalText(o.notes, `${field}.notes`, NOTES_MAX));
}

function parseAsset(value: unknown, field: string): HomeVisitAsset {
  const o = record(value, field, ['kind', 'estimatedValueFen', 'note']);
  if (typeof o.kind !== 'string' || !(ASSET_KINDS as readonly string[]).includes(o.kind)) {
    fail(`${field}.kind`, `must be one of ${ASSET_KINDS.join(', ')}`);
  }
  const asset: HomeVisitAsset = { kind: o.kind as AssetKind, estimatedValueFen: nonNegativeFen(o.estimatedValueFen, `${field}.estimatedValueFen`) };
  return withOptional(asset, 'note', optionalText(o.note, `${field}.note`, NOTES_MAX));
}

export function parseHomeVisit(value: unknown, field = 'homeVisit'): HomeVisit {
  const o = record(value, field, ['officerId', 'visitedOn', 'purposeConfirmed', 'purposeNotes', 'householdSize', 'dependants',
    'monthlyIncomeFen', 'incomeSources', 'assets', 'existingDebtFen']);
  const householdSize = wholeNumber(o.householdSize, `${field}.householdSize`, 1, HOUSEHOLD_SIZE_MAX);
  const visit: HomeVisit = {
    officerId: text(o.officerId, `${field}.officerId`, ID_MAX),
    visitedOn: parseCalendarDate(o.visitedOn, `${field}.visitedOn`),
    purposeConfirmed: bool(o.purposeConfirmed, `${field}.purposeConfirmed`),
    householdSize,
    dependants: wholeNumber(o.dependants, `${field}.dependants`, 0, householdSize),
    monthlyIncomeFen: nonNegativeFen(o.monthlyIncomeFen, `${field}.monthlyIncomeFen`),
    incomeSources: distinctTexts(o.incomeSources, `${field}.incomeSources`, 0, INCOME_SOURCES_MAX),
    assets: array(o.assets, `${field}.assets`, 0, ASSETS_MAX).map((a, i) => parseAsset(a, `${field}.assets[${i}]`)),
    existingDebtFen: nonNegativeFen(o.existingDebtFen, `${field}.existingDebtFen`),
  };
  return withOptional(visit, 'purposeNotes', optionalText(o.purposeNotes, `${field}.purposeNotes`, NOTES_MAX));
}

/**
 * What the people on the ground flagged: the installer says the household does not live in
 * the stated village, or the loan officer could not confirm the purpose. Both go to review;
 * the officer's or installer's notes are for the reviewer, not for the rule.
 */
export function fieldDataReview(input: { installerSurvey?: InstallerSurvey; homeVisit?: HomeVisit }): ReasonHit[] {
  const hits: ReasonHit[] = [];
  const survey = input.installerSurvey;
  if (survey !== undefined && survey.knowsHousehold && !survey.livesInStatedVillage) {
    hits.push(hit('INSTALLER_VILLAGE_DISPUTED', { installerId: survey.installerId }));
  }
  if (input.homeVisit !== undefined && !input.homeVisit.purposeConfirmed) {
    hits.push(hit('PURPOSE_NOT_CONFIRMED', { officerId: input.homeVisit.officerId, visitedOn: input.homeVisit.visitedOn }));
  }
  return hits;
}

// ---------------------------------------------------------------------------------------
// Features
// ---------------------------------------------------------------------------------------

export interface FeatureInput {
  /** A credit_assessment lookup: the plan, usage, address, device and behaviour groups. */
  profile: SubscriberProfile;
  asOf: CalendarDate;
  requestedAmountFen: Fen;
  termMonths: number;
  installerSurvey?: InstallerSurvey;
  homeVisit?: HomeVisit;
  redListed: boolean;
}

/** Months of spend needed for the trend: the last three against the first three. */
const TREND_MONTHS = 6;
const RECHARGE_WINDOW_MONTHS = 6;

export function deriveFeatures(input: FeatureInput): FeatureVector {
  const { profile } = input;
  const asOf = parseCalendarDate(input.asOf, 'asOf');
  assertPositiveFen(input.requestedAmountFen, 'requestedAmountFen');
  if (!Number.isInteger(input.termMonths) || input.termMonths < 1 || input.termMonths > TERM_MONTHS_MAX) {
    throw new DomainError('INVALID_TERM', `termMonths must be a whole number from 1 to ${TERM_MONTHS_MAX}`, 'termMonths');
  }
  // A missing group means the lookup ran under the wrong purpose: a bug, not a thin file.
  const { plan, usage, address, device, behaviour } = profile;
  invariant(plan && usage && address && device && behaviour,
    'deriveFeatures needs a credit_assessment profile (plan, usage, address, device and behaviour groups)');

  const spend = usage.monthlySpendFen;
  const survey = input.installerSurvey;
  return Object.freeze({
    tenure_months: wholeMonthsBetween(plan.activatedOn, asOf),
    avg_monthly_spend_fen: spend.length === 0 ? null : divRound(BigInt(sum(spend)), BigInt(spend.length)),
    spend_trend_pct: spendTrendPercent(spend),
    recharge_months_6m: plan.plan === 'postpaid' ? RECHARGE_WINDOW_MONTHS : rechargeMonths(usage.recharges, asOf),
    call_active_days_30: behaviour.callActiveDays30,
    regular_contacts: behaviour.regularContacts,
    home_night_share_pct: address.homeNightSharePercent,
    sim_age_days: Math.max(0, daysBetween(device.simIssuedOn, asOf)),
    plan_postpaid: plan.plan === 'postpaid' ? 1 : 0,
    // A rating of a household the installer does not know is hearsay: treat it as no rating.
    installer_rating: survey !== undefined && survey.knowsHousehold ? survey.householdRating : null,
    income_to_installment_pct: input.homeVisit === undefined ? null
      : incomeToInstallmentPercent(input.homeVisit.monthlyIncomeFen, input.requestedAmountFen, input.termMonths),
    red_listed: input.redListed ? 1 : 0,
  });
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  invariant(Number.isSafeInteger(total), 'sum left the safe integer range');
  return total;
}

/** n / d rounded half away from zero, exact; d > 0. */
function divRound(n: bigint, d: bigint): number {
  invariant(d > 0n, 'divisor must be positive');
  const magnitude = ((n < 0n ? -n : n) * 2n + d) / (2n * d);
  return Number(n < 0n ? -magnitude : magnitude);
}

/** Whole months m with addMonthsClamped(from, m) <= to; 0 when `to` is before `from`. */
export function wholeMonthsBetween(from: CalendarDate, to: CalendarDate): number {
  if (to <= from) return 0;
  let months = (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + (Number(to.slice(5, 7)) - Number(from.slice(5, 7)));
  while (months > 0 && addMonthsClamped(from, months) > to) months--;
  return months;
}

/** (last 3 months - first 3 months) / first 3 months, as a whole percent; null without 6 months or a zero base. */
function spendTrendPercent(monthlySpendFen: readonly Fen[]): number | null {
  if (monthlySpendFen.length < TREND_MONTHS) return null;
  const recent = monthlySpendFen.slice(-TREND_MONTHS);
  const first = sum(recent.slice(0, 3));
  const last = sum(recent.slice(3));
  if (first === 0) return last === 0 ? 0 : null;
  return divRound(BigInt(last - first) * 100n, BigInt(first));
}

/** Calendar months with at least one top-up in the 6 months up to asOf (at most 6). */
function rechargeMonths(recharges: readonly { date: CalendarDate; amountFen: Fen }[], asOf: CalendarDate): number {
  const windowStart = addMonthsClamped(asOf, -RECHARGE_WINDOW_MONTHS);
  const months = new Set<string>();
  for (const r of recharges) {
    if (r.amountFen > 0 && r.date > windowStart && r.date <= asOf) months.add(r.date.slice(0, 7));
  }
  return Math.min(RECHARGE_WINDOW_MONTHS, months.size);
}

/** Monthly income over the approximate monthly installment (requested / term), whole percent. */
function incomeToInstallmentPercent(monthlyIncomeFen: Fen, requestedAmountFen: Fen, termMonths: number): number {
  return divRound(BigInt(monthlyIncomeFen) * 100n * BigInt(termMonths), BigInt(requestedAmountFen));
}
