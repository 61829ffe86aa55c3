/**
 * Our client against the simulated custody bank over real HTTP, with a real HTTP receiver
 * for the result notifications that verifies and parses them the way our callback route must
 * (verifyBankCallback, parseTransferResult).
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransferRequest, TransferResult } from '../../src/bank/bank.port.js';
import { parseTransferResult, verifyBankCallback } from '../../src/bank/transfer-results.js';
import { BANK_TRANSFERS_PATH, BankWireError } from './mapping.js';
import { createBankHttpClient, type BankHttpClient } from './client.js';
import { bankRequestHeaders } from './request-signing.js';
import { startBankSimulator, type BankSimulator } from './simulator.js';

const MERCHANT = 'M-TEST-0001';
const SECRET = 'api-secret-0123456789';
const CALLBACK_SECRET = 'callback-secret-0123456789';
const ACCOUNT = '6228480012345678901';
const CLOSED_ACCOUNT = '6228480099990000123';

interface Received { status: number; verified: boolean; result: TransferResult; body: string }

let bank: BankSimulator;
let client: BankHttpClient;
let receiver: http.Server;
let received: Received[];
/** Statuses the receiver answers with, in order; 200 once they run out. */
let script: number[];

async function startReceiver(): Promise<string> {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const verdict = verifyBankCallback(CALLBACK_SECRET, req.headers, raw, new Date());
      const status = script.shift() ?? 200;
      received.push({ status, verified: verdict.ok, result: parseTransferResult(JSON.parse(raw.toString('utf8'))), body: raw.toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/bank/transfer-results`;
}

const request = (overrides: Partial<TransferRequest> = {}): TransferRequest => ({
  reference: 'DSB-1', amountFen: 300_000, payee: { name: '梁梅秀', accountNumber: ACCOUNT, bankName: '某县农村信用合作联社' },
  purpose: 'loan_disbursement', memo: '贷款发放 DSB-1', ...overrides,
});

beforeEach(async () => {
  received = [];
  script = [];
  const callbackUrl = await startReceiver();
  bank = await startBankSimulator({
    merchantId: MERCHANT, secret: SECRET, callbackUrl, callbackSecret: CALLBACK_SECRET, completionDelayMs: 20,
    callbackDelivery: { attemptsMax: 4, firstDelayMs: 10, delayMsMax: 40, timeoutMs: 1_000 },
  });
  client = createBankHttpClient({ baseUrl: bank.url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 2_000 });
});

afterEach(async () => {
  client.close();
  await bank.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('a transfer', () => {
  it('is accepted, completes, pays the payee once and is notified as succeeded, signed', async () => {
    const outcome = await client.transfer(request());
    expect(outcome).toEqual({ kind: 'accepted', bankReference: expect.stringMatching(/^CB\d{18}$/) });
    await bank.idle();
    expect(bank.paidOutFen(ACCOUNT)).toBe(300_000);
    expect(received).toHaveLength(1);
    expect(received[0]!.verified).toBe(true);
    expect(received[0]!.result).toEqual({
      notificationId: expect.any(String), reference: 'DSB-1', bankReference: outcome.kind === 'accepted' ? outcome.bankReference : '',
      status: 'succeeded', completedAt: expect.any(String),
    });
    expect(Object.keys(JSON.parse(received[0]!.body) as object)).toEqual(['notificationId', 'reference', 'bankReference', 'status', 'completedAt']);
  });

  it('sent twice under one reference with the same body pays once, with the same bankReference', async () => {
    const first = await client.transfer(request());
    const second = await client.transfer(request());
    expect(second).toEqual(first);
    expect(bank.requests().map((r) => r.status)).toEqual([202, 200]);
    await bank.idle();
    expect(bank.paidOutFen(ACCOUNT)).toBe(300_000);
    expect(bank.transfers()).toHaveLength(1);
    expect(bank.transfers()[0]!.requests).toBe(2);
    expect(received).toHaveLength(1);
  });

  it('sent again under one reference with a different body is rejected REFERENCE_CONFLICT; the first transfer stands', async () => {
    const first = await client.transfer(request());
    const second = await client.transfer(request({ amountFen: 300_001 }));
    expect(second).toMatchObject({ kind: 'rejected', code: 'REFERENCE_CONFLICT' });
    await bank.idle();
    expect(bank.paidOutFen(ACCOUNT)).toBe(300_000);
    expect(bank.transfers().map((t) => t.bankReference)).toEqual([first.kind === 'accepted' ? first.bankReference : '']);
  });

  it('to a refused account is rejected at once with the bank code, the account number masked in the detail', async () => {
    bank.rejectAccount(ACCOUNT, 'ACCOUNT_FROZEN', `账户 ${ACCOUNT} 已冻结`);
    const outcome = await client.transfer(request());
    expect(outcome).toEqual({ kind: 'rejected', code: 'ACCOUNT_FROZEN', detail: '账户 ****8901 已冻结' });
    await bank.idle();
    expect(bank.transfers()).toEqual([]);
    expect(received).toEqual([]);
  });

  it('to an account number that is no account, or above the single limit, is rejected', async () => {
    expect(await client.transfer(request({ reference: 'DSB-2', payee: { ...request().payee, accountNumber: '62284800A1' } })))
      .toMatchObject({ kind: 'rejected', code: 'ACCOUNT_INVALID' });
    expect(await client.transfer(request({ reference: 'DSB-3', amountFen: 50_000_001 }))).toMatchObject({ kind: 'rejected', code: 'AMOUNT_OVER_LIMIT' });
  });

  it('to a closed account is accepted, then a signed failed notification arrives and nothing is paid', async () => {
    bank.failAccount(CLOSED_ACCOUNT, '账户已销户 account closed');
    const outcome = await client.transfer(request({ payee: { ...request().payee, accountNumber: CLOSED_ACCOUNT } }));
    expect(outcome.kind).toBe('accepted');
    await bank.idle();
    expect(received).toHaveLength(1);
    expect(received[0]!.verified).toBe(true);
    expect(received[0]!.result).toMatchObject({ reference: 'DSB-1', status: 'failed', failureReason: '账户已销户 account closed' });
    expect(bank.paidOutFen(CLOSED_ACCOUNT)).toBe(0);
    expect(await client.transferStatus('DSB-1')).toMatchObject({ kind: 'found', transfer: { status: 'failed', failureReason: '账户已销户 account closed' } });
  });

  it('that breaks the contract on our side throws before anything is sent', async () => {
    await expect(client.transfer(request({ amountFen: 0 }))).rejects.toThrow(BankWireError);
    await expect(client.transfer(request({ reference: '../x' }))).rejects.toMatchObject({ field: 'reference' });
    expect(bank.requests()).toEqual([]);
  });
});

describe('result notifications', () => {
  it('are delivered again, same notificationId, when our receiver answers 500 first', async () => {
    script = [500];
    await client.transfer(request());
    await bank.idle();
    expect(received.map((r) => r.status)).toEqual([500, 200]);
    expect(received[1]!.result).toEqual(received[0]!.result);
    expect(received.every((r) => r.verified)).toBe(true);
    expect(bank.undelivered()).toEqual([]);
  });

  it('can be redelivered by the bank, unchanged', async () => {
    await client.transfer(request());
    await bank.idle();
    bank.redeliver('DSB-1');
    await bank.idle();
    expect(received).toHaveLength(2);
    expect(received[1]!.body).toBe(received[0]!.body);
  });
});

describe('faults', () => {
  it('a wrong secret is answered 401 by the bank and is a service error to us', async () => {
    const wrong = createBankHttpClient({ baseUrl: bank.url, merchantId: MERCHANT, secret: 'not-the-secret-0000', timeoutMs: 2_000 });
    const outcome = await wrong.transfer(request());
    wrong.close();
    expect(outcome).toMatchObject({ kind: 'service_error', code: 'UNAUTHORIZED' });
    expect(outcome.kind === 'service_error' && outcome.detail).toContain('SIGNATURE_INVALID');
    expect(bank.requests()).toMatchObject([{ status: 401, code: 'SIGNATURE_INVALID' }]);
    expect(bank.transfers()).toEqual([]);
  });

  it('a wrong merchant id is refused the same way', async () => {
    const wrong = createBankHttpClient({ baseUrl: bank.url, merchantId: 'M-OTHER', secret: SECRET, timeoutMs: 2_000 });
    expect(await wrong.transfer(request())).toMatchObject({ kind: 'service_error', code: 'UNAUTHORIZED' });
    wrong.close();
  });

  it('a replayed request (same nonce) is refused, even with a valid signature', async () => {
    const body = JSON.stringify({ ...request(), currency: 'CNY' });
    const headers = { 'Content-Type': 'application/json', ...bankRequestHeaders(MERCHANT, SECRET, 'POST', BANK_TRANSFERS_PATH, body) };
    const first = await fetch(`${bank.url}${BANK_TRANSFERS_PATH}`, { method: 'POST', headers, body });
    const replay = await fetch(`${bank.url}${BANK_TRANSFERS_PATH}`, { method: 'POST', headers, body });
    expect(first.status).toBe(202);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ code: 'SIGNATURE_INVALID', message: 'X-Bank-Nonce was used before' });
  });

  it('a bank that does not answer is a timeout', async () => {
    const quick = createBankHttpClient({ baseUrl: bank.url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 200 });
    bank.faults.hang();
    expect(await quick.transfer(request())).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
    quick.close();
    expect(bank.transfers()).toEqual([]);
  });

  it('a reply lost after the bank accepted: the retry under the same reference gets the same bankReference, paid once', async () => {
    const quick = createBankHttpClient({ baseUrl: bank.url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 200 });
    bank.faults.hang({ afterProcessing: true });
    expect(await quick.transfer(request())).toMatchObject({ kind: 'timeout' });
    const retry = await quick.transfer(request());
    quick.close();
    expect(retry).toEqual({ kind: 'accepted', bankReference: bank.transfers()[0]!.bankReference });
    await bank.idle();
    expect(bank.paidOutFen(ACCOUNT)).toBe(300_000);
    expect(received).toHaveLength(1);
  });

  it('a busy bank (503 JSON) and a proxy error page (502 HTML) are service errors', async () => {
    bank.faults.fail({ status: 503 });
    bank.faults.fail({ status: 502, html: true });
    expect(await client.transfer(request())).toEqual({ kind: 'service_error', code: 'HTTP_503', detail: 'HTTP 503 SYSTEM_BUSY: 系统繁忙，请稍后再试 system busy' });
    expect(await client.transfer(request())).toEqual({ kind: 'service_error', code: 'HTTP_502', detail: 'HTTP 502 reply is text/html, not JSON' });
    expect(await client.transfer(request())).toMatchObject({ kind: 'accepted' });
  });

  it('a slow bank inside the deadline is just slow', async () => {
    bank.faults.delay({ delayMs: 100 });
    expect(await client.transfer(request())).toMatchObject({ kind: 'accepted' });
  });

  it('a closed client refuses further calls as a service error', async () => {
    client.close();
    expect(await client.transfer(request())).toMatchObject({ kind: 'service_error', code: 'CLIENT_CLOSED' });
  });
});

describe('broken connections', () => {
  /** A TCP server playing a broken bank; stop() drops its connections and closes it. */
  async function bankThat(onRequest: (socket: net.Socket) => void): Promise<{ url: string; server: { close(done: () => void): void } }> {
    const sockets = new Set<net.Socket>();
    const tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => onRequest(socket));
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const close = (done: () => void) => {
      for (const socket of sockets) socket.destroy();
      tcp.close(() => done());
    };
    return { url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`, server: { close } };
  }

  it('a connection dropped after the request was sent is a timeout: the bank may hold the transfer', async () => {
    const { url, server } = await bankThat((socket) => socket.destroy());
    const other = createBankHttpClient({ baseUrl: url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 2_000 });
    expect(await other.transfer(request())).toMatchObject({ kind: 'timeout', code: 'TIMEOUT', detail: expect.stringContaining('connection lost') });
    other.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a bank that refuses the connection is a service error: nothing was sent', async () => {
    const { url, server } = await bankThat(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const other = createBankHttpClient({ baseUrl: url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 2_000 });
    expect(await other.transfer(request())).toMatchObject({ kind: 'service_error', code: 'UNREACHABLE', detail: expect.stringContaining('ECONNREFUSED') });
    other.close();
  });

  it('a reply streamed past the size limit without a declared length is refused while reading', async () => {
    const { url, server } = await bankThat((socket) => {
      socket.write('HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 5; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    });
    const other = createBankHttpClient({ baseUrl: url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 2_000, replyBytesMax: 32 * 1024 });
    expect(await other.transfer(request())).toMatchObject({ kind: 'service_error', code: 'REPLY_TOO_LARGE', detail: 'HTTP 202 reply is larger than 32768 bytes' });
    other.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a reply cut off in the middle of its body is a timeout', async () => {
    const { url, server } = await bankThat((socket) => {
      socket.write('HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{"bankRef');
      setTimeout(() => socket.destroy(), 20);
    });
    const other = createBankHttpClient({ baseUrl: url, merchantId: MERCHANT, secret: SECRET, timeoutMs: 2_000 });
    expect(await other.transfer(request())).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
    other.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('transfer status', () => {
  it('follows a transfer from accepted to succeeded; an unknown reference is not_found', async () => {
    const accepted = await client.transfer(request());
    const before = await client.transferStatus('DSB-1');
    expect(before).toMatchObject({ kind: 'found', transfer: { reference: 'DSB-1', status: 'accepted', amountFen: 300_000 } });
    expect(before.kind === 'found' && before.transfer.completedAt).toBeUndefined();
    await bank.idle();
    expect(await client.transferStatus('DSB-1')).toEqual({
      kind: 'found',
      transfer: {
        reference: 'DSB-1', bankReference: accepted.kind === 'accepted' ? accepted.bankReference : '', status: 'succeeded', amountFen: 300_000,
        acceptedAt: expect.any(String), completedAt: expect.any(String),
      },
    });
    expect(await client.transferStatus('DSB-404')).toEqual({ kind: 'not_found' });
  });
});

describe('what the simulator keeps', () => {
  it('never holds a full account number in its logs', async () => {
    bank.failAccount(CLOSED_ACCOUNT, '账户已销户');
    await client.transfer(request());
    await client.transfer(request({ reference: 'DSB-2', payee: { ...request().payee, accountNumber: CLOSED_ACCOUNT } }));
    await bank.idle();
    const logs = JSON.stringify([bank.transfers(), bank.requests()]);
    expect(logs).not.toContain(ACCOUNT);
    expect(logs).not.toContain(CLOSED_ACCOUNT);
    expect(bank.transfers().map((t) => t.payee.accountNumber)).toEqual(['****8901', '****0123']);
    expect(bank.totalPaidOutFen()).toBe(300_000);
  });
});
