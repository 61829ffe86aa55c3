/**
 * CRM wire <-> domain values, used by both sides of the wire (our client and the carrier
 * simulator) and by the receiver of the change feed. Everything foreign is parsed here into
 * a typed SubscriberProfile / CrmChangeEvent or refused with a CrmWireError naming the field
 * (`result.usage.monthlySpend[2]`); messages never repeat the offending value, because it may
 * be a phone or ID number.
 *
 * Data minimisation happens twice on the way in: groups the request did not ask for are
 * dropped before they are even parsed, and the result goes through minimiseProfile for the
 * purpose, so an over-sharing carrier cannot widen what reaches the lending side.
 *
 * Money, tel: URIs and Parlay X fault reading are billing's rules (../billing/soap-mapping.ts),
 * reused so that both carrier wires read amounts and subscribers the same way.
 */
import { DomainError } from '../../src/core/domain-error.js';
import { maskIdNumber, parseIdNumber, parsePersonName } from '../../src/core/identity.js';
import { parseCalendarDate, type CalendarDate } from '../../src/core/calendar-date.js';
import type { Fen } from '../../src/core/money.js';
import {
  CRM_FIELD_GROUPS, CRM_PURPOSES, FIELD_GROUPS_BY_PURPOSE, SUBSCRIBER_PLANS, SUBSCRIBER_STATUSES, minimiseProfile,
  type AddressRecord, type BehaviourRecord, type CrmChangeEvent, type CrmFieldGroup, type CrmPurpose, type DeviceRecord,
  type PlanRecord, type RealNameRecord, type Recharge, type StatusRecord, type SubscriberProfile, type UsageRecord,
} from '../../src/core/subscriber-profile.js';
import type { SubscriberLookup, SubscriberLookupOutcome } from '../../src/risk/crm.port.js';
import {
  FAULT_DETAIL_CHARS_MAX, REFERENCE_CODE_CHARS_MAX, decimalToFen, fenToDecimal, maskPhoneNumbers, msisdnToTel, telToMsisdn, type ParlayXFault,
} from '../billing/soap-mapping.js';

/** Longest consentReference either side accepts, in characters. */
export const CONSENT_REFERENCE_CHARS_MAX = 64;
/** Months of spend in a usage group: exactly six, oldest first. */
export const USAGE_MONTHS = 6;
/** Most recharges accepted in a usage group (six months of daily top-ups and then some). */
export const RECHARGES_MAX = 500;
/** Most villages accepted in villagesSeen. */
export const VILLAGES_SEEN_MAX = 100;
/** Longest address text accepted, in characters; county and village names are shorter. */
export const ADDRESS_CHARS_MAX = 200;
export const PLACE_NAME_CHARS_MAX = 50;
/** Largest count accepted in a behaviour field: far above 30 days of anyone's calls. */
export const BEHAVIOUR_COUNT_MAX = 1_000_000;
/** Project message ids in the range Parlay X leaves to third parties (wsdl/README.md). */
export const CRM_FAULT_IDS = {
  unknownSubscriber: 'POL3001',
  consentRefused: 'POL3002',
  groupNotPermitted: 'POL3003',
} as const;

export type CrmWireCode = 'CRM_WIRE_VALUE_INVALID' | 'CRM_WIRE_REPLY_INVALID';

/** A value on the CRM wire that does not fit its contract; `field` names it. */
export class CrmWireError extends DomainError {
  constructor(code: CrmWireCode, message: string, field: string) {
    super(code, message, field);
    this.name = 'CrmWireError';
  }
}

// ---------------------------------------------------------------- small readers

/** Runs a shared parser (identity, dates, money) and re-labels its error as a CRM wire error. */
function as<T>(code: CrmWireCode, parse: () => T, field: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DomainError) throw new CrmWireError(code, error.message, error.field ?? field);
    throw error;
  }
}

function record(value: unknown, field: string, code: CrmWireCode = 'CRM_WIRE_REPLY_INVALID'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CrmWireError(code, `${field} is missing or not a structure`, field);
  return value as Record<string, unknown>;
}

