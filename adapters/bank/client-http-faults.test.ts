/**
 * Replies the simulated bank does not make: proxy error pages, malformed or oversized JSON,
 * replies that break the contract, broken connections, bank texts quoting account numbers.
 * `nock` answers at the HTTP layer; the client is the real one.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransferRequest } from '../../src/bank/bank.port.js';
import { BANK_REPLY_BYTES_MAX, createBankHttpClient, type BankHttpClient } from './client.js';
import { verifyBankRequest } from './request-signing.js';

const BANK = 'http://bank.custody.test:8443';
const BASE = `${BANK}/custody`;
const PATH = '/custody/api/v1/transfers';
const MERCHANT = 'M-NOCK';
const SECRET = 'api-secret-nock-0123';
const ACCOUNT = '6228480012345678901';
const JSON_TYPE = { 'Content-Type': 'application/json' };

const request: TransferRequest = {
  reference: 'DSB-7', amountFen: 123_456, payee: { name: '梁梅秀', accountNumber: ACCOUNT, bankName: '某县农商银行' },
  purpose: 'loan_disbursement', memo: '贷款发放',
};

let client: BankHttpClient;

beforeAll(() => {
  nock.disableNetConnect();
  client = createBankHttpClient({ baseUrl: BASE, merchantId: MERCHANT, secret: SECRET, timeoutMs: 300 });
});

afterEach(() => {
  const done = nock.isDone();
  nock.cleanAll();
  expect(done).toBe(true);
});

afterAll(() => {
  client.close();
  nock.enableNetConnect();
});

const bank = () => nock(BANK).post(PATH);

describe('the request on the wire', () => {
  it('is the documented JSON, signed over method, target, timestamp, nonce and body hash', async () => {
    // nock 15 gives reply functions no request headers under fetch; matchHeader sees them.
    const headers: Record<string, string> = {};
    let sentBody = '';
    const capture = (name: string) => (value: string | null) => {
      if (value === null) return false;
      headers[name] = value;
      return true;
    };
    nock(BANK)
      .matchHeader('x-bank-merchant-id', capture('x-bank-merchant-id'))
      .matchHeader('x-bank-timestamp', capture('x-bank-timestamp'))
      .matchHeader('x-bank-nonce', capture('x-bank-nonce'))
      .matchHeader('x-bank-signature', capture('x-bank-signature'))
      .matchHeader('content-type', 'application/json; charset=utf-8')
      .post(PATH, (body: unknown) => {
        sentBody = JSON.stringify(body);
        return true;
      })
      .reply(202, { bankReference: 'CB1', status: 'accepted' }, JSON_TYPE);
    expect(await client.transfer(request)).toEqual({ kind: 'accepted', bankReference: 'CB1' });
    expect(JSON.parse(sentBody)).toEqual({ ...request, currency: 'CNY' });
    // The body nock hands over is parsed JSON; re-serialised it is byte for byte what we sent (no whitespace, same key order).
    expect(Object.keys(JSON.parse(sentBody) as object)).toEqual(['reference', 'amountFen', 'currency', 'payee', 'purpose', 'memo']);
    const verify = (target: string, body: string) => verifyBankRequest({ merchantId: MERCHANT, secret: SECRET }, headers, { method: 'POST', target, body }, new Date()).ok;
    expect(verify(PATH, sentBody)).toBe(true);
    expect(verify('/api/v1/transfers', sentBody)).toBe(false);
    expect(verify(PATH, sentBody.replace('123456', '123457'))).toBe(false);
  });
});

describe('replies that are not the bank speaking JSON', () => {
  it('an HTML 502 page from a proxy is a service error that says so', async () => {
    bank().reply(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', { 'Content-Type': 'text/html; charset=utf-8' });
    expect(await client.transfer(request)).toEqual({ kind: 'service_error', code: 'HTTP_502', detail: 'HTTP 502 reply is text/html, not JSON' });
  });

  it('a 202 whose body is malformed JSON is a service error (the retry will learn the bankReference)', async () => {
    bank().reply(202, '{"bankReference":"CB1",', JSON_TYPE);
    expect(await client.transfer(request)).toEqual({ kind: 'service_error', code: 'REPLY_NOT_JSON', detail: 'HTTP 202 reply is declared JSON but does not parse' });
  });

  it('a 200 that is HTML is not an acceptance', async () => {
    bank().reply(200, '<html>ok</html>', { 'Content-Type': 'text/html' });
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'REPLY_NOT_JSON' });
  });

  it('a 202 breaking the contract names the field', async () => {
    bank().reply(202, { bankReference: 'has spaces', status: 'accepted' }, JSON_TYPE);
    expect(await client.transfer(request)).toEqual({
      kind: 'service_error', code: 'REPLY_INVALID', detail: 'HTTP 202 reply does not fit the contract: bankReference must be 1 to 64 printable ASCII characters without spaces',
    });
    bank().reply(202, { bankReference: 'CB1', status: 'succeeded' }, JSON_TYPE);
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'REPLY_INVALID', detail: expect.stringContaining('status must be one of accepted') });
    bank().reply(202, [], JSON_TYPE);
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'REPLY_INVALID', detail: expect.stringContaining('body must be a JSON object') });
  });

  it('a reply larger than the limit is refused, declared or streamed', async () => {
    bank().reply(202, 'x'.repeat(BANK_REPLY_BYTES_MAX + 1), JSON_TYPE);
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'REPLY_TOO_LARGE' });
  });

  it('fields the contract does not name are ignored', async () => {
    bank().reply(202, { bankReference: 'CB1', status: 'accepted', acceptedAt: '2026-03-15T10:00:00+08:00' }, JSON_TYPE);
    expect(await client.transfer(request)).toEqual({ kind: 'accepted', bankReference: 'CB1' });
  });
});

describe('refusals', () => {
  it('a 422 gives the bank code, with account numbers in the message masked', async () => {
    bank().reply(422, { code: 'NAME_MISMATCH', message: `户名与账号 ${ACCOUNT} 不符` }, JSON_TYPE);
    const outcome = await client.transfer(request);
    expect(outcome).toEqual({ kind: 'rejected', code: 'NAME_MISMATCH', detail: '户名与账号 ****8901 不符' });
    expect(JSON.stringify(outcome)).not.toContain(ACCOUNT);
  });

  it('a 422 without a readable code is not taken as a refusal', async () => {
    bank().reply(422, '<html>Unprocessable</html>', { 'Content-Type': 'text/html' });
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'REPLY_NOT_JSON' });
    bank().reply(422, { code: 'lower case', message: 'x' }, JSON_TYPE);
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'REPLY_INVALID' });
  });

  it('a 409 is REFERENCE_CONFLICT whatever its body', async () => {
    bank().reply(409, 'Conflict', { 'Content-Type': 'text/plain' });
    expect(await client.transfer(request)).toMatchObject({ kind: 'rejected', code: 'REFERENCE_CONFLICT' });
  });

  it('a 5xx text quoting an account number is masked too', async () => {
    bank().reply(500, { code: 'SYSTEM_ERROR', message: `处理 ${ACCOUNT} 时出错` }, JSON_TYPE);
    expect(await client.transfer(request)).toEqual({ kind: 'service_error', code: 'HTTP_500', detail: 'HTTP 500 SYSTEM_ERROR: 处理 ****8901 时出错' });
  });

  it('a redirect is not followed: a signed payment instruction goes only where it was signed for', async () => {
    bank().reply(302, '', { Location: 'http://elsewhere.test/api/v1/transfers' });
    expect(await client.transfer(request)).toMatchObject({ kind: 'service_error', code: 'HTTP_302' });
  });
});

describe('status queries', () => {
  const status = () => nock(BANK).get('/custody/api/v1/transfers/DSB-7');

  it('an HTML 404 is not "no such transfer"', async () => {
    status().reply(404, '<html>Not Found</html>', { 'Content-Type': 'text/html' });
    expect(await client.transferStatus('DSB-7')).toMatchObject({ kind: 'service_error', code: 'REPLY_NOT_JSON' });
  });

  it('a reply about another transfer is refused', async () => {
    status().reply(200, { reference: 'DSB-8', bankReference: 'CB1', status: 'accepted', amountFen: 1, acceptedAt: '2026-03-15T10:00:00Z' }, JSON_TYPE);
    expect(await client.transferStatus('DSB-7')).toMatchObject({ kind: 'service_error', code: 'REPLY_INVALID', detail: expect.stringContaining('reference') });
  });

  it('a final status without completedAt breaks the contract', async () => {
    status().reply(200, { reference: 'DSB-7', bankReference: 'CB1', status: 'succeeded', amountFen: 1, acceptedAt: '2026-03-15T10:00:00Z' }, JSON_TYPE);
    expect(await client.transferStatus('DSB-7')).toMatchObject({ kind: 'service_error', code: 'REPLY_INVALID', detail: expect.stringContaining('completedAt') });
  });
});
