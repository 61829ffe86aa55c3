/**
 * Custody bank wire (API.md) <-> domain values, used by both sides: our client builds request
 * bodies and reads replies here; the simulated bank reads request bodies and writes replies and
 * notifications here. Everything foreign is parsed into a typed value or refused with a
 * BankWireError naming the field (`payee.accountNumber`); messages never repeat the offending
 * value, since it may be an account number. Fields the contract does not name are ignored and
 * never read (a tolerant reader: a bank that adds a field must not stop our payments), but
 * every documented field is checked strictly.
 *
 * Rules shared with the callback parser (references, ids, instants, masking) are in
 * src/bank/bank-values.ts.
 */
import { TRANSFER_PURPOSES, type BankAccount, type TransferPurpose, type TransferRequest, type TransferResult } from '../../src/bank/bank.port.js';
import {
  maskAccountNumber, maskedBankText, parseBankId, parseBankText, parseInstant, parseTransferReference,
} from '../../src/bank/bank-values.js';
import { BANK_TRANSFER_STATES, type BankTransferState, type TransferStatusRecord } from '../../src/bank/transfer-status.port.js';
import { DomainError } from '../../src/core/domain-error.js';
import { AMOUNT_FEN_MAX, type Fen } from '../../src/core/money.js';

export const BANK_TRANSFERS_PATH = '/api/v1/transfers';
export const BANK_CURRENCY = 'CNY';
/** Longest payee name: a person's name is a few characters, a supplier's registered name up to about 50. */
export const PAYEE_NAME_CHARS_MAX = 60;
export const BANK_NAME_CHARS_MAX = 100;
/** Account numbers as we send them: printable ASCII; whether it is a real account is the bank's call (422 ACCOUNT_INVALID). */
export const ACCOUNT_NUMBER_CHARS_MAX = 40;
/** Statement memo (附言): banks print about 30 Chinese characters; 60 leaves room for mixed text. */
export const MEMO_CHARS_MAX = 60;
/** Bank error codes: upper-case words joined by `_`. */
export const BANK_ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;
export const BANK_MESSAGE_CHARS_MAX = 500;

/** The rejection codes API.md documents; the client accepts any code of the right shape, banks add codes. */
export const BANK_REJECTION_CODES = [
  'ACCOUNT_INVALID', 'ACCOUNT_CLOSED', 'ACCOUNT_FROZEN', 'NAME_MISMATCH', 'AMOUNT_OVER_LIMIT', 'DAILY_LIMIT_EXCEEDED',
  'PAYEE_BANK_UNSUPPORTED', 'INSUFFICIENT_FUNDS',
] as const;
/** What our client reports for an HTTP 409 (defined beside the callback rules so the queue handler can see it). */
export { REFERENCE_CONFLICT } from '../../src/bank/bank-values.js';

export type BankWireCode = 'BANK_WIRE_REQUEST_INVALID' | 'BANK_WIRE_REPLY_INVALID';

/** A value on the bank wire that does not fit its contract; `field` names it. */
export class BankWireError extends DomainError {
  constructor(code: BankWireCode, message: string, field: string) {
    super(code, message, field);
    this.name = 'BankWireError';
  }
}

/** The JSON body of POST /api/v1/transfers, key for key in this order. */
export interface TransferRequestWire {
  reference: string;
  amountFen: Fen;
  currency: typeof BANK_CURRENCY;
  payee: BankAccount;
  purpose: TransferPurpose;
  memo: string;
}

// ---------------------------------------------------------------- small readers

/** Runs a shared value parser and re-labels its DomainError as a BankWireError. */
function as<T>(code: BankWireCode, parse: (code: string) => T, field: string): T {
  try {
    return parse(code);
  } catch (error) {
    if (error instanceof BankWireError) throw error;
    if (error instanceof DomainError) throw new BankWireError(code, error.message, error.field ?? field);
    throw error;
  }
}

function record(value: unknown, field: string, code: BankWireCode): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BankWireError(code, `${field} must be a JSON object`, field);
  return value as Record<string, unknown>;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

function text(value: unknown, field: string, code: BankWireCode, charsMin: number, charsMax: number): string {
  if (typeof value !== 'string' || value.length < charsMin || value.length > charsMax || CONTROL.test(value) || (charsMin > 0 && value.trim() === '')) {
    throw new BankWireError(code, `${field} must be ${charsMin} to ${charsMax} characters without control characters`, field);
  }
  return value;
}

function accountNumber(value: unknown, field: string, code: BankWireCode): string {
  if (typeof value !== 'string' || !new RegExp(`^[\\x21-\\x7e]{1,${ACCOUNT_NUMBER_CHARS_MAX}}$`).test(value)) {
    throw new BankWireError(code, `${field} must be 1 to ${ACCOUNT_NUMBER_CHARS_MAX} characters without spaces`, field);
  }
  return value;
}

function amount(value: unknown, field: string, code: BankWireCode): Fen {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > AMOUNT_FEN_MAX) {
    throw new BankWireError(code, `${field} must be a whole number of fen greater than zero`, field);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, code: BankWireCode): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new BankWireError(code, `${field} must be one of ${allowed.join(', ')}`, field);
  return value as T;
}

// ---------------------------------------------------------------- the transfer request

function payeeOf(value: unknown, field: string, code: BankWireCode): BankAccount {
  const p = record(value, field, code);
  return {
    name: text(p.name, `${field}.name`, code, 1, PAYEE_NAME_CHARS_MAX),
    accountNumber: accountNumber(p.accountNumber, `${field}.accountNumber`, code),
    bankName: text(p.bankName, `${field}.bankName`, code, 1, BANK_NAME_CHARS_MAX),
  };
}

