import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bodySha256Hex, canonicalString, CLOCK_SKEW_MAX_S, isTimestampFresh, NONCE_TTL_S, parseSignedHeaders, signaturesEqual, signCanonicalRequest,
} from './terminal-auth.js';

/** The example of adapters/pos/PROTOCOL.md; the client's test checks the same vector. */
const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url');
const POST_EXAMPLE = {
  method: 'POST', pathWithQuery: '/v1/pos/repayments?channel=cash', timestamp: '1767225600', nonce: 'Zm9vYmFyYmF6cXV4MTIz',
  body: '{"loanId":42,"amountFen":150000,"note":"现金还款"}',
};

describe('request signing', () => {
  it('matches the protocol example', () => {
    expect(SECRET).toBe('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8');
    expect(canonicalString(POST_EXAMPLE)).toBe(
      'POST\n/v1/pos/repayments?channel=cash\n1767225600\nZm9vYmFyYmF6cXV4MTIz\n953c8fa34458fb376f52a15568e1b1d7f437c7cb853b4021ec1f9ced108ba047');
    expect(signCanonicalRequest(SECRET, POST_EXAMPLE)).toBe('9045f6ec636d1f3bd6c16dc67cc216a2a7e1fc17349c042c7eef746885039b3f');
    expect(signCanonicalRequest(SECRET, { method: 'get', pathWithQuery: '/v1/pos/loans/42', timestamp: '1767225600', nonce: 'bm9uY2UtZ2V0LTAwMDE', body: '' }))
      .toBe('8b2cd6ff48217d1b13fcf40ff127570253f654f0facae245fc8108e0fa433a96');
  });

  it('hashes body bytes: a string as UTF-8 equals its bytes, and nothing hashes as empty', () => {
    expect(bodySha256Hex(POST_EXAMPLE.body)).toBe(bodySha256Hex(Buffer.from(POST_EXAMPLE.body, 'utf8')));
    expect(bodySha256Hex('')).toBe(createHash('sha256').digest('hex'));
  });

  it('compares signatures of equal length only', () => {
    const good = signCanonicalRequest(SECRET, POST_EXAMPLE);
    expect(signaturesEqual(good, good)).toBe(true);
    expect(signaturesEqual(good, `${good.slice(0, 63)}0`)).toBe(good.endsWith('0'));
    expect(signaturesEqual(good, good.slice(0, 62))).toBe(false);
  });

  it('judges timestamps within 300 s either way', () => {
    const now = new Date(1_767_225_600_000);
    expect(isTimestampFresh(String(1_767_225_600 - CLOCK_SKEW_MAX_S), now)).toBe(true);
    expect(isTimestampFresh(String(1_767_225_600 + CLOCK_SKEW_MAX_S), now)).toBe(true);
    expect(isTimestampFresh(String(1_767_225_600 - CLOCK_SKEW_MAX_S - 1), now)).toBe(false);
    expect(isTimestampFresh(String(1_767_225_600 + CLOCK_SKEW_MAX_S + 1), now)).toBe(false);
    // A nonce must be remembered for as long as a request carrying it could still be fresh.
    expect(NONCE_TTL_S).toBeGreaterThan(2 * CLOCK_SKEW_MAX_S);
  });

  it('reads the four headers and names the one at fault', () => {
    const headers = { 'x-terminal-id': 'QY-0001-T000001', 'x-timestamp': '1767225600', 'x-nonce': 'Zm9vYmFyYmF6cXV4MTIz', 'x-signature': 'AB'.repeat(32) };
    expect(parseSignedHeaders(headers)).toEqual({ ok: true, value: { terminalId: 'QY-0001-T000001', timestamp: '1767225600', nonce: 'Zm9vYmFyYmF6cXV4MTIz', signature: 'ab'.repeat(32) } });
    expect(parseSignedHeaders({ ...headers, 'x-nonce': 'a'.repeat(15) })).toMatchObject({ ok: false, reason: 'missing_header', message: expect.stringContaining('X-Nonce') });
    expect(parseSignedHeaders({ ...headers, 'x-nonce': 'a'.repeat(65) })).toMatchObject({ ok: false, reason: 'missing_header' });
    expect(parseSignedHeaders({ ...headers, 'x-nonce': `${'a'.repeat(20)}!` })).toMatchObject({ ok: false, reason: 'missing_header' });
    expect(parseSignedHeaders({ ...headers, 'x-timestamp': '-5' })).toMatchObject({ ok: false, message: expect.stringContaining('X-Timestamp') });
    expect(parseSignedHeaders({ ...headers, 'x-signature': ['a', 'b'] })).toMatchObject({ ok: false, message: expect.stringContaining('X-Signature') });
    expect(parseSignedHeaders({ ...headers, 'x-terminal-id': undefined })).toMatchObject({ ok: false, message: expect.stringContaining('X-Terminal-Id') });
  });
});
