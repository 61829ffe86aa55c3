/**
 * SMS wire (Parlay X SendSms, ./wsdl) <-> domain values, used by both sides of the wire: our
 * client and the simulated gateway. Everything foreign is parsed here into a typed value or
 * refused with an SmsWireError naming the field; messages never repeat the offending value,
 * because it may be a phone number or a one-time code.
 *
 * Numbers as `tel:+86…` URIs and Parlay X fault reading are billing's rules
 * (../billing/soap-mapping.ts), reused so that every carrier wire reads them the same way.
 * The fault table (SMS_FAULT_TABLE) is repeated in wsdl/README.md.
 */
import { DomainError } from '../../src/core/domain-error.js';
import { checkSmsText, smsSegments } from '../../src/core/sms-segments.js';
import type { SmsSendOutcome, SmsSendRequest } from '../../src/sms/sms.port.js';
import { FAULT_DETAIL_CHARS_MAX, maskPhoneNumbers, msisdnToTel, telToMsisdn, type ParlayXFault } from '../billing/soap-mapping.js';

/** Longest correlator (our message reference) either side accepts, in characters. */
export const CORRELATOR_CHARS_MAX = 64;
/** Longest senderName: Chinese SP codes (106…) run to 20 digits; a signature is shorter. */
export const SENDER_NAME_CHARS_MAX = 20;
/** Longest requestIdentifier accepted from the gateway. */
export const REQUEST_IDENTIFIER_CHARS_MAX = 128;
/** Parlay X name of the interface receipts are sent to (SmsNotification.notifySmsDeliveryReceipt). */
export const RECEIPT_INTERFACE_NAME = 'SmsNotification';
/**
 * receiptRequest.endpoint while the lender serves no receipt endpoint (wsdl/README.md): a URN
 * no gateway can call. The receiptRequest is still sent, because it carries the correlator.
 */
export const RECEIPT_ENDPOINT_NONE = 'urn:carrier-lending:sms:no-receipts';
/** Addresses per sendSms in this contract: one message to one phone per correlator. */
export const ADDRESSES_PER_REQUEST_MAX = 1;
/** Project message ids in the range Parlay X leaves to third parties (wsdl/README.md). */
export const SMS_FAULT_IDS = {
  barred: 'POL3101',
  optedOut: 'POL3102',
} as const;
/** Prefix of the requestIdentifier we record when a gateway answers SVC0005 (duplicate correlator). */
export const DUPLICATE_CORRELATOR_ID_PREFIX = 'correlator:';

export type SmsWireCode = 'SMS_WIRE_VALUE_INVALID' | 'SMS_WIRE_REPLY_INVALID';

/** A value on the SMS wire that does not fit its contract; `field` names it. */
export class SmsWireError extends DomainError {
  constructor(code: SmsWireCode, message: string, field: string) {
    super(code, message, field);
    this.name = 'SmsWireError';
  }
}

// ---------------------------------------------------------------- small readers

/** Runs a shared parser (numbers, text) and re-labels its error as an SMS wire error. */
function as<T>(code: SmsWireCode, parse: () => T, field: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DomainError) throw new SmsWireError(code, error.message, field);
    throw error;
  }
}

function record(value: unknown, field: string, code: SmsWireCode): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SmsWireError(code, `${field} is missing or not a structure`, field);
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

