/**
 * How every request to the custody bank's API is signed (API.md "Request signing"), shared by
 * our client and the simulated bank. HMAC-SHA256 with the merchant's API secret over the
 * canonical string
 *
 *     METHOD \n request-target \n timestamp \n nonce \n hex(sha256(body bytes))
 *
 * `request-target` is the path and query exactly as sent on the request line, so a signature
 * cannot be moved to another endpoint or transfer; the body hash binds amount and payee; the
 * timestamp bounds replay to a five-minute window and the nonce, remembered by the bank for
 * twice that window, stops replay inside it. The merchant id selects the secret and is not
 * itself signed: a signature made with one merchant's secret fails for any other merchant.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const BANK_MERCHANT_HEADER = 'X-Bank-Merchant-Id';
export const BANK_TIMESTAMP_HEADER = 'X-Bank-Timestamp';
export const BANK_NONCE_HEADER = 'X-Bank-Nonce';
export const BANK_SIGNATURE_HEADER = 'X-Bank-Signature';
/** Largest difference between the request's timestamp and the bank's clock, in seconds. */
export const BANK_CLOCK_SKEW_MAX_S = 300;
export const BANK_NONCE_PATTERN = /^[A-Za-z0-9-]{16,64}$/;

export interface SignedParts {
  method: string;
  /** Path and query as on the request line, e.g. `/api/v1/transfers/L-42`. */
  target: string;
  timestamp: string;
  nonce: string;
  body: string | Buffer;
}

export function canonicalRequest(parts: SignedParts): string {
  const bodyHash = createHash('sha256').update(parts.body).digest('hex');
  return [parts.method.toUpperCase(), parts.target, parts.timestamp, parts.nonce, bodyHash].join('\n');
}

export function signBankRequest(secret: string, parts: SignedParts): string {
  return `sha256=${createHmac('sha256', secret).update(canonicalRequest(parts), 'utf8').digest('hex')}`;
}

/** The four headers of a request, with a fresh nonce and the current time. */
export function bankRequestHeaders(merchantId: string, secret: string, method: string, target: string, body: string, now: Date = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const nonce = randomUUID();
  return {
    [BANK_MERCHANT_HEADER]: merchantId,
    [BANK_TIMESTAMP_HEADER]: timestamp,
    [BANK_NONCE_HEADER]: nonce,
    [BANK_SIGNATURE_HEADER]: signBankRequest(secret, { method, target, timestamp, nonce, body }),
  };
}

export type RequestVerdict = { ok: true; nonce: string } | { ok: false; reason: string };

/** Bank side: node's lower-cased headers against the merchant's secret. Replay of the nonce is the caller's check. */
export function verifyBankRequest(
  expected: { merchantId: string; secret: string },
  headers: Record<string, string | string[] | undefined>,
  parts: { method: string; target: string; body: string | Buffer },
  now: Date,
): RequestVerdict {
  const header = (name: string) => {
    const value = headers[name.toLowerCase()];
    return typeof value === 'string' ? value : undefined;
  };
  const merchantId = header(BANK_MERCHANT_HEADER);
  const timestamp = header(BANK_TIMESTAMP_HEADER);
  const nonce = header(BANK_NONCE_HEADER);
  const signature = header(BANK_SIGNATURE_HEADER);
  if (merchantId !== expected.merchantId) return { ok: false, reason: `${BANK_MERCHANT_HEADER} is missing or unknown` };
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${BANK_TIMESTAMP_HEADER} is missing or not unix seconds` };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > BANK_CLOCK_SKEW_MAX_S) return { ok: false, reason: `${BANK_TIMESTAMP_HEADER} is more than 5 minutes off` };
  if (nonce === undefined || !BANK_NONCE_PATTERN.test(nonce)) return { ok: false, reason: `${BANK_NONCE_HEADER} must be 16 to 64 letters, digits or '-'` };
  if (signature === undefined) return { ok: false, reason: `${BANK_SIGNATURE_HEADER} is missing` };
  const want = Buffer.from(signBankRequest(expected.secret, { ...parts, timestamp, nonce }));
  const given = Buffer.from(signature);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: `${BANK_SIGNATURE_HEADER} does not match` };
  return { ok: true, nonce };
}
