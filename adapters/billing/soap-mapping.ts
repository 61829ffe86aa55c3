/**
 * Billing SOAP wire <-> domain values, used by both sides of the wire (our client and the
 * carrier simulator). Every value that crosses is checked here: money as exact CNY decimal
 * strings (never floats), subscribers as `tel:+86…` URIs, Parlay X faults as typed
 * ChargeFailure outcomes through one documented table (FAULT_TABLE, and
 * adapters/billing/wsdl/README.md). Anything that does not fit is a BillingWireError that
 * names the field.
 */
import { createHash } from 'node:crypto';
import { DomainError } from '../../src/core/domain-error.js';
import { maskMobile } from '../../src/core/identity.js';
import { AMOUNT_FEN_MAX, type Fen } from '../../src/core/money.js';
import type { ChargeFailure, ChargeRequest, Msisdn, RefundRequest } from '../../src/billing/billing.port.js';

export const CURRENCY_CNY = 'CNY';
export const TEL_URI_PREFIX = 'tel:+86';
/** Parlay X Account Management balanceType that carries prepaid credit. */
export const BALANCE_TYPE_PREPAID = 'MAIN';
/** Longest referenceCode either side accepts, in characters (ours are far shorter). */
export const REFERENCE_CODE_CHARS_MAX = 64;
/** Longest charge description sent or accepted, in characters (what a balance SMS can show). */
export const DESCRIPTION_CHARS_MAX = 100;
/** Longest fault detail kept in an outcome, in characters: enough for a sentence, never a dump. */
export const FAULT_DETAIL_CHARS_MAX = 300;

/** Project-specific Parlay X message ids (the standard leaves 1000-9999 to third parties). */
export const FAULT_IDS = {
  insufficientCredit: 'POL1000',
  subscriberSuspended: 'POL1010',
  postpaidNoBalance: 'POL1011',
  refundNoMatchingCharge: 'POL1012',
  referenceReused: 'POL1013',
  spAuthenticationFailed: 'SVC1000',
} as const;

export type BillingWireCode = 'BILLING_WIRE_AMOUNT_INVALID' | 'BILLING_WIRE_ADDRESS_INVALID' | 'BILLING_WIRE_VALUE_INVALID' | 'BILLING_WIRE_REPLY_INVALID';

/** A value on the billing wire that does not fit its contract; `field` names it. */
export class BillingWireError extends DomainError {
  constructor(code: BillingWireCode, message: string, field: string) {
    super(code, message, field);
    this.name = 'BillingWireError';
  }
}

// ---------------------------------------------------------------- money

/** 1234 -> "12.34": always two decimals, no sign, no exponent. */
export function fenToDecimal(fen: Fen, field: string): string {
  if (typeof fen !== 'number' || !Number.isSafeInteger(fen) || fen < 0 || fen > AMOUNT_FEN_MAX) {
    throw new BillingWireError('BILLING_WIRE_AMOUNT_INVALID', `${field} must be a whole, non-negative number of fen`, field);
  }
  const text = String(fen).padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

const DECIMAL_CNY = /^(\d{1,15})(?:\.(\d{1,2}))?$/;

/** "12.34" -> 1234, "12.3" -> 1230, "12" -> 1200. More than two decimals, signs, exponents and spaces are refused. */
export function decimalToFen(value: unknown, field: string): Fen {
  const match = typeof value === 'string' ? DECIMAL_CNY.exec(value) : null;
  if (!match) {
    throw new BillingWireError('BILLING_WIRE_AMOUNT_INVALID', `${field} must be a CNY amount with at most two decimals, such as 12.34`, field);
  }
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen) || fen > AMOUNT_FEN_MAX) {
    throw new BillingWireError('BILLING_WIRE_AMOUNT_INVALID', `${field} exceeds the largest supported amount`, field);
  }
  return fen;
}

// ---------------------------------------------------------------- subscribers

const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

export function msisdnToTel(msisdn: Msisdn, field: string): string {
  if (typeof msisdn !== 'string' || !MAINLAND_MOBILE.test(msisdn)) {
    throw new BillingWireError('BILLING_WIRE_ADDRESS_INVALID', `${field} must be an 11-digit mainland mobile number`, field);
  }
  return `${TEL_URI_PREFIX}${msisdn}`;
}

export function telToMsisdn(uri: unknown, field: string): Msisdn {
  const msisdn = typeof uri === 'string' && uri.startsWith(TEL_URI_PREFIX) ? uri.slice(TEL_URI_PREFIX.length) : '';
  if (!MAINLAND_MOBILE.test(msisdn)) {
    throw new BillingWireError('BILLING_WIRE_ADDRESS_INVALID', `${field} must be a tel:+86 URI of a mainland mobile number`, field);
  }
  return msisdn;
}

