/**
 * The simulated carrier's recharge notifications, delivered to a real HTTP receiver that
 * verifies them the way the lender's endpoint must (verifyCarrierWebhook).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import { CARRIER_SIGNATURE_HEADER, CARRIER_TIMESTAMP_HEADER, startRechargeNotifier, type RechargeNotifier } from './recharge-notifier.js';
import { SubscriberBook, type RechargeEvent } from './subscriber-book.js';

const SECRET = 'whsec-test';
const MSISDN = '13800000001';

interface Received { status: number; eventId: string; verified: boolean; body: string; headers: http.IncomingHttpHeaders }

let receiver: http.Server;
let targetUrl: string;
let received: Received[];
/** Status codes the receiver answers with, in order; 204 once they run out. */
let script: number[];
let book: SubscriberBook;
let notifier: RechargeNotifier | undefined;
let givenUp: { event: RechargeEvent; reason: string }[];

beforeEach(async () => {
  received = [];
  script = [];
  givenUp = [];
  book = new SubscriberBook(0);
  book.set({ msisdn: MSISDN, plan: 'prepaid', status: 'active', balanceFen: 0, billFen: 0 });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifyCarrierWebhook(SECRET, {
        timestamp: req.headers['x-carrier-timestamp'], signature: req.headers['x-carrier-signature'],
      }, body, new Date());
      const status = script.shift() ?? 204;
      received.push({ status, eventId: (JSON.parse(body) as { eventId: string }).eventId, verified: check.ok, body, headers: req.headers });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/carrier/recharges`;
});

afterEach(async () => {
  await notifier?.close();
  notifier = undefined;
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

function start(options: { attemptsMax?: number; firstDelayMs?: number; delayMsMax?: number; url?: string } = {}): void {
  notifier = startRechargeNotifier({
    book, targetUrl: options.url ?? targetUrl, secret: SECRET,
    attemptsMax: options.attemptsMax ?? 4, firstDelayMs: options.firstDelayMs ?? 10, delayMsMax: options.delayMsMax ?? 40, timeoutMs: 1_000,
    onGiveUp: (event, reason) => givenUp.push({ event, reason }),
  });
}

describe('startRechargeNotifier', () => {
  it('posts each recharge as signed JSON with exactly the four contract fields', async () => {
    start();
    const event = book.recharge(MSISDN, 5_000, new Date('2026-01-15T08:00:00Z'));
    await notifier!.idle();
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body)).toEqual({ eventId: event.eventId, msisdn: MSISDN, amountFen: 5_000, rechargedAt: '2026-01-15T08:00:00.000Z' });
    expect(received[0]!.verified).toBe(true);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(Number(received[0]!.headers[CARRIER_TIMESTAMP_HEADER.toLowerCase()])).toBeCloseTo(Date.now() / 1000, -1);
    expect(received[0]!.headers[CARRIER_SIGNATURE_HEADER.toLowerCase()]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(givenUp).toEqual([]);
  });

  it('retries a failing receiver with backoff until it accepts: at least once, the same eventId each time', async () => {
    script = [503, 500, 429];
    start({ attemptsMax: 5 });
    const event = book.recharge(MSISDN, 1_000, new Date());
    await notifier!.idle();
    expect(received.map((r) => [r.status, r.eventId, r.verified])).toEqual([
      [503, event.eventId, true], [500, event.eventId, true], [429, event.eventId, true], [204, event.eventId, true],
    ]);
    expect(givenUp).toEqual([]);
  });

  it('gives up after attemptsMax and reports the event once', async () => {
    script = [503, 503, 503, 503, 503];
    start({ attemptsMax: 3 });
    const event = book.recharge(MSISDN, 1_000, new Date());
    await notifier!.idle();
    expect(received).toHaveLength(3);
    expect(givenUp).toEqual([{ event, reason: 'HTTP 503 after 3 attempt(s)' }]);
  });

  it('does not retry a 4xx refusal such as a bad signature', async () => {
    script = [401];
    start();
    book.recharge(MSISDN, 1_000, new Date());
    await notifier!.idle();
    expect(received).toHaveLength(1);
    expect(givenUp[0]!.reason).toBe('HTTP 401 after 1 attempt(s)');
  });

  it('retries when the receiver cannot be reached, then gives up', async () => {
    const down = http.createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    start({ attemptsMax: 3, url });
    book.recharge(MSISDN, 1_000, new Date());
    await notifier!.idle();
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0]!.reason).toMatch(/after 3 attempt\(s\)$/);
  });

  it('delivers concurrent recharges independently and stops listening on close', async () => {
    start();
    const events = [book.recharge(MSISDN, 100, new Date()), book.recharge(MSISDN, 200, new Date()), book.recharge(MSISDN, 300, new Date())];
    await notifier!.idle();
    expect(new Set(received.map((r) => r.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
    await notifier!.close();
    book.recharge(MSISDN, 400, new Date());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(3);
  });

  it('close() cuts a long retry wait short and reports the event as not delivered', async () => {
    script = [503];
    start({ firstDelayMs: 60_000, delayMsMax: 60_000 });
    book.recharge(MSISDN, 100, new Date());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await notifier!.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(givenUp[0]!.reason).toBe('notifier closed after 1 attempt(s)');
  });
});
