/**
 * BillingPort over the real wire: the SOAP simulator on a random port and the real client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChargeRequest } from '../../src/billing/billing.port.js';
import { createBillingSoapClient, AMOUNT_CHARGING_PATH, type BillingSoapClient } from './soap-client.js';
import { startBillingSoapSimulator, type BillingSoapSimulator, type BillingSoapSimulatorOptions } from './soap-simulator.js';
import { SubscriberBook, type SimulatedSubscriber } from './subscriber-book.js';

const CLIENT_TIMEOUT_MS = 400;
const PREPAID = '13800000001';
const POSTPAID = '13800000002';
const SUSPENDED = '13800000003';
const POOR = '13800000004';
const UNKNOWN = '13700000000';

const subscribers: SimulatedSubscriber[] = [
  { msisdn: PREPAID, plan: 'prepaid', status: 'active', balanceFen: 50_000, billFen: 0 },
  { msisdn: POSTPAID, plan: 'postpaid', status: 'active', balanceFen: 0, billFen: 12_000 },
  { msisdn: SUSPENDED, plan: 'prepaid', status: 'suspended', balanceFen: 50_000, billFen: 0 },
  { msisdn: POOR, plan: 'prepaid', status: 'active', balanceFen: 300, billFen: 0 },
];

let book: SubscriberBook;
let simulator: BillingSoapSimulator;
let client: BillingSoapClient;
const extraClients: BillingSoapClient[] = [];

async function start(options: Partial<BillingSoapSimulatorOptions> = {}): Promise<void> {
  book = new SubscriberBook(0);
  for (const s of subscribers) book.set(s);
  simulator = await startBillingSoapSimulator({ book, port: 0, ...options });
  client = await createBillingSoapClient({ url: simulator.url, timeoutMs: CLIENT_TIMEOUT_MS });
}

function charge(msisdn: string, amountFen: number, referenceCode: string): ChargeRequest {
  return { msisdn, amountFen, description: '养殖贷 第2期还款', referenceCode };
}

const balance = (msisdn: string) => book.get(msisdn)!.balanceFen;

beforeEach(async () => start());

afterEach(async () => {
  client.close();
  for (const c of extraClients.splice(0)) c.close();
  await simulator.close();
});

describe('chargeAmount', () => {
  it('charges prepaid credit: the balance goes down by the amount, the call is logged', async () => {
    expect(await client.charge(charge(PREPAID, 12_345, 'R-PRE-1'))).toEqual({ kind: 'charged', amountFen: 12_345 });
    expect(balance(PREPAID)).toBe(50_000 - 12_345);
    expect(simulator.requests()).toEqual([{ operation: 'chargeAmount', msisdn: PREPAID, referenceCode: 'R-PRE-1', amountFen: 12_345, at: expect.any(Date), reply: 'ok' }]);
  });

  it('adds the amount to a postpaid bill and leaves the credit alone', async () => {
    expect(await client.charge(charge(POSTPAID, 8_800, 'R-POST-1'))).toEqual({ kind: 'charged', amountFen: 8_800 });
    expect(book.get(POSTPAID)).toMatchObject({ billFen: 12_000 + 8_800, balanceFen: 0 });
  });

  it('refuses a charge above the prepaid credit, then takes it under the same reference after a recharge', async () => {
    const refused = await client.charge(charge(POOR, 500, 'R-POOR-1'));
    expect(refused).toMatchObject({ kind: 'insufficient_credit', code: 'POL1000' });
    expect(balance(POOR)).toBe(300);
    book.recharge(POOR, 1_000, new Date());
    expect(await client.charge(charge(POOR, 500, 'R-POOR-1'))).toEqual({ kind: 'charged', amountFen: 500 });
    expect(balance(POOR)).toBe(800);
  });

  it('reports a suspended subscriber without the full number in the detail', async () => {
    const outcome = await client.charge(charge(SUSPENDED, 100, 'R-SUS-1'));
    expect(outcome).toMatchObject({ kind: 'subscriber_suspended', code: 'POL1010' });
    expect(JSON.stringify(outcome)).not.toContain(SUSPENDED);
    expect(JSON.stringify(outcome)).toContain('138****0003');
    expect(balance(SUSPENDED)).toBe(50_000);
  });

  it('reports an unknown subscriber', async () => {
    expect(await client.charge(charge(UNKNOWN, 100, 'R-UNK-1'))).toMatchObject({ kind: 'subscriber_unknown', code: 'SVC0004' });
  });

  it('maps an injected policy refusal and applies nothing', async () => {
    simulator.faults.fault({ exception: 'PolicyException', messageId: 'POL0001', text: 'A policy error occurred. Error code is %1', variables: ['daily limit'] });
    const outcome = await client.charge(charge(PREPAID, 100, 'R-POL-1'));
    expect(outcome).toEqual({ kind: 'policy_refused', code: 'POL0001', detail: 'PolicyException POL0001: A policy error occurred. Error code is daily limit' });
    expect(balance(PREPAID)).toBe(50_000);
  });

  it('maps an injected ServiceException for one call only', async () => {
    simulator.faults.fault({ exception: 'ServiceException', messageId: 'SVC0001', variables: ['OCS busy'], operation: 'chargeAmount' });
    expect(await client.charge(charge(PREPAID, 100, 'R-SVC-1'))).toMatchObject({ kind: 'service_error', code: 'SVC0001' });
    expect(balance(PREPAID)).toBe(50_000);
    expect(await client.charge(charge(PREPAID, 100, 'R-SVC-1'))).toEqual({ kind: 'charged', amountFen: 100 });
    expect(simulator.faults.pending()).toBe(0);
  });

  it('charges once when the same reference is sent again, and refuses it for a different amount', async () => {
    await client.charge(charge(PREPAID, 1_000, 'R-DUP-1'));
    expect(await client.charge(charge(PREPAID, 1_000, 'R-DUP-1'))).toEqual({ kind: 'charged', amountFen: 1_000 });
    expect(await client.charge(charge(PREPAID, 2_000, 'R-DUP-1'))).toMatchObject({ kind: 'policy_refused', code: 'POL1013' });
    expect(balance(PREPAID)).toBe(49_000);
  });

  it('keeps 64 concurrent charges exact', async () => {
    const outcomes = await Promise.all(Array.from({ length: 64 }, (_, i) => client.charge(charge(PREPAID, 100 + i, `R-CONC-${i}`))));
    expect(outcomes.every((o) => o.kind === 'charged')).toBe(true);
    expect(balance(PREPAID)).toBe(50_000 - (64 * 100 + (63 * 64) / 2));
  });

  it('refuses a malformed request locally, before anything is sent', async () => {
    await expect(client.charge(charge(PREPAID, 0, 'R-BAD-1'))).rejects.toMatchObject({ field: 'amountFen' });
    await expect(client.charge(charge('12345', 100, 'R-BAD-2'))).rejects.toMatchObject({ field: 'msisdn' });
    await expect(client.charge(charge(PREPAID, 1.5, 'R-BAD-3'))).rejects.toMatchObject({ field: 'amountFen' });
    expect(simulator.requests()).toEqual([]);
  });
});

describe('timeouts and retries with the same reference', () => {
  it('applyThenHang: the charge happened, the client saw a timeout; the retry charges nothing more', async () => {
    simulator.faults.hang({ mode: 'applyThenHang' });
    expect(await client.charge(charge(PREPAID, 2_500, 'R-HANG-1'))).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
    expect(balance(PREPAID)).toBe(47_500);
    expect(await client.charge(charge(PREPAID, 2_500, 'R-HANG-1'))).toEqual({ kind: 'charged', amountFen: 2_500 });
    expect(balance(PREPAID)).toBe(47_500);
    expect(simulator.requests().map((r) => [r.referenceCode, r.reply])).toEqual([['R-HANG-1', 'hang'], ['R-HANG-1', 'ok']]);
  });

  it('hangWithoutApplying: nothing happened; the retry charges once', async () => {
    simulator.faults.hang({ mode: 'hangWithoutApplying' });
    expect(await client.charge(charge(PREPAID, 2_500, 'R-HANG-2'))).toMatchObject({ kind: 'timeout' });
    expect(balance(PREPAID)).toBe(50_000);
    expect(await client.charge(charge(PREPAID, 2_500, 'R-HANG-2'))).toEqual({ kind: 'charged', amountFen: 2_500 });
    expect(balance(PREPAID)).toBe(47_500);
  });

  it('a reply slower than the deadline is a timeout, yet the carrier applied it: the retry is de-duplicated', async () => {
    simulator.faults.delay({ delayMs: CLIENT_TIMEOUT_MS + 200 });
    expect(await client.charge(charge(PREPAID, 700, 'R-SLOW-1'))).toMatchObject({ kind: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(balance(PREPAID)).toBe(49_300);
    expect(await client.charge(charge(PREPAID, 700, 'R-SLOW-1'))).toEqual({ kind: 'charged', amountFen: 700 });
    expect(balance(PREPAID)).toBe(49_300);
  });

  it('a slow reply within the deadline is fine; a hang for one msisdn leaves the others alone', async () => {
    simulator.faults.hang({ mode: 'hangWithoutApplying', msisdn: POSTPAID, times: 5 });
    simulator.faults.delay({ delayMs: CLIENT_TIMEOUT_MS / 2, msisdn: PREPAID });
    const [postpaid, prepaid] = await Promise.all([
      client.charge(charge(POSTPAID, 100, 'R-SCOPE-1')),
      client.charge(charge(PREPAID, 100, 'R-SCOPE-2')),
    ]);
    expect(postpaid.kind).toBe('timeout');
    expect(prepaid).toEqual({ kind: 'charged', amountFen: 100 });
  });

  it('latencyMs delays every reply', async () => {
    await simulator.close();
    client.close();
    await start({ latencyMs: 150 });
    const started = Date.now();
    await client.getBalance(PREPAID);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('refundAmount', () => {
  it('gives money back once per refund reference, and refuses a refund without a matching charge', async () => {
    await client.charge(charge(PREPAID, 5_000, 'R-REF-1'));
    const refund = { ...charge(PREPAID, 2_000, 'F-REF-1'), originalReferenceCode: 'R-REF-1' };
    expect(await client.refund(refund)).toEqual({ kind: 'charged', amountFen: 2_000 });
    expect(await client.refund(refund)).toEqual({ kind: 'charged', amountFen: 2_000 });
    expect(balance(PREPAID)).toBe(47_000);
    expect(await client.refund({ ...refund, referenceCode: 'F-REF-2', originalReferenceCode: 'R-NONE' })).toMatchObject({ kind: 'policy_refused', code: 'POL1012' });
    expect(await client.refund({ ...refund, referenceCode: 'F-REF-3', amountFen: 9_000 })).toMatchObject({ kind: 'policy_refused', code: 'POL1012' });
    expect(balance(PREPAID)).toBe(47_000);
  });

  it('takes a refund off a postpaid bill', async () => {
    await client.charge(charge(POSTPAID, 3_000, 'R-REF-P'));
    expect(await client.refund({ ...charge(POSTPAID, 3_000, 'F-REF-P'), originalReferenceCode: 'R-REF-P' })).toMatchObject({ kind: 'charged' });
    expect(book.get(POSTPAID)!.billFen).toBe(12_000);
  });
});

describe('getBalance', () => {
  it('reads prepaid credit exactly and follows charges', async () => {
    book.set({ msisdn: '13900000042', plan: 'prepaid', status: 'active', balanceFen: 123_456_789, billFen: 0 });
    expect(await client.getBalance('13900000042')).toEqual({ kind: 'balance', balanceFen: 123_456_789 });
    await client.charge(charge('13900000042', 89, 'R-BAL-1'));
    expect(await client.getBalance('13900000042')).toEqual({ kind: 'balance', balanceFen: 123_456_700 });
  });

  it('refuses postpaid (POL1011), suspended and unknown subscribers with typed outcomes', async () => {
    expect(await client.getBalance(POSTPAID)).toMatchObject({ kind: 'policy_refused', code: 'POL1011' });
    expect(await client.getBalance(SUSPENDED)).toMatchObject({ kind: 'subscriber_suspended', code: 'POL1010' });
    expect(await client.getBalance(UNKNOWN)).toMatchObject({ kind: 'subscriber_unknown', code: 'SVC0004' });
  });
});

describe('service provider header', () => {
  it('is checked when the simulator has credentials: right secret passes, wrong or missing fails', async () => {
    await simulator.close();
    client.close();
    await start({ sp: { spId: '000201', secret: 'right' } });
    const good = await createBillingSoapClient({ url: simulator.url, timeoutMs: CLIENT_TIMEOUT_MS, spId: '000201', spPassword: 'right' });
    const wrong = await createBillingSoapClient({ url: simulator.url, timeoutMs: CLIENT_TIMEOUT_MS, spId: '000201', spPassword: 'wrong' });
    extraClients.push(good, wrong);
    expect(await good.getBalance(PREPAID)).toEqual({ kind: 'balance', balanceFen: 50_000 });
    expect(await wrong.charge(charge(PREPAID, 100, 'R-SP-1'))).toMatchObject({ kind: 'service_error', code: 'SVC1000' });
    expect(await client.charge(charge(PREPAID, 100, 'R-SP-2'))).toMatchObject({ kind: 'service_error', code: 'SVC1000' });
    expect(balance(PREPAID)).toBe(50_000);
  });
});

describe('simulator request guard', () => {
  async function post(body: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${simulator.url}${AMOUNT_CHARGING_PATH}`, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body });
    return { status: response.status, text: await response.text() };
  }

  it('answers an entity-expansion request with a SOAP fault and never parses it', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
      <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
      <chargeAmount xmlns="http://www.csapi.org/schema/parlayx/payment/amount_charging/v2_1/local"><endUserIdentifier>tel:+86${PREPAID}</endUserIdentifier>
      <charge><description>&b;</description><currency>CNY</currency><amount>1.00</amount></charge><referenceCode>R-BOMB</referenceCode></chargeAmount>
      </soap:Body></soap:Envelope>`;
    const reply = await post(bomb);
    expect(reply.status).toBe(500);
    expect(reply.text).toContain('<messageId>SVC0001</messageId>');
    expect(reply.text).toContain('XML_DTD_FORBIDDEN');
    expect(simulator.requests()).toMatchObject([{ operation: 'refused', reply: 'XML_DTD_FORBIDDEN' }]);
    expect(balance(PREPAID)).toBe(50_000);
  });

  it('refuses an oversized request', async () => {
    const reply = await post(`<soap:Envelope>${' '.repeat(70_000)}</soap:Envelope>`);
    expect(reply.status).toBe(500);
    expect(reply.text).toContain('XML_TOO_LARGE');
  });
});
