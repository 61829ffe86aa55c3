/**
 * Reading the custody bank's result notifications: strict on every documented field, each
 * error naming its field, tolerant of fields the contract does not name; and the signature
 * check over the raw body.
 */
import { describe, expect, it } from 'vitest';
import { signCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import { maskAccountNumber, maskedBankText } from '../../src/bank/bank-values.js';
import { BANK_RESULT_INVALID, parseTransferResult, verifyBankCallback } from '../../src/bank/transfer-results.js';
import { DomainError } from '../../src/core/domain-error.js';
import { transferResultBody } from '../../adapters/bank/mapping.js';

const SUCCEEDED = {
  notificationId: 'N000000000001', reference: 'DSB-1', bankReference: 'CB202603150000000001', status: 'succeeded', completedAt: '2026-03-15T10:00:05.120+08:00',
};
const FAILED = { ...SUCCEEDED, status: 'failed', failureReason: '账户已销户 account closed' };

function fieldOf(body: unknown): string | undefined {
  try {
    parseTransferResult(body);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(BANK_RESULT_INVALID);
    return (error as DomainError).field;
  }
  throw new Error('parsed');
}

describe('parseTransferResult', () => {
  it('reads a success and a failure', () => {
    expect(parseTransferResult(SUCCEEDED)).toEqual(SUCCEEDED);
    expect(parseTransferResult(FAILED)).toEqual(FAILED);
    expect(parseTransferResult({ ...SUCCEEDED, failureReason: null })).toEqual(SUCCEEDED);
  });

  it('round-trips what the simulated bank writes', () => {
    for (const result of [SUCCEEDED, FAILED] as const) {
      const parsed = parseTransferResult(result);
      expect(parseTransferResult(JSON.parse(transferResultBody(parsed)))).toEqual(parsed);
    }
  });

  it('ignores fields the contract does not name, without reading them', () => {
    expect(parseTransferResult({ ...SUCCEEDED, channel: 'UPOP', fee: { amountFen: 0 } })).toEqual(SUCCEEDED);
  });

  it.each([
    ['a string', '{}', 'body'],
    ['null', null, 'body'],
    ['an array', [SUCCEEDED], 'body'],
    ['no notificationId', { ...SUCCEEDED, notificationId: undefined }, 'notificationId'],
    ['a notificationId with spaces', { ...SUCCEEDED, notificationId: 'N 1' }, 'notificationId'],
    ['a numeric reference', { ...SUCCEEDED, reference: 42 }, 'reference'],
    ['a reference with a slash', { ...SUCCEEDED, reference: 'DSB/1' }, 'reference'],
    ['an empty bankReference', { ...SUCCEEDED, bankReference: '' }, 'bankReference'],
    ['an unknown status', { ...SUCCEEDED, status: 'SUCCESS' }, 'status'],
    ['a status in another case', { ...SUCCEEDED, status: 'Succeeded' }, 'status'],
    ['a completedAt without offset', { ...SUCCEEDED, completedAt: '2026-03-15T10:00:05' }, 'completedAt'],
    ['an impossible completedAt', { ...SUCCEEDED, completedAt: '2026-02-30T10:00:05Z' }, 'completedAt'],
    ['a completedAt as epoch millis', { ...SUCCEEDED, completedAt: 1773540005120 }, 'completedAt'],
    ['a success with a failure reason', { ...SUCCEEDED, failureReason: '账户已销户' }, 'failureReason'],
    ['a failure without a reason', { ...FAILED, failureReason: undefined }, 'failureReason'],
    ['a failure with an empty reason', { ...FAILED, failureReason: '  ' }, 'failureReason'],
    ['a failure with a reason too long', { ...FAILED, failureReason: '销'.repeat(201) }, 'failureReason'],
  ])('refuses %s, naming the field', (_what, body, field) => {
    expect(fieldOf(body)).toBe(field);
  });

  it('masks account numbers the bank quotes in a failure reason', () => {
    expect(parseTransferResult({ ...FAILED, failureReason: '账户 6228480012345678901 已销户' }).failureReason).toBe('账户 ****8901 已销户');
  });

  it('never repeats the offending value in its message', () => {
    try {
      parseTransferResult({ ...SUCCEEDED, reference: '6228480012345678901/x' });
    } catch (error) {
      expect((error as Error).message).not.toContain('6228480012345678901');
    }
  });
});

describe('verifyBankCallback', () => {
  const SECRET = 'callback-secret-0123456789';
  const raw = JSON.stringify(SUCCEEDED);
  const now = new Date('2026-03-15T02:00:00Z');
  const ts = String(Math.floor(now.getTime() / 1000));

  it('accepts the carrier-webhook signature over the raw body, from node lower-case headers', () => {
    const headers = { 'x-carrier-timestamp': ts, 'x-carrier-signature': signCarrierWebhook(SECRET, ts, raw) };
    expect(verifyBankCallback(SECRET, headers, raw, now)).toEqual({ ok: true });
    expect(verifyBankCallback(SECRET, headers, Buffer.from(raw), now)).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret, a stale timestamp or a header sent twice', () => {
    const headers = { 'x-carrier-timestamp': ts, 'x-carrier-signature': signCarrierWebhook(SECRET, ts, raw) };
    expect(verifyBankCallback(SECRET, headers, raw.replace('succeeded', 'failed'), now).ok).toBe(false);
    expect(verifyBankCallback('another-secret-0123456', headers, raw, now).ok).toBe(false);
    expect(verifyBankCallback(SECRET, headers, raw, new Date(now.getTime() + 301_000))).toEqual({ ok: false, reason: 'X-Carrier-Timestamp is more than 5 minutes off' });
    expect(verifyBankCallback(SECRET, { ...headers, 'x-carrier-signature': [headers['x-carrier-signature'], headers['x-carrier-signature']] }, raw, now))
      .toEqual({ ok: false, reason: 'X-Carrier-Signature is missing' });
    expect(verifyBankCallback(SECRET, {}, raw, now).ok).toBe(false);
  });
});

describe('account number masking', () => {
  it('keeps the last four digits only, hiding the length', () => {
    expect(maskAccountNumber('6228480012345678901')).toBe('****8901');
    expect(maskAccountNumber('62284800123')).toBe('****0123');
  });

  it('masks runs of ten or more digits in text and leaves amounts, dates and codes readable', () => {
    expect(maskedBankText('转账 6228480012345678901 金额 300000 分 2026-03-15 错误码 E1001')).toBe('转账 ****8901 金额 300000 分 2026-03-15 错误码 E1001');
    expect(maskedBankText('身份证 43092319701111428X 手机 13900000001')).toBe('身份证 ****428X 手机 ****0001');
    expect(maskedBankText('a\n  b')).toBe('a b');
    expect(maskedBankText('x'.repeat(400))).toHaveLength(300);
  });
});