/** Text content of a parsed element: node-soap gives a string, or `{ $value }` when attributes are present. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'object' && value !== null && '$value' in value) return textOf((value as { $value: unknown }).$value);
  return undefined;
}

function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function text(value: unknown, field: string, charsMax: number, code: CrmWireCode = 'CRM_WIRE_VALUE_INVALID'): string {
  const t = textOf(value);
  if (t === undefined || t.length === 0 || t.length > charsMax || /[\u0000-\u001f<>]/.test(t)) {
    throw new CrmWireError(code, `${field} must be 1 to ${charsMax} printable characters`, field);
  }
  return t;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, code: CrmWireCode = 'CRM_WIRE_VALUE_INVALID'): T {
  const t = textOf(value);
  if (t === undefined || !(allowed as readonly string[]).includes(t)) throw new CrmWireError(code, `${field} must be one of ${allowed.join(', ')}`, field);
  return t as T;
}

function count(value: unknown, field: string, max: number): number {
  const t = textOf(value);
  const n = t !== undefined && /^\d{1,9}$/.test(t) ? Number(t) : NaN;
  if (!(n <= max)) throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${field} must be a whole number from 0 to ${max}`, field);
  return n;
}

const date = (value: unknown, field: string, code: CrmWireCode = 'CRM_WIRE_VALUE_INVALID'): CalendarDate =>
  as(code, () => parseCalendarDate(textOf(value), field), field);

const money = (value: unknown, field: string): Fen => as('CRM_WIRE_VALUE_INVALID', () => decimalToFen(textOf(value), field), field);

// ---------------------------------------------------------------- masking

const ID_NUMBER_IN_TEXT = /(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])/g;

/**
 * Masks ID numbers, then phone numbers, in free text (carrier fault texts may quote either),
 * on one line and at most FAULT_DETAIL_CHARS_MAX characters: details end up in logs.
 */
export function maskedDetail(detail: string): string {
  const masked = maskPhoneNumbers(detail.replace(/\s+/g, ' ').replace(ID_NUMBER_IN_TEXT, (id: string) => maskIdNumber(id.toUpperCase())));
  return masked.length > FAULT_DETAIL_CHARS_MAX ? `${masked.slice(0, FAULT_DETAIL_CHARS_MAX - 1)}…` : masked;
}

// ---------------------------------------------------------------- request

/** The getSubscriberProfile body, element for element. */
export interface GetSubscriberProfileArgs {
  endUserIdentifier: string;
  purpose: CrmPurpose;
  consentReference: string;
  fieldGroups: CrmFieldGroup[];
  referenceCode: string;
}

function referenceCode(value: unknown, field: string, code: CrmWireCode): string {
  return text(value, field, REFERENCE_CODE_CHARS_MAX, code);
}

/** Group names in contract order, each once; an empty list, a duplicate or an unknown name is refused. */
function fieldGroups(values: readonly unknown[], field: string, code: CrmWireCode, allowDuplicates: boolean): CrmFieldGroup[] {
  if (values.length === 0) throw new CrmWireError(code, `${field} must name at least one field group`, field);
  const named = values.map((v, i) => oneOf(v, CRM_FIELD_GROUPS, `${field}[${i}]`, code));
  if (!allowDuplicates && new Set(named).size !== named.length) throw new CrmWireError(code, `${field} names a field group twice`, field);
  return CRM_FIELD_GROUPS.filter((g) => named.includes(g));
}

/**
 * Our request on the wire. A malformed request is our bug and throws. Consent and the
 * purpose's groups are not judged here: the carrier enforces them (POL3002, POL3003) and
 * the reply is minimised whatever it holds, so the carrier's refusal is what the caller sees.
 */
export function lookupArgs(request: SubscriberLookup): GetSubscriberProfileArgs {
  const code = 'CRM_WIRE_VALUE_INVALID';
  const consent = typeof request.consentRef === 'string' ? request.consentRef : undefined;
  if (consent === undefined || consent.length > CONSENT_REFERENCE_CHARS_MAX || /[\u0000-\u001f<>]/.test(consent)) {
    throw new CrmWireError(code, `consentRef must be at most ${CONSENT_REFERENCE_CHARS_MAX} printable characters`, 'consentRef');
  }
  return {
    endUserIdentifier: as(code, () => msisdnToTel(request.msisdn, 'msisdn'), 'msisdn'),
    purpose: oneOf(request.purpose, CRM_PURPOSES, 'purpose', code),
    consentReference: consent,
    fieldGroups: fieldGroups(Array.isArray(request.fields) ? request.fields : [], 'fields', code, false),
    referenceCode: referenceCode(request.referenceCode, 'referenceCode', code),
  };
}

/** A getSubscriberProfile request as the carrier side reads it. */
export interface ParsedLookup {
  msisdn: string;
  purpose: CrmPurpose;
  /** Trimmed; may be empty (the carrier refuses that as a policy matter, not as bad input). */
  consentReference: string;
  /** Each group once, in contract order. */
  fieldGroups: CrmFieldGroup[];
  referenceCode: string;
}

