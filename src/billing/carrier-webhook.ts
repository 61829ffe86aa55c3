/**
 * Notifications the carrier pushes to us (recharges) are signed with a shared secret:
 * `X-Carrier-Timestamp: <unix seconds>` and
 * `X-Carrier-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
 * A timestamp more than five minutes off is refused, so a captured request cannot be
 * replayed later; a replay inside the window is harmless because events carry ids.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_TIMESTAMP_HEADER = 'x-carrier-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-carrier-signature';
export const WEBHOOK_CLOCK_SKEW_MAX_S = 300;

export function signCarrierWebhook(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest('hex')}`;
}

export type WebhookVerdict = { ok: true } | { ok: false; reason: string };

export function verifyCarrierWebhook(
  secret: string, headers: { timestamp: unknown; signature: unknown }, rawBody: string | Buffer, now: Date,
): WebhookVerdict {
  const { timestamp, signature } = headers;
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Carrier-Timestamp is missing or not unix seconds' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > WEBHOOK_CLOCK_SKEW_MAX_S) {
    return { ok: false, reason: 'X-Carrier-Timestamp is more than 5 minutes off' };
  }
  if (typeof signature !== 'string') return { ok: false, reason: 'X-Carrier-Signature is missing' };
  const expected = Buffer.from(signCarrierWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'X-Carrier-Signature does not match' };
  return { ok: true };
}