/** Masks every mainland mobile number inside free text (carrier fault texts may quote them). */
export function maskPhoneNumbers(text: string): string {
  return text.replace(/(?:\+?86)?(1[3-9]\d{9})(?!\d)/g, (_all, mobile: string) => maskMobile(mobile));
}

// ---------------------------------------------------------------- request bodies

export interface ChargeArgs {
  endUserIdentifier: string;
  charge: { description: string; currency: string; amount: string };
  referenceCode: string;
}

export interface RefundArgs extends ChargeArgs {
  originalReferenceCode: string;
}

function checkText(value: unknown, field: string, charsMax: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > charsMax || /[\u0000-\u001f]/.test(value)) {
    throw new BillingWireError('BILLING_WIRE_VALUE_INVALID', `${field} must be 1 to ${charsMax} printable characters`, field);
  }
  return value;
}

function checkPositive(fen: Fen, field: string): string {
  if (fen === 0) throw new BillingWireError('BILLING_WIRE_AMOUNT_INVALID', `${field} must be greater than zero`, field);
  return fenToDecimal(fen, field);
}

export function chargeArgs(request: ChargeRequest): ChargeArgs {
  return {
    endUserIdentifier: msisdnToTel(request.msisdn, 'msisdn'),
    charge: {
      description: checkText(request.description, 'description', DESCRIPTION_CHARS_MAX),
      currency: CURRENCY_CNY,
      amount: checkPositive(request.amountFen, 'amountFen'),
    },
    referenceCode: checkText(request.referenceCode, 'referenceCode', REFERENCE_CODE_CHARS_MAX),
  };
}

export function refundArgs(request: RefundRequest): RefundArgs {
  return {
    ...chargeArgs(request),
    originalReferenceCode: checkText(request.originalReferenceCode, 'originalReferenceCode', REFERENCE_CODE_CHARS_MAX),
  };
}

/** A charge or refund request as the carrier side reads it. */
export interface ParsedCharge {
  msisdn: Msisdn;
  amountFen: Fen;
  description: string;
  referenceCode: string;
  originalReferenceCode?: string;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BillingWireError('BILLING_WIRE_VALUE_INVALID', `${field} is missing`, field);
  }
  return value as Record<string, unknown>;
}

/** Simulator side: the body of chargeAmount / refundAmount into a typed request. */
export function parseChargeArgs(args: unknown): ParsedCharge {
  const body = record(args, 'body');
  const charge = record(body.charge, 'charge');
  if (charge.currency !== CURRENCY_CNY) {
    throw new BillingWireError('BILLING_WIRE_AMOUNT_INVALID', `charge.currency must be ${CURRENCY_CNY}`, 'charge.currency');
  }
  const amountFen = decimalToFen(charge.amount, 'charge.amount');
  if (amountFen === 0) throw new BillingWireError('BILLING_WIRE_AMOUNT_INVALID', 'charge.amount must be greater than zero', 'charge.amount');
  const parsed: ParsedCharge = {
    msisdn: telToMsisdn(body.endUserIdentifier, 'endUserIdentifier'),
    amountFen,
    description: checkText(charge.description, 'charge.description', DESCRIPTION_CHARS_MAX),
    referenceCode: checkText(body.referenceCode, 'referenceCode', REFERENCE_CODE_CHARS_MAX),
  };
  if (body.originalReferenceCode !== undefined) {
    parsed.originalReferenceCode = checkText(body.originalReferenceCode, 'originalReferenceCode', REFERENCE_CODE_CHARS_MAX);
  }
  return parsed;
}

// ---------------------------------------------------------------- replies

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

/**
 * getBalanceResponse -> prepaid credit in fen. Exactly one `MAIN` balance is required. A
 * negative MAIN balance (arrears) means no credit to draw on, so it is reported as 0.
 */
export function parseBalanceReply(result: unknown): Fen {
  const balances = listOf(record(result, 'getBalanceResponse').result).filter(
    (b) => textOf(record(b, 'result').balanceType) === BALANCE_TYPE_PREPAID,
  );
  if (balances.length !== 1) {
    throw new BillingWireError('BILLING_WIRE_REPLY_INVALID', `getBalanceResponse must hold exactly one ${BALANCE_TYPE_PREPAID} balance`, 'result.balanceType');
  }
  const amount = textOf((balances[0] as Record<string, unknown>).amount);
  if (amount !== undefined && /^-\d/.test(amount)) {
    decimalToFen(amount.slice(1), 'result.amount');
    return 0;
  }
  return decimalToFen(amount, 'result.amount');
}