function requestOf(body: unknown, code: BankWireCode, currency: unknown): TransferRequestWire {
  const b = record(body, 'body', code);
  const wire: TransferRequestWire = {
    reference: as(code, (c) => parseTransferReference(b.reference, 'reference', c), 'reference'),
    amountFen: amount(b.amountFen, 'amountFen', code),
    currency: oneOf(currency, [BANK_CURRENCY], 'currency', code),
    payee: payeeOf(b.payee, 'payee', code),
    purpose: oneOf(b.purpose, TRANSFER_PURPOSES, 'purpose', code),
    memo: text(b.memo, 'memo', code, 0, MEMO_CHARS_MAX),
  };
  return wire;
}

/**
 * Our request on the wire. A request that breaks the contract is our bug, not a bank
 * outcome: it throws BANK_WIRE_REQUEST_INVALID before anything is sent.
 */
export function transferRequestBody(request: TransferRequest): TransferRequestWire {
  return requestOf(request, 'BANK_WIRE_REQUEST_INVALID', BANK_CURRENCY);
}

/** Bank side: a parsed JSON request body into a typed request, or BANK_WIRE_REQUEST_INVALID naming the field. */
export function parseTransferRequestBody(body: unknown): TransferRequestWire {
  const currency = typeof body === 'object' && body !== null ? (body as { currency?: unknown }).currency : undefined;
  return requestOf(body, 'BANK_WIRE_REQUEST_INVALID', currency);
}

/**
 * Whether two requests under one reference are "the same body" for idempotency: the same
 * values field by field, so key order or whitespace in the JSON does not matter.
 */
export function sameTransfer(a: TransferRequestWire, b: TransferRequestWire): boolean {
  return a.reference === b.reference && a.amountFen === b.amountFen && a.currency === b.currency && a.purpose === b.purpose && a.memo === b.memo
    && a.payee.name === b.payee.name && a.payee.accountNumber === b.payee.accountNumber && a.payee.bankName === b.payee.bankName;
}

export function maskedPayee(payee: BankAccount): BankAccount {
  return { name: payee.name, accountNumber: maskAccountNumber(payee.accountNumber), bankName: payee.bankName };
}

// ---------------------------------------------------------------- replies (client side)

const REPLY = 'BANK_WIRE_REPLY_INVALID';

/** The body of a 202 or 200 to POST /api/v1/transfers. */
export function parseAcceptedReply(body: unknown): { bankReference: string } {
  const b = record(body, 'body', REPLY);
  const bankReference = as(REPLY, (c) => parseBankId(b.bankReference, 'bankReference', c), 'bankReference');
  oneOf(b.status, ['accepted'], 'status', REPLY);
  return { bankReference };
}

/** `{ code, message }` of a 4xx/5xx; the message comes back masked and on one line. */
export function parseBankErrorReply(body: unknown): { code: string; message: string } {
  const b = record(body, 'body', REPLY);
  if (typeof b.code !== 'string' || !BANK_ERROR_CODE_PATTERN.test(b.code)) {
    throw new BankWireError(REPLY, 'code must be upper-case letters, digits and _ (2 to 64)', 'code');
  }
  const message = as(REPLY, (c) => parseBankText(b.message, 'message', c, BANK_MESSAGE_CHARS_MAX), 'message');
  return { code: b.code, message };
}

/** The body of a 200 to GET /api/v1/transfers/:reference. */
export function parseTransferStatusReply(body: unknown, reference: string): TransferStatusRecord {
  const b = record(body, 'body', REPLY);
  const got = as(REPLY, (c) => parseTransferReference(b.reference, 'reference', c), 'reference');
  // A reply about another transfer is a bank (or proxy cache) we must not believe.
  if (got !== reference) throw new BankWireError(REPLY, 'reference is not the one asked for', 'reference');
  const status: BankTransferState = oneOf(b.status, BANK_TRANSFER_STATES, 'status', REPLY);
  const transfer: TransferStatusRecord = {
    reference,
    bankReference: as(REPLY, (c) => parseBankId(b.bankReference, 'bankReference', c), 'bankReference'),
    status,
    amountFen: amount(b.amountFen, 'amountFen', REPLY),
    acceptedAt: as(REPLY, (c) => parseInstant(b.acceptedAt, 'acceptedAt', c), 'acceptedAt'),
  };
  const final = status !== 'accepted';
  if (final !== (b.completedAt !== undefined && b.completedAt !== null)) {
    throw new BankWireError(REPLY, final ? 'completedAt is required once the status is final' : 'completedAt must be absent while accepted', 'completedAt');
  }
  if (final) transfer.completedAt = as(REPLY, (c) => parseInstant(b.completedAt, 'completedAt', c), 'completedAt');
  if ((status === 'failed') !== (b.failureReason !== undefined && b.failureReason !== null)) {
    throw new BankWireError(REPLY, status === 'failed' ? 'failureReason is required when failed' : 'failureReason must be absent unless failed', 'failureReason');
  }
  if (status === 'failed') transfer.failureReason = as(REPLY, (c) => parseBankText(b.failureReason, 'failureReason', c, 200), 'failureReason');
  return transfer;
}

// ---------------------------------------------------------------- bank side writers (simulator)

/** The exact JSON of a result notification, key for key; signed and sent byte for byte. */
export function transferResultBody(result: TransferResult): string {
  return JSON.stringify({
    notificationId: result.notificationId,
    reference: result.reference,
    bankReference: result.bankReference,
    status: result.status,
    ...(result.status === 'failed' ? { failureReason: result.failureReason ?? 'unknown' } : {}),
    completedAt: result.completedAt,
  });
}

/** Outcome details: masked bank text, one line, bounded. */
export function bankDetail(detail: string): string {
  return maskedBankText(detail);
}
