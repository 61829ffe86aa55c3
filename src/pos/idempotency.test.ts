import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey, requestSha256 } from './idempotency.js';

describe('idempotency keys', () => {
  it('accepts 8-128 characters of A-Z a-z 0-9 _ -', () => {
    expect(parseIdempotencyKey('0d2f1c9e-5b7a-4c8e-9f00-1a2b3c4d5e6f')).toEqual({ ok: true, key: '0d2f1c9e-5b7a-4c8e-9f00-1a2b3c4d5e6f' });
    expect(parseIdempotencyKey('a'.repeat(8)).ok).toBe(true);
    expect(parseIdempotencyKey('a'.repeat(128)).ok).toBe(true);
  });

  it.each([['a'.repeat(7)], ['a'.repeat(129)], ['has space'], ['semi;colon'], ['键键键键键键键键']])('refuses %j', (key) => {
    expect(parseIdempotencyKey(key)).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_INVALID' });
  });

  it('says when the header is missing or repeated', () => {
    expect(parseIdempotencyKey(undefined)).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect(parseIdempotencyKey(['abcdefgh', 'abcdefgh'])).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_INVALID' });
  });

  it('fingerprints method, path with query and the exact body', () => {
    const base = requestSha256('POST', '/v1/pos/repayments', '{"amountFen":1}');
    expect(requestSha256('post', '/v1/pos/repayments', Buffer.from('{"amountFen":1}'))).toBe(base);
    expect(requestSha256('POST', '/v1/pos/repayments?x=1', '{"amountFen":1}')).not.toBe(base);
    expect(requestSha256('POST', '/v1/pos/repayments', '{"amountFen":2}')).not.toBe(base);
    expect(requestSha256('PUT', '/v1/pos/repayments', '{"amountFen":1}')).not.toBe(base);
    // The separator keeps path and body from sliding into each other.
    expect(requestSha256('POST', '/a', 'b')).not.toBe(requestSha256('POST', '/a\nb', ''));
  });
});