// ---------------------------------------------------------------- faults

export type FaultException = 'ServiceException' | 'PolicyException' | 'none';

/** A SOAP fault read into Parlay X terms. `none`: a fault without a Parlay X detail (e.g. from a proxy). */
export interface ParlayXFault {
  exception: FaultException;
  messageId: string;
  text: string;
  variables: string[];
}

export type FaultKind = Exclude<ChargeFailure['kind'], 'timeout'>;

/** Message id of a fault that carries no usable Parlay X id. */
export const GENERIC_FAULT_ID = 'SOAP_FAULT';

const PARLAY_X_ID = /^(SVC|POL)\d{4}$/;

/** Reads node-soap's parsed `Fault` (SOAP 1.1 faultcode/faultstring/detail). */
export function parseSoapFault(fault: unknown): ParlayXFault {
  const f = record(fault, 'Fault');
  const detail = typeof f.detail === 'object' && f.detail !== null ? (f.detail as Record<string, unknown>) : {};
  for (const exception of ['ServiceException', 'PolicyException'] as const) {
    const body = detail[exception];
    if (typeof body !== 'object' || body === null) continue;
    const d = body as Record<string, unknown>;
    const id = textOf(d.messageId) ?? '';
    return {
      exception,
      messageId: PARLAY_X_ID.test(id) ? id : GENERIC_FAULT_ID,
      text: textOf(d.text) ?? '',
      variables: listOf(d.variables).map(textOf).filter((v): v is string => v !== undefined),
    };
  }
  const code = (textOf(f.faultcode) ?? '').replace(/^[^:]*:/, '');
  const text = textOf(f.faultstring) ?? '';
  if (PARLAY_X_ID.test(code)) {
    // Some SDPs put the message id in faultcode and leave detail empty.
    return { exception: code.startsWith('POL') ? 'PolicyException' : 'ServiceException', messageId: code, text, variables: [] };
  }
  return { exception: 'none', messageId: GENERIC_FAULT_ID, text: `${textOf(f.faultcode) ?? 'fault'}: ${text}`, variables: [] };
}

/**
 * `by_text`: decided by SVC0270_TEXT_RULES. `by_address`: subscriber_unknown when the text or
 * variables name the address (endUserIdentifier), otherwise service_error (our request was wrong).
 */
export type FaultRule = FaultKind | 'by_text' | 'by_address';

export interface FaultTableRow {
  messageId: string;
  rule: FaultRule;
  meaning: string;
  source: 'Parlay X' | 'project';
}

/** The fault table; README.md in adapters/billing/wsdl repeats it. Order of lookup: exact id, then the fallbacks below it. */
export const FAULT_TABLE: readonly FaultTableRow[] = [
  { messageId: 'POL1000', rule: 'insufficient_credit', meaning: 'prepaid credit is less than the amount', source: 'project' },
  { messageId: 'POL1010', rule: 'subscriber_suspended', meaning: 'the account is suspended or barred', source: 'project' },
  { messageId: 'POL1011', rule: 'policy_refused', meaning: 'balance enquiry on a postpaid account', source: 'project' },
  { messageId: 'POL1012', rule: 'policy_refused', meaning: 'refund without a matching charge, or more than was charged', source: 'project' },
  { messageId: 'POL1013', rule: 'policy_refused', meaning: 'referenceCode already used for a different charge', source: 'project' },
  { messageId: 'SVC1000', rule: 'service_error', meaning: 'service provider authentication failed (RequestSOAPHeader)', source: 'project' },
  { messageId: 'SVC0001', rule: 'service_error', meaning: 'service error', source: 'Parlay X' },
  { messageId: 'SVC0002', rule: 'by_address', meaning: 'invalid input value', source: 'Parlay X' },
  { messageId: 'SVC0004', rule: 'subscriber_unknown', meaning: 'no valid addresses', source: 'Parlay X' },
  { messageId: 'SVC0007', rule: 'service_error', meaning: 'invalid charging information', source: 'Parlay X' },
  { messageId: 'SVC0270', rule: 'by_text', meaning: 'charging operation failed, the charge was not applied', source: 'Parlay X' },
  { messageId: 'POL0001', rule: 'policy_refused', meaning: 'policy error', source: 'Parlay X' },
  { messageId: 'POL0002', rule: 'policy_refused', meaning: 'privacy error', source: 'Parlay X' },
  { messageId: 'POL0008', rule: 'policy_refused', meaning: 'charging not supported', source: 'Parlay X' },
];

