import { describe, expect, it } from 'vitest';
import { signCarrierWebhook, verifyCarrierWebhook } from './carrier-webhook.js';

const SECRET = 'whsec-test';
const BODY = '{"eventId":"RCH1","msisdn":"13800000001","amountFen":5000,"rechargedAt":"2026-01-15T08:00:00.000Z"}';
const AT = new Date(1_700_000_100 * 1000);

describe('carrier webhook signatures', () => {
  it('matches an HMAC-SHA256 computed independently (openssl dgst -sha256 -hmac)', () => {
    expect(signCarrierWebhook(SECRET, 1_700_000_000, BODY)).toBe('sha256=4d7084c60fd7795d7b849e25cc12edf7bb855bf494623a2aaaea0495b890494c');
    expect(signCarrierWebhook(SECRET, '1700000000', Buffer.from(BODY))).toBe(signCarrierWebhook(SECRET, 1_700_000_000, BODY));
  });

  it('accepts the right signature in the window and refuses tampering, other secrets, stale or missing stamps', () => {
    const signature = signCarrierWebhook(SECRET, '1700000000', BODY);
    const headers = { timestamp: '1700000000', signature };
    expect(verifyCarrierWebhook(SECRET, headers, BODY, AT)).toEqual({ ok: true });
    expect(verifyCarrierWebhook(SECRET, headers, BODY.replace('5000', '50000'), AT).ok).toBe(false);
    expect(verifyCarrierWebhook('other', headers, BODY, AT).ok).toBe(false);
    expect(verifyCarrierWebhook(SECRET, headers, BODY, new Date(1_700_000_301 * 1000)))
      .toEqual({ ok: false, reason: 'X-Carrier-Timestamp is more than 5 minutes off' });
    expect(verifyCarrierWebhook(SECRET, { ...headers, timestamp: undefined }, BODY, AT).ok).toBe(false);
    expect(verifyCarrierWebhook(SECRET, { ...headers, signature: undefined }, BODY, AT).ok).toBe(false);
    expect(verifyCarrierWebhook(SECRET, { ...headers, signature: signature.toUpperCase() }, BODY, AT).ok).toBe(false);
  });
});