/** Simulator side: the body of getSubscriberProfile into a typed request. */
export function parseLookupArgs(args: unknown): ParsedLookup {
  const code = 'CRM_WIRE_VALUE_INVALID';
  const body = record(args, 'body', code);
  const consent = textOf(body.consentReference) ?? '';
  if (consent.length > CONSENT_REFERENCE_CHARS_MAX || /[\u0000-\u001f<>]/.test(consent)) {
    throw new CrmWireError(code, `consentReference must be at most ${CONSENT_REFERENCE_CHARS_MAX} printable characters`, 'consentReference');
  }
  return {
    msisdn: as(code, () => telToMsisdn(textOf(body.endUserIdentifier), 'endUserIdentifier'), 'endUserIdentifier'),
    purpose: oneOf(body.purpose, CRM_PURPOSES, 'purpose', code),
    consentReference: consent.trim(),
    fieldGroups: fieldGroups(listOf(body.fieldGroups), 'fieldGroups', code, true),
    referenceCode: referenceCode(body.referenceCode, 'referenceCode', code),
  };
}

// ---------------------------------------------------------------- reply: domain -> wire (simulator)

type Wire = Record<string, unknown>;

const GROUP_TO_WIRE: { [G in CrmFieldGroup]: (value: NonNullable<SubscriberProfile[G]>) => Wire } = {
  identity: (v) => ({ name: v.name, idNumber: v.idNumber }),
  status: (v) => ({ status: v.status, since: v.since }),
  plan: (v) => ({ plan: v.plan, activatedOn: v.activatedOn }),
  usage: (v) => ({
    monthlySpend: v.monthlySpendFen.map((fen, i) => fenToDecimal(fen, `usage.monthlySpendFen[${i}]`)),
    recharges: v.recharges.map((r, i) => ({ date: r.date, amount: fenToDecimal(r.amountFen, `usage.recharges[${i}].amountFen`) })),
  }),
  address: (v) => ({
    installedAddress: v.installedAddress, county: v.county, village: v.village, villagesSeen: [...v.villagesSeen], homeNightSharePercent: v.homeNightSharePercent,
  }),
  device: (v) => ({
    deviceId: v.deviceId, deviceSince: v.deviceSince, simIssuedOn: v.simIssuedOn, ...(v.lastSimSwapOn === null ? {} : { lastSimSwapOn: v.lastSimSwapOn }),
  }),
  behaviour: (v) => ({ callActiveDays30: v.callActiveDays30, outgoingCalls30: v.outgoingCalls30, smsSent30: v.smsSent30, regularContacts: v.regularContacts }),
};

/** The reply's `result`: the address, then exactly `groups` in schema order (node-soap writes keys in insertion order). */
export function profileToWire(profile: SubscriberProfile, groups: readonly CrmFieldGroup[]): Wire {
  const wire: Wire = { endUserIdentifier: msisdnToTel(profile.msisdn, 'msisdn') };
  for (const group of CRM_FIELD_GROUPS) {
    if (!groups.includes(group)) continue;
    const value = profile[group];
    if (value === undefined) throw new Error(`simulated profile has no ${group} group`);
    wire[group] = (GROUP_TO_WIRE[group] as (v: unknown) => Wire)(value);
  }
  return wire;
}

// ---------------------------------------------------------------- reply: wire -> domain (client)

function parseIdentity(v: unknown, f: string): RealNameRecord {
  const r = record(v, f);
  return {
    name: as('CRM_WIRE_VALUE_INVALID', () => parsePersonName(textOf(r.name), `${f}.name`), `${f}.name`),
    idNumber: as('CRM_WIRE_VALUE_INVALID', () => parseIdNumber(textOf(r.idNumber), `${f}.idNumber`), `${f}.idNumber`),
  };
}

function parseStatus(v: unknown, f: string): StatusRecord {
  const r = record(v, f);
  return { status: oneOf(r.status, SUBSCRIBER_STATUSES, `${f}.status`), since: date(r.since, `${f}.since`) };
}

function parsePlan(v: unknown, f: string): PlanRecord {
  const r = record(v, f);
  return { plan: oneOf(r.plan, SUBSCRIBER_PLANS, `${f}.plan`), activatedOn: date(r.activatedOn, `${f}.activatedOn`) };
}

