/**
 * The simulated bank's own rules, seen through raw signed requests: contract errors, unknown
 * endpoints, oversized bodies, and where its notifications go.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BANK_TRANSFERS_PATH } from './mapping.js';
import { bankRequestHeaders } from './request-signing.js';
import { BANK_SIMULATOR_REQUEST_BYTES_MAX, startBankSimulator, type BankSimulator } from './simulator.js';

const MERCHANT = 'M-SIM';
const SECRET = 'api-secret-0123456789';
let bank: BankSimulator;

beforeEach(async () => {
  bank = await startBankSimulator({ merchantId: MERCHANT, secret: SECRET, callbackSecret: 'cb-secret-0123456789', completionDelayMs: 5 });
});

afterEach(async () => {
  await bank.close();
});

async function send(method: 'GET' | 'POST', target: string, body = ''): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${bank.url}${target}`, {
    method, headers: { 'Content-Type': 'application/json', ...bankRequestHeaders(MERCHANT, SECRET, method, target, body) }, ...(method === 'POST' ? { body } : {}),
  });
  return { status: response.status, json: await response.json() };
}

const valid = {
  reference: 'DSB-1', amountFen: 100, currency: 'CNY', payee: { name: '梁梅秀', accountNumber: '6228480012345678901', bankName: '农商银行' },
  purpose: 'loan_disbursement', memo: '',
};

describe('the simulated bank', () => {
  it('answers 400 naming the field for a body that breaks the contract, and keeps nothing', async () => {
    expect(await send('POST', BANK_TRANSFERS_PATH, JSON.stringify({ ...valid, currency: 'USD' })))
      .toEqual({ status: 400, json: { code: 'INVALID_REQUEST', message: 'currency must be one of CNY', field: 'currency' } });
    expect(await send('POST', BANK_TRANSFERS_PATH, '{')).toEqual({ status: 400, json: { code: 'INVALID_REQUEST', message: 'body is not JSON' } });
    expect(bank.transfers()).toEqual([]);
  });

  it('answers 404 for an unknown endpoint and 413 for an oversized body', async () => {
    expect(await send('GET', '/api/v1/accounts')).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
    expect(await send('POST', BANK_TRANSFERS_PATH, JSON.stringify({ ...valid, memo: 'x'.repeat(BANK_SIMULATOR_REQUEST_BYTES_MAX) })))
      .toMatchObject({ status: 413, json: { code: 'BODY_TOO_LARGE' } });
  });

  it('treats key order and whitespace as the same body', async () => {
    const first = await send('POST', BANK_TRANSFERS_PATH, JSON.stringify(valid));
    const { reference, ...rest } = valid;
    const again = await send('POST', BANK_TRANSFERS_PATH, JSON.stringify({ ...rest, reference }, null, 2));
    expect(first.status).toBe(202);
    expect(again).toEqual({ status: 200, json: first.json });
  });

  it('without a callback URL completes transfers and sends nothing', async () => {
    bank.setCallbackUrl(undefined);
    await send('POST', BANK_TRANSFERS_PATH, JSON.stringify(valid));
    await bank.idle();
    expect(bank.transfers()[0]!.status).toBe('succeeded');
    expect(bank.undelivered()).toEqual([]);
    expect(() => bank.redeliver('DSB-404')).toThrow(/has not completed/);
  });

  it('gives up on a notification the receiver refuses with a 4xx, and reports it', async () => {
    const given: string[] = [];
    await bank.close();
    const receiver = http.createServer((_req, res) => res.writeHead(401).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    bank = await startBankSimulator({
      merchantId: MERCHANT, secret: SECRET, callbackSecret: 'cb-secret-0123456789', completionDelayMs: 5, callbackUrl: `http://127.0.0.1:${port}/cb`,
      onCallbackGiveUp: (result, reason) => given.push(`${result.reference}: ${reason}`),
    });
    await send('POST', BANK_TRANSFERS_PATH, JSON.stringify(valid));
    await bank.idle();
    expect(given).toEqual(['DSB-1: HTTP 401 after 1 attempt(s)']);
    expect(bank.undelivered()).toHaveLength(1);
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
});