/** An identifier-like text: 1 to `charsMax` characters, no whitespace, controls or markup. */
function token(value: unknown, field: string, charsMax: number, code: SmsWireCode): string {
  const t = textOf(value);
  if (t === undefined || t.length === 0 || t.length > charsMax || /[\s\u0000-\u001f<>&"']/.test(t)) {
    throw new SmsWireError(code, `${field} must be 1 to ${charsMax} characters without spaces or markup`, field);
  }
  return t;
}

// ---------------------------------------------------------------- masking

/** Phone numbers masked, on one line, at most FAULT_DETAIL_CHARS_MAX characters: details end up in logs and rows. */
export function maskedDetail(detail: string): string {
  const masked = maskPhoneNumbers(detail.replace(/\s+/g, ' '));
  return masked.length > FAULT_DETAIL_CHARS_MAX ? `${masked.slice(0, FAULT_DETAIL_CHARS_MAX - 1)}…` : masked;
}

// ---------------------------------------------------------------- request

/** Where receipts go and the correlator they come back under. */
export interface ReceiptRequest {
  endpoint: string;
  interfaceName: string;
  correlator: string;
}

/** The sendSms body, element for element, as node-soap writes it. */
export interface SendSmsArgs {
  addresses: string[];
  senderName: string;
  message: string;
  /**
   * SimpleReference's fields are unqualified in the Parlay X schema (no elementFormDefault),
   * but node-soap declares the operation's namespace as the default one; `xmlns=""` on
   * <receiptRequest> keeps <endpoint>, <interfaceName>, <correlator> unqualified, as a
   * strict (Axis, CXF) gateway expects. Billing does the same for ChargingInformation.
   */
  receiptRequest: { attributes: { xmlns: '' } } & ReceiptRequest;
}

export interface SendSmsOptions {
  senderName: string;
  receiptEndpoint: string;
}

/** A senderName we may configure: digits, letters, or a short signature, no markup. */
export function checkSenderName(value: unknown, field = 'senderName'): string {
  const t = typeof value === 'string' ? value : '';
  if (t.length === 0 || t.length > SENDER_NAME_CHARS_MAX || /[\u0000-\u001f<>&]/.test(t)) {
    throw new SmsWireError('SMS_WIRE_VALUE_INVALID', `${field} must be 1 to ${SENDER_NAME_CHARS_MAX} printable characters`, field);
  }
  return t;
}

/**
 * Our request on the wire. A malformed request is our bug and throws (the outbound queue
 * checks the same rules before a message is stored, so this never fires for a stored one).
 */
export function sendSmsArgs(request: SmsSendRequest, options: SendSmsOptions): SendSmsArgs {
  const code = 'SMS_WIRE_VALUE_INVALID';
  const address = as(code, () => msisdnToTel(request.msisdn, 'msisdn'), 'msisdn');
  as(code, () => checkSmsText(request.text, 'text'), 'text');
  return {
    addresses: [address],
    senderName: checkSenderName(options.senderName),
    message: request.text,
    receiptRequest: {
      attributes: { xmlns: '' },
      endpoint: options.receiptEndpoint,
      interfaceName: RECEIPT_INTERFACE_NAME,
      correlator: token(request.reference, 'reference', CORRELATOR_CHARS_MAX, code),
    },
  };
}

/** A sendSms request as the gateway side reads it. */
export interface ParsedSendSms {
  msisdns: string[];
  senderName: string | undefined;
  message: string;
  /** Absent when the sender asked for no receipt: such a message cannot be de-duplicated. */
  receipt: ReceiptRequest | undefined;
  /** Whether a `charging` element was present (this contract never charges the recipient). */
  charging: boolean;
}

/** Simulator side: the body of sendSms into a typed request. */
export function parseSendSmsArgs(args: unknown): ParsedSendSms {
  const code = 'SMS_WIRE_VALUE_INVALID';
  const body = record(args, 'body', code);
  const addresses = listOf(body.addresses);
  if (addresses.length === 0) throw new SmsWireError(code, 'addresses must hold at least one tel: URI', 'addresses');
  const msisdns = addresses.map((a, i) => as(code, () => telToMsisdn(textOf(a), `addresses[${i}]`), `addresses[${i}]`));
  const message = textOf(body.message);
  if (message === undefined || message.length === 0) throw new SmsWireError(code, 'message must be a non-empty text', 'message');
  let receipt: ReceiptRequest | undefined;
  if (body.receiptRequest !== undefined && body.receiptRequest !== null) {
    const r = record(body.receiptRequest, 'receiptRequest', code);
    const endpoint = textOf(r.endpoint);
    const interfaceName = textOf(r.interfaceName);
    if (endpoint === undefined || endpoint.length === 0) throw new SmsWireError(code, 'receiptRequest.endpoint must be a URI', 'receiptRequest.endpoint');
    if (interfaceName === undefined || interfaceName.length === 0) {
      throw new SmsWireError(code, 'receiptRequest.interfaceName must be named', 'receiptRequest.interfaceName');
    }
    receipt = { endpoint, interfaceName, correlator: token(r.correlator, 'receiptRequest.correlator', CORRELATOR_CHARS_MAX, code) };
  }
  const senderName = body.senderName === undefined ? undefined : checkSenderName(textOf(body.senderName), 'senderName');
  return { msisdns, senderName, message, receipt, charging: body.charging !== undefined && body.charging !== null };
}

// ---------------------------------------------------------------- replies

/** sendSmsResponse -> the gateway's requestIdentifier. */
export function parseSendSmsReply(response: unknown): string {
  const body = record(response, 'sendSmsResponse', 'SMS_WIRE_REPLY_INVALID');
  return token(body.result, 'result', REQUEST_IDENTIFIER_CHARS_MAX, 'SMS_WIRE_REPLY_INVALID');
}

/** Simulator side: the body of getSmsDeliveryStatus. */
export function parseDeliveryStatusArgs(args: unknown): string {
  const body = record(args, 'body', 'SMS_WIRE_VALUE_INVALID');
  return token(body.requestIdentifier, 'requestIdentifier', REQUEST_IDENTIFIER_CHARS_MAX, 'SMS_WIRE_VALUE_INVALID');
}

// ---------------------------------------------------------------- faults

/**
 * `by_address`: refused when the fault names the addresses part (the gateway will not take
 * this number), otherwise service_error (our request was wrong: a bug, left visible).
 * `duplicate`: the gateway refuses a correlator it has seen, i.e. the first send stands.
 */
export type SmsFaultRule = 'refused' | 'service_error' | 'by_address' | 'duplicate';

export interface SmsFaultTableRow {
  messageId: string;
  rule: SmsFaultRule;
  meaning: string;
  source: 'Parlay X' | 'project';
}

/** The fault table; wsdl/README.md repeats it. An id outside it falls back to its family (POL -> refused, else service_error). */
export const SMS_FAULT_TABLE: readonly SmsFaultTableRow[] = [
  { messageId: 'SVC0001', rule: 'service_error', meaning: 'service error', source: 'Parlay X' },
  { messageId: 'SVC0002', rule: 'by_address', meaning: 'invalid input value', source: 'Parlay X' },
  { messageId: 'SVC0004', rule: 'refused', meaning: 'no valid addresses: the number is unknown to the gateway', source: 'Parlay X' },
  { messageId: 'SVC0005', rule: 'duplicate', meaning: 'duplicate correlator: a message with this reference was already accepted', source: 'Parlay X' },
  { messageId: 'SVC0280', rule: 'refused', meaning: 'message too long', source: 'Parlay X' },
  { messageId: 'POL0001', rule: 'refused', meaning: 'policy error', source: 'Parlay X' },
  { messageId: 'POL0008', rule: 'refused', meaning: 'charging not supported', source: 'Parlay X' },
  { messageId: SMS_FAULT_IDS.barred, rule: 'refused', meaning: 'the number is barred from messages of this service provider', source: 'project' },
  { messageId: SMS_FAULT_IDS.optedOut, rule: 'refused', meaning: 'the subscriber opted out of messages of this service provider', source: 'project' },
];

const ADDRESS_WORDS = /addresses|address|tel:/i;

function ruleForFault(fault: ParlayXFault): Exclude<SmsFaultRule, 'by_address'> {
  const rule = SMS_FAULT_TABLE.find((r) => r.messageId === fault.messageId)?.rule;
  if (rule === 'by_address') return ADDRESS_WORDS.test(`${fault.text} ${fault.variables.join(' ')}`) ? 'refused' : 'service_error';
  if (rule !== undefined) return rule;
  if (fault.messageId.startsWith('POL') || fault.exception === 'PolicyException') return 'refused';
  return 'service_error';
}

/** "%1" placeholders filled from variables, numbers masked, length bounded. */
export function describeSmsFault(fault: ParlayXFault): string {
  const filled = fault.text.replace(/%(\d+)/g, (all, n: string) => fault.variables[Number(n) - 1] ?? all);
  const extra = fault.variables.length > 0 && !/%\d/.test(fault.text) ? ` (${fault.variables.join(', ')})` : '';
  return maskedDetail(`${fault.exception} ${fault.messageId}: ${filled}${extra}`);
}

/**
 * A Parlay X fault as a send outcome. SVC0005 comes from a gateway that refuses a reused
 * correlator instead of answering with the first result; our references are unique per
 * message, so it means our earlier send was accepted: the outcome is `accepted` under a
 * requestIdentifier made from the correlator (receipts are matched on the correlator).
 */
export function outcomeForFault(fault: ParlayXFault, request: SmsSendRequest): SmsSendOutcome {
  const rule = ruleForFault(fault);
  if (rule === 'duplicate') {
    return { kind: 'accepted', requestIdentifier: `${DUPLICATE_CORRELATOR_ID_PREFIX}${request.reference}`, segments: smsSegments(request.text).segments };
  }
  return { kind: rule, code: fault.messageId, detail: describeSmsFault(fault) };
}
