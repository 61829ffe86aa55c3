/**
 * Value rules the custody bank's wire and the lending side share: what a transfer reference
 * and a bank reference look like, and how account numbers are masked. They live in src so
 * that the callback parser here (transfer-results.ts) and the adapter (adapters/bank) apply
 * the same rules; adapters import from src, never the reverse.
 */
import { DomainError } from '../core/domain-error.js';

/**
 * Our transfer reference: it appears in a URL path (GET /api/v1/transfers/:reference), so it
 * is kept to letters, digits, `_` and `-`, starting with a letter or digit (never `.`/`..`).
 */
export const TRANSFER_REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** The bank's ids (bankReference, notificationId): printable ASCII without spaces. */
export const BANK_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;
/**
 * The code a transfer outcome carries when the bank already holds our reference with a
 * different body (HTTP 409). Unlike every other rejection it does not mean "nothing was paid":
 * the first transfer under that reference stands and may be paid.
 */
export const REFERENCE_CONFLICT = 'REFERENCE_CONFLICT';

/** Longest failure reason or bank message kept, in characters; longer text is cut. */
export const BANK_TEXT_CHARS_MAX = 300;

/** `****5678`: the length is hidden too, it narrows down the bank and account type. */
export function maskAccountNumber(accountNumber: string): string {
  const digits = accountNumber.replace(/\s+/g, '');
  return `****${digits.slice(-4)}`;
}

/**
 * Any run of 10 or more digits in free text (a bank message may quote the account, a phone
 * or an ID number) keeps only its last four. Runs of fewer digits (amounts, dates, codes)
 * stay readable. The text is put on one line and cut to BANK_TEXT_CHARS_MAX: it ends up in
 * logs and outcome details.
 */
export function maskedBankText(text: string): string {
  const masked = text.replace(/\s+/g, ' ').trim().replace(/\d{10,}[Xx]?/g, (run) => maskAccountNumber(run));
  return masked.length > BANK_TEXT_CHARS_MAX ? `${masked.slice(0, BANK_TEXT_CHARS_MAX - 1)}…` : masked;
}

/** Our reference, or a DomainError naming `field`; the message never repeats the value. */
export function parseTransferReference(value: unknown, field: string, code: string): string {
  if (typeof value !== 'string' || !TRANSFER_REFERENCE_PATTERN.test(value)) {
    throw new DomainError(code, `${field} must be 1 to 64 letters, digits, '_' or '-', starting with a letter or digit`, field);
  }
  return value;
}

export function parseBankId(value: unknown, field: string, code: string): string {
  if (typeof value !== 'string' || !BANK_ID_PATTERN.test(value)) {
    throw new DomainError(code, `${field} must be 1 to 64 printable ASCII characters without spaces`, field);
  }
  return value;
}

/** ISO 8601 date-time with seconds and an explicit offset (`Z` or `+08:00`), a real instant. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function parseInstant(value: unknown, field: string, code: string): string {
  // Date.parse rolls 2026-02-30 over to March; reading the date part back catches that.
  const valid = typeof value === 'string' && ISO_INSTANT.test(value) && Number.isFinite(Date.parse(value))
    && new Date(Date.parse(`${value.slice(0, 10)}T00:00:00Z`)).toISOString().slice(0, 10) === value.slice(0, 10);
  if (!valid) throw new DomainError(code, `${field} must be an ISO 8601 date-time with an offset, e.g. 2026-03-15T10:00:00+08:00`, field);
  return value;
}

/** Free text from the bank (failure reasons, messages): 1..charsMax characters, no control characters; masked. */
export function parseBankText(value: unknown, field: string, code: string, charsMax = 500): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > charsMax || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    throw new DomainError(code, `${field} must be 1 to ${charsMax} characters of text`, field);
  }
  return maskedBankText(value);
}
