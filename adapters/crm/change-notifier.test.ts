/**
 * The simulated CRM's change feed, delivered to a real HTTP receiver that verifies and
 * parses it the way the lender's endpoint must (verifyCarrierWebhook, parseCrmChangeEvent).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import type { CrmChangeEvent } from '../../src/core/subscriber-profile.js';
import { CARRIER_SIGNATURE_HEADER, CARRIER_TIMESTAMP_HEADER } from '../billing/recharge-notifier.js';
import { startCrmChangeNotifier, type CrmChangeNotifier } from './change-notifier.js';
import { parseCrmChangeEvent } from './mapping.js';
import { PopulationBook, populationMsisdn } from './population.js';

const SECRET = 'whsec-crm-test';
const MSISDN = populationMsisdn(0);

interface Received { status: number; event: CrmChangeEvent; verified: boolean; body: string; headers: http.IncomingHttpHeaders }

let receiver: http.Server;
let targetUrl: string;
let received: Received[];
/** Status codes the receiver answers with, in order; 204 once they run out. */
let script: number[];
let book: PopulationBook;
let notifier: CrmChangeNotifier | undefined;
let givenUp: { event: CrmChangeEvent; reason: string }[];

beforeEach(async () => {
  received = [];
  script = [];
  givenUp = [];
  book = PopulationBook.generate({ seed: 'crm-feed', asOf: '2026-03-15', size: 2 });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifyCarrierWebhook(SECRET, { timestamp: req.headers['x-carrier-timestamp'], signature: req.headers['x-carrier-signature'] }, body, new Date());
      const status = script.shift() ?? 204;
      received.push({ status, event: parseCrmChangeEvent(JSON.parse(body)), verified: check.ok, body, headers: req.headers });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/carrier/crm/changes`;
});

afterEach(async () => {
  await notifier?.close();
  notifier = undefined;
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

function start(options: { attemptsMax?: number; firstDelayMs?: number; delayMsMax?: number } = {}): void {
  notifier = startCrmChangeNotifier({
    book, targetUrl, secret: SECRET,
    attemptsMax: options.attemptsMax ?? 4, firstDelayMs: options.firstDelayMs ?? 10, delayMsMax: options.delayMsMax ?? 40, timeoutMs: 1_000,
    onGiveUp: (event, reason) => givenUp.push({ event, reason }),
  });
}

describe('startCrmChangeNotifier', () => {
  it('posts each change as signed JSON holding exactly the contract fields', async () => {
    start();
    const event = book.applyChange({ msisdn: MSISDN, type: 'sim_swapped', simIssuedOn: '2026-03-15', occurredAt: '2026-03-15T02:00:00.000Z' });
    await notifier!.idle();
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body)).toEqual({ eventId: event.eventId, msisdn: MSISDN, type: 'sim_swapped', occurredAt: '2026-03-15T02:00:00.000Z', simIssuedOn: '2026-03-15' });
    expect(received[0]!.event).toEqual(event);
    expect(received[0]!.verified).toBe(true);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(Number(received[0]!.headers[CARRIER_TIMESTAMP_HEADER.toLowerCase()])).toBeCloseTo(Date.now() / 1000, -1);
    expect(received[0]!.headers[CARRIER_SIGNATURE_HEADER.toLowerCase()]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(givenUp).toEqual([]);
  });

  it('retries a receiver answering 500 until it accepts: at least once, the same eventId each time', async () => {
    script = [500, 503];
    start();
    const event = book.applyChange({ msisdn: MSISDN, type: 'status_changed', status: 'suspended' });
    await notifier!.idle();
    expect(received.map((r) => [r.status, r.event.eventId, r.verified])).toEqual([[500, event.eventId, true], [503, event.eventId, true], [204, event.eventId, true]]);
    expect(givenUp).toEqual([]);
  });

  it('gives up after attemptsMax, reporting the event once; a 4xx is not retried', async () => {
    script = [500, 500, 500, 400];
    start({ attemptsMax: 3 });
    const lost = book.applyChange({ msisdn: MSISDN, type: 'ported_out' });
    await notifier!.idle();
    const refused = book.applyChange({ msisdn: populationMsisdn(1), type: 'number_cancelled' });
    await notifier!.idle();
    expect(received).toHaveLength(4);
    expect(givenUp).toEqual([{ event: lost, reason: 'HTTP 500 after 3 attempt(s)' }, { event: refused, reason: 'HTTP 400 after 1 attempt(s)' }]);
  });

  it('delivers concurrent changes independently and stops listening on close', async () => {
    start();
    const events = [
      book.applyChange({ msisdn: MSISDN, type: 'status_changed', status: 'suspended' }),
      book.applyChange({ msisdn: MSISDN, type: 'status_changed', status: 'active' }),
      book.applyChange({ msisdn: populationMsisdn(1), type: 'sim_swapped', simIssuedOn: '2026-03-15' }),
    ];
    await notifier!.idle();
    expect(new Set(received.map((r) => r.event.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
    await notifier!.close();
    book.applyChange({ msisdn: MSISDN, type: 'number_cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(3);
  });

  it('close() cuts a long retry wait short and reports the change as not delivered', async () => {
    script = [503];
    start({ firstDelayMs: 60_000, delayMsMax: 60_000 });
    book.applyChange({ msisdn: MSISDN, type: 'ported_out' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await notifier!.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(givenUp[0]!.reason).toBe('notifier closed after 1 attempt(s)');
  });
});