function parseUsage(v: unknown, f: string): UsageRecord {
  const r = record(v, f);
  const spend = listOf(r.monthlySpend);
  if (spend.length !== USAGE_MONTHS) throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${f}.monthlySpend must hold exactly ${USAGE_MONTHS} months`, `${f}.monthlySpend`);
  const wireRecharges = listOf(r.recharges);
  if (wireRecharges.length > RECHARGES_MAX) throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${f}.recharges holds more than ${RECHARGES_MAX} entries`, `${f}.recharges`);
  const recharges: Recharge[] = wireRecharges.map((item, i) => {
    const field = `${f}.recharges[${i}]`;
    const rr = record(item, field, 'CRM_WIRE_VALUE_INVALID');
    const amountFen = money(rr.amount, `${field}.amount`);
    if (amountFen === 0) throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${field}.amount must be greater than zero`, `${field}.amount`);
    return { date: date(rr.date, `${field}.date`), amountFen };
  });
  recharges.forEach((rc, i) => {
    // The contract says oldest first; a list out of order is a carrier we misunderstand.
    if (i > 0 && rc.date < recharges[i - 1]!.date) throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${f}.recharges must be oldest first`, `${f}.recharges[${i}].date`);
  });
  return { monthlySpendFen: spend.map((s, i) => money(s, `${f}.monthlySpend[${i}]`)), recharges };
}