/**
 * Carriers overload SVC0270 "charging failed" and say why only in the text. First match
 * wins; suspension is checked first because a suspended account also "lacks credit" to
 * charge, and recharging alone may not lift the suspension.
 */
export const SVC0270_TEXT_RULES: readonly { kind: FaultKind; pattern: RegExp }[] = [
  { kind: 'subscriber_suspended', pattern: /suspend|barred|blocked|deactivated|停机|冻结/i },
  { kind: 'insufficient_credit', pattern: /insufficient|not enough|low (credit|balance)|balance (is )?too low|余额不足|余额不够|欠费/i },
  { kind: 'subscriber_unknown', pattern: /(user|subscriber|number|msisdn|account)\b.{0,20}\b(not exist|does not exist|unknown|not found)|unknown (user|subscriber)|用户不存在|号码不存在|空号|销户/i },
];

const ADDRESS_WORDS = /endUserIdentifier|address|tel:/i;

/** Exact message id first; an id outside the table falls back to its family (POL or SVC). */
function kindForFault(fault: ParlayXFault): FaultKind {
  const all = `${fault.text} ${fault.variables.join(' ')}`;
  const rule = FAULT_TABLE.find((r) => r.messageId === fault.messageId)?.rule;
  if (rule === 'by_text') return SVC0270_TEXT_RULES.find((r) => r.pattern.test(all))?.kind ?? 'service_error';
  if (rule === 'by_address') return ADDRESS_WORDS.test(all) ? 'subscriber_unknown' : 'service_error';
  if (rule !== undefined) return rule;
  if (fault.messageId.startsWith('POL') || fault.exception === 'PolicyException') return 'policy_refused';
  return 'service_error';
}

/** "%1" placeholders filled from variables, phone numbers masked, length bounded. */
export function describeFault(fault: ParlayXFault): string {
  const filled = fault.text.replace(/%(\d+)/g, (all, n: string) => fault.variables[Number(n) - 1] ?? all);
  const extra = fault.variables.length > 0 && !/%\d/.test(fault.text) ? ` (${fault.variables.join(', ')})` : '';
  const detail = maskPhoneNumbers(`${fault.exception} ${fault.messageId}: ${filled}${extra}`);
  return detail.length > FAULT_DETAIL_CHARS_MAX ? `${detail.slice(0, FAULT_DETAIL_CHARS_MAX - 1)}…` : detail;
}

export function failureForFault(fault: ParlayXFault): ChargeFailure {
  return { kind: kindForFault(fault), code: fault.messageId, detail: describeFault(fault) };
}

// ---------------------------------------------------------------- service provider header

export const SDP_HEADER_NAMESPACE = 'http://www.huawei.com.cn/schema/common/v2_1';
/** Asia/Shanghai is UTC+8 all year (no daylight saving). */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** yyyyMMddHHmmss in Asia/Shanghai, as Huawei-style SDPs expect in RequestSOAPHeader.timeStamp. */
export function sdpTimeStamp(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().replace(/\D/g, '').slice(0, 14);
}

/** sdpTimeStamp read back; undefined when it is not a real yyyyMMddHHmmss instant. */
export function parseSdpTimeStamp(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const at = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - SHANGHAI_OFFSET_MS);
  return sdpTimeStamp(at) === text ? at : undefined;
}

/** The SDP's spPassword: upper-case hex MD5(spId + secret + timeStamp). MD5 is the carrier's choice, not ours. */
export function sdpPasswordDigest(spId: string, secret: string, timeStamp: string): string {
  return createHash('md5').update(`${spId}${secret}${timeStamp}`, 'utf8').digest('hex').toUpperCase();
}

function escapeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The RequestSOAPHeader element sent in front of every call when an spId is configured. */
export function sdpRequestHeaderXml(spId: string, secret: string, at: Date): string {
  const timeStamp = sdpTimeStamp(at);
  return `<sdp:RequestSOAPHeader xmlns:sdp="${SDP_HEADER_NAMESPACE}">`
    + `<sdp:spId>${escapeXmlText(spId)}</sdp:spId>`
    + `<sdp:spPassword>${sdpPasswordDigest(spId, secret, timeStamp)}</sdp:spPassword>`
    + `<sdp:timeStamp>${timeStamp}</sdp:timeStamp>`
    + '</sdp:RequestSOAPHeader>';
}
