/**
 * The bank wire's value rules on both sides, and the request signature's canonical string
 * as API.md documents it.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TransferRequest } from '../../src/bank/bank.port.js';
import {
  BankWireError, maskedPayee, parseAcceptedReply, parseBankErrorReply, parseTransferRequestBody, parseTransferStatusReply, sameTransfer, transferRequestBody,
} from './mapping.js';
import { BANK_NONCE_HEADER, canonicalRequest, signBankRequest, verifyBankRequest } from './request-signing.js';

const REQUEST: TransferRequest = {
  reference: 'DSB-1', amountFen: 300_000, payee: { name: '梁梅秀', accountNumber: '6228480012345678901', bankName: '某县农村信用合作联社' },
  purpose: 'loan_disbursement', memo: '贷款发放',
};

function wireError(fn: () => unknown): BankWireError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BankWireError);
    return error as BankWireError;
  }
  throw new Error('no error');
}

describe('transferRequestBody (our side)', () => {
  it('is the documented body, keys in order, currency added', () => {
    const body = transferRequestBody(REQUEST);
    expect(body).toEqual({ ...REQUEST, currency: 'CNY' });
    expect(Object.keys(body)).toEqual(['reference', 'amountFen', 'currency', 'payee', 'purpose', 'memo']);
  });

  it.each([
    [{ amountFen: 0 }, 'amountFen'],
    [{ amountFen: 1.5 }, 'amountFen'],
    [{ amountFen: Number.MAX_SAFE_INTEGER + 1 }, 'amountFen'],
    [{ reference: '' }, 'reference'],
    [{ reference: '-x' }, 'reference'],
    [{ reference: 'x'.repeat(65) }, 'reference'],
    [{ purpose: 'gift' }, 'purpose'],
    [{ memo: '备'.repeat(61) }, 'memo'],
    [{ memo: 'a\nb' }, 'memo'],
    [{ payee: { ...REQUEST.payee, name: ' ' } }, 'payee.name'],
    [{ payee: { ...REQUEST.payee, accountNumber: '6228 4800' } }, 'payee.accountNumber'],
    [{ payee: { ...REQUEST.payee, bankName: '' } }, 'payee.bankName'],
  ])('refuses %j, naming %s, without repeating the value', (change, field) => {
    const error = wireError(() => transferRequestBody({ ...REQUEST, ...change } as TransferRequest));
    expect(error.code).toBe('BANK_WIRE_REQUEST_INVALID');
    expect(error.field).toBe(field);
    expect(error.message).not.toContain('6228');
  });

  it('leaves judging an account number to the bank: any printable account goes out', () => {
    expect(transferRequestBody({ ...REQUEST, payee: { ...REQUEST.payee, accountNumber: '62284800A1' } }).payee.accountNumber).toBe('62284800A1');
  });
});

describe('parseTransferRequestBody (bank side)', () => {
  it('reads what our side writes', () => {
    expect(parseTransferRequestBody(JSON.parse(JSON.stringify(transferRequestBody(REQUEST))))).toEqual(transferRequestBody(REQUEST));
  });

  it('refuses another currency and an amount as a string', () => {
    expect(wireError(() => parseTransferRequestBody({ ...REQUEST, currency: 'USD' })).field).toBe('currency');
    expect(wireError(() => parseTransferRequestBody({ ...REQUEST, currency: 'CNY', amountFen: '300000' })).field).toBe('amountFen');
    expect(wireError(() => parseTransferRequestBody({ ...REQUEST, currency: 'CNY', payee: null })).field).toBe('payee');
  });
});

describe('sameTransfer', () => {
  it('compares values field by field', () => {
    const a = transferRequestBody(REQUEST);
    const { reference, ...rest } = a;
    expect(sameTransfer(a, parseTransferRequestBody(JSON.parse(JSON.stringify({ ...rest, reference }, null, 1))))).toBe(true);
    expect(sameTransfer(a, { ...a, memo: '贷款发放 ' })).toBe(false);
    expect(sameTransfer(a, { ...a, payee: { ...a.payee, accountNumber: '6228480012345678902' } })).toBe(false);
  });
});

describe('replies', () => {
  it('reads an acceptance and an error, masking the message', () => {
    expect(parseAcceptedReply({ bankReference: 'CB1', status: 'accepted' })).toEqual({ bankReference: 'CB1' });
    expect(parseBankErrorReply({ code: 'ACCOUNT_CLOSED', message: '账户 6228480012345678901 已销户' })).toEqual({ code: 'ACCOUNT_CLOSED', message: '账户 ****8901 已销户' });
    expect(wireError(() => parseBankErrorReply({ code: 'ACCOUNT_CLOSED' })).field).toBe('message');
  });

  it('reads a status and checks it is consistent', () => {
    const accepted = { reference: 'DSB-1', bankReference: 'CB1', status: 'accepted', amountFen: 5, acceptedAt: '2026-03-15T10:00:00+08:00' };
    expect(parseTransferStatusReply(accepted, 'DSB-1')).toEqual(accepted);
    expect(wireError(() => parseTransferStatusReply({ ...accepted, completedAt: '2026-03-15T10:00:00Z' }, 'DSB-1')).field).toBe('completedAt');
    expect(wireError(() => parseTransferStatusReply({ ...accepted, status: 'failed', completedAt: '2026-03-15T10:00:01Z' }, 'DSB-1')).field).toBe('failureReason');
  });
});

describe('maskedPayee', () => {
  it('keeps name and bank, masks the account', () => {
    expect(maskedPayee(REQUEST.payee)).toEqual({ ...REQUEST.payee, accountNumber: '****8901' });
  });
});

describe('request signing', () => {
  const parts = { method: 'post', target: '/custody/api/v1/transfers', timestamp: '1773540000', nonce: '3f1c2a9e-6b0d-4d7e-9a51-1f0c8e2b7d44', body: '{"a":1}' };

  it('signs the documented canonical string', () => {
    const bodyHash = createHash('sha256').update('{"a":1}').digest('hex');
    const canonical = `POST\n/custody/api/v1/transfers\n1773540000\n3f1c2a9e-6b0d-4d7e-9a51-1f0c8e2b7d44\n${bodyHash}`;
    expect(canonicalRequest(parts)).toBe(canonical);
    expect(signBankRequest('s3cret', parts)).toBe(`sha256=${createHmac('sha256', 's3cret').update(canonical).digest('hex')}`);
    expect(canonicalRequest({ ...parts, method: 'GET', body: '' }).split('\n')[4]).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is verified against the merchant, the clock, the nonce shape and every signed part', () => {
    const now = new Date(1773540000 * 1000);
    const headers = {
      'x-bank-merchant-id': 'M-1', 'x-bank-timestamp': parts.timestamp, 'x-bank-nonce': parts.nonce, 'x-bank-signature': signBankRequest('s3cret', parts),
    };
    const expected = { merchantId: 'M-1', secret: 's3cret' };
    const signed = { method: 'POST', target: parts.target, body: parts.body };
    expect(verifyBankRequest(expected, headers, signed, now)).toEqual({ ok: true, nonce: parts.nonce });
    expect(verifyBankRequest({ ...expected, merchantId: 'M-2' }, headers, signed, now).ok).toBe(false);
    expect(verifyBankRequest(expected, headers, signed, new Date(now.getTime() + 301_000)).ok).toBe(false);
    expect(verifyBankRequest(expected, { ...headers, [BANK_NONCE_HEADER.toLowerCase()]: 'short' }, signed, now).ok).toBe(false);
    expect(verifyBankRequest(expected, headers, { ...signed, method: 'PUT' }, now).ok).toBe(false);
    expect(verifyBankRequest(expected, headers, { ...signed, target: '/custody/api/v1/transfers?x=1' }, now).ok).toBe(false);
    expect(verifyBankRequest(expected, headers, { ...signed, body: '{"a":2}' }, now).ok).toBe(false);
  });
});