function parseAddress(v: unknown, f: string): AddressRecord {
  const r = record(v, f);
  const seen = listOf(r.villagesSeen);
  if (seen.length > VILLAGES_SEEN_MAX) throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${f}.villagesSeen holds more than ${VILLAGES_SEEN_MAX} entries`, `${f}.villagesSeen`);
  return {
    installedAddress: text(r.installedAddress, `${f}.installedAddress`, ADDRESS_CHARS_MAX),
    county: text(r.county, `${f}.county`, PLACE_NAME_CHARS_MAX),
    village: text(r.village, `${f}.village`, PLACE_NAME_CHARS_MAX),
    villagesSeen: seen.map((s, i) => text(s, `${f}.villagesSeen[${i}]`, PLACE_NAME_CHARS_MAX)),
    homeNightSharePercent: count(r.homeNightSharePercent, `${f}.homeNightSharePercent`, 100),
  };
}

/** A salted hash in hex or base64(url), 16 to 128 characters; anything else is not what the contract promises. */
const DEVICE_ID = /^[A-Za-z0-9+/=_-]{16,128}$/;
/** 14-17 digits is an IMEI or IMEISV in the clear, which the carrier must never send. */
const RAW_IMEI = /^\d{14,17}$/;

function parseDevice(v: unknown, f: string): DeviceRecord {
  const r = record(v, f);
  const deviceId = textOf(r.deviceId);
  if (deviceId === undefined || !DEVICE_ID.test(deviceId) || RAW_IMEI.test(deviceId)) {
    throw new CrmWireError('CRM_WIRE_VALUE_INVALID', `${f}.deviceId must be an opaque hash of 16 to 128 characters, not a raw IMEI`, `${f}.deviceId`);
  }
  return {
    deviceId,
    deviceSince: date(r.deviceSince, `${f}.deviceSince`),
    simIssuedOn: date(r.simIssuedOn, `${f}.simIssuedOn`),
    lastSimSwapOn: r.lastSimSwapOn === undefined ? null : date(r.lastSimSwapOn, `${f}.lastSimSwapOn`),
  };
}

function parseBehaviour(v: unknown, f: string): BehaviourRecord {
  const r = record(v, f);
  return {
    callActiveDays30: count(r.callActiveDays30, `${f}.callActiveDays30`, 30),
    outgoingCalls30: count(r.outgoingCalls30, `${f}.outgoingCalls30`, BEHAVIOUR_COUNT_MAX),
    smsSent30: count(r.smsSent30, `${f}.smsSent30`, BEHAVIOUR_COUNT_MAX),
    regularContacts: count(r.regularContacts, `${f}.regularContacts`, BEHAVIOUR_COUNT_MAX),
  };
}

const GROUP_FROM_WIRE: { [G in CrmFieldGroup]: (value: unknown, field: string) => NonNullable<SubscriberProfile[G]> } = {
  identity: parseIdentity,
  status: parseStatus,
  plan: parsePlan,
  usage: parseUsage,
  address: parseAddress,
  device: parseDevice,
  behaviour: parseBehaviour,
};

/**
 * getSubscriberProfileResponse -> SubscriberProfile holding only the groups that were both
 * requested and allowed for the purpose. A reply about another number, or missing a group
 * that was asked for, is refused; a group that was not asked for is dropped unread.
 */
export function parseProfileReply(response: unknown, request: Pick<SubscriberLookup, 'msisdn' | 'purpose' | 'fields'>): SubscriberProfile {
  const result = record(record(response, 'getSubscriberProfileResponse').result, 'result');
  const msisdn = as('CRM_WIRE_REPLY_INVALID', () => telToMsisdn(textOf(result.endUserIdentifier), 'result.endUserIdentifier'), 'result.endUserIdentifier');
  if (msisdn !== request.msisdn) throw new CrmWireError('CRM_WIRE_REPLY_INVALID', 'result.endUserIdentifier is not the number asked about', 'result.endUserIdentifier');
  const allowed = new Set<CrmFieldGroup>(FIELD_GROUPS_BY_PURPOSE[request.purpose]);
  const profile: SubscriberProfile = { msisdn };
  for (const group of CRM_FIELD_GROUPS) {
    if (!request.fields.includes(group) || !allowed.has(group)) continue;
    const field = `result.${group}`;
    if (result[group] === undefined || result[group] === null) throw new CrmWireError('CRM_WIRE_REPLY_INVALID', `${field} was requested but is missing`, field);
    Object.assign(profile, { [group]: GROUP_FROM_WIRE[group](result[group], field) });
  }
  return minimiseProfile(profile, request.purpose);
}

// ---------------------------------------------------------------- faults

export type CrmFailure = Exclude<SubscriberLookupOutcome, { kind: 'found' | 'timeout' }>;
export type CrmFaultKind = CrmFailure['kind'];

export interface CrmFaultTableRow {
  messageId: string;
  kind: CrmFaultKind;
  meaning: string;
  source: 'Parlay X' | 'project';
}

/** The fault table; wsdl/README.md repeats it. An id outside it falls back to its family (POL -> refused, else service_error). */
export const CRM_FAULT_TABLE: readonly CrmFaultTableRow[] = [
  { messageId: 'POL3001', kind: 'unknown_subscriber', meaning: 'unknown subscriber: the carrier has no such number', source: 'project' },
  { messageId: 'POL3002', kind: 'refused', meaning: 'consent reference refused (missing, unknown, expired or withdrawn)', source: 'project' },
  { messageId: 'POL3003', kind: 'refused', meaning: 'field group not permitted for the purpose', source: 'project' },
  { messageId: 'SVC0001', kind: 'service_error', meaning: 'service error', source: 'Parlay X' },
  { messageId: 'SVC0002', kind: 'service_error', meaning: 'invalid input value (our request was wrong)', source: 'Parlay X' },
  { messageId: 'SVC0004', kind: 'unknown_subscriber', meaning: 'no valid addresses', source: 'Parlay X' },
  { messageId: 'POL0001', kind: 'refused', meaning: 'policy error', source: 'Parlay X' },
  { messageId: 'POL0002', kind: 'refused', meaning: 'privacy error', source: 'Parlay X' },
];

function kindForFault(fault: ParlayXFault): CrmFaultKind {
  const row = CRM_FAULT_TABLE.find((r) => r.messageId === fault.messageId);
  if (row) return row.kind;
  if (fault.messageId.startsWith('POL') || fault.exception === 'PolicyException') return 'refused';
  return 'service_error';
}

/** "%1" placeholders filled from variables, numbers masked, length bounded. */
export function describeCrmFault(fault: ParlayXFault): string {
  const filled = fault.text.replace(/%(\d+)/g, (all, n: string) => fault.variables[Number(n) - 1] ?? all);
  const extra = fault.variables.length > 0 && !/%\d/.test(fault.text) ? ` (${fault.variables.join(', ')})` : '';
  return maskedDetail(`${fault.exception} ${fault.messageId}: ${filled}${extra}`);
}

export function outcomeForFault(fault: ParlayXFault): CrmFailure {
  return { kind: kindForFault(fault), code: fault.messageId, detail: describeCrmFault(fault) };
}

// ---------------------------------------------------------------- change feed

export const EVENT_ID_CHARS_MAX = 64;

/** The receiver's parser is the contract: the lender's endpoint and the simulated carrier use the same one. */
export { parseCrmChangeEvent } from '../../src/risk/crm-events.js';

/** The change-feed body on the wire: these fields, in this order, absent ones left out. */
export function crmChangeBody(event: CrmChangeEvent): string {
  const { eventId, msisdn, type, occurredAt, status, simIssuedOn } = event;
  return JSON.stringify({ eventId, msisdn, type, occurredAt, ...(status === undefined ? {} : { status }), ...(simIssuedOn === undefined ? {} : { simIssuedOn }) });
}
