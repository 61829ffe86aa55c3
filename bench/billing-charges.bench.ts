/**
 * Real-time charges per second against the billing SOAP simulator at concurrency 32,
 * through createBillingSoapClient (envelope built from the WSDL, reply size-limited,
 * XML-guarded, parsed and mapped to a typed outcome), beside a raw baseline in the same
 * process: the same number of `fetch` POSTs of pre-built chargeAmount envelopes at the same
 * concurrency against the same simulator, replies read as text and not parsed. Both sides
 * pay for the simulator (same process), so the ratio is the client's overhead, not the
 * carrier's. Every charge uses its own referenceCode, and the book is checked afterwards:
 * each reference charged exactly once.
 * Run: npx tsx bench/billing-charges.bench.ts
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import type { ChargeOutcome } from '../src/billing/billing.port.js';
import { AMOUNT_CHARGING_PATH, BILLING_SOAP_TIMEOUT_MS, createBillingSoapClient } from '../adapters/billing/soap-client.js';
import { startBillingSoapSimulator } from '../adapters/billing/soap-simulator.js';
import { SubscriberBook } from '../adapters/billing/subscriber-book.js';
import type { BenchResult } from './bench-result.js';
import { printResults } from './print-results.js';

const CHARGES = 24_000;
/** The three ways alternate in rounds, so drift (GC, the simulator's growing state) hits all alike. */
const ROUNDS = 4;
const WARMUP_CHARGES = 2_000;
const CONCURRENCY = 32;
const SUBSCRIBERS = 1_000;
const FIRST_MSISDN = 13_800_000_000;
const AMOUNT_FEN = 1_234;
/** Enough credit that no charge in the run is refused. */
const OPENING_BALANCE_FEN = 1_000_000_000;

const msisdnOf = (i: number) => String(FIRST_MSISDN + (i % SUBSCRIBERS));

/** The chargeAmount envelope the raw baseline posts, written out by hand. */
function chargeEnvelope(msisdn: string, referenceCode: string): string {
  return '<?xml version="1.0" encoding="utf-8"?>'
    + '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    + '<loc:chargeAmount xmlns:loc="http://www.csapi.org/schema/parlayx/payment/amount_charging/v2_1/local">'
    + `<loc:endUserIdentifier>tel:+86${msisdn}</loc:endUserIdentifier>`
    + '<loc:charge><description>loan repayment</description><currency>CNY</currency><amount>12.34</amount></loc:charge>'
    + `<loc:referenceCode>${referenceCode}</loc:referenceCode>`
    + '</loc:chargeAmount></soap:Body></soap:Envelope>';
}

type Call = (i: number) => Promise<void>;

/** Runs calls first..first+count-1 with at most `concurrency` in flight; returns seconds taken. */
async function timed(first: number, count: number, call: Call): Promise<number> {
  let next = first;
  const worker = async () => {
    while (next < first + count) await call(next++);
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Calls per second of each way, measured in alternating rounds. */
async function measureAlternating(ways: readonly Call[]): Promise<number[]> {
  const seconds = ways.map(() => 0);
  const perRound = CHARGES / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [w, way] of ways.entries()) seconds[w]! += await timed(WARMUP_CHARGES + round * perRound, perRound, way);
  }
  return seconds.map((s) => CHARGES / s);
}

/** POST with node:http on a keep-alive agent, reading the reply as text. */
function httpPost(agent: http.Agent, url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expectCharged(outcome: ChargeOutcome): void {
  if (outcome.kind !== 'charged') throw new Error(`benchmark charge failed: ${outcome.kind} ${outcome.code} ${outcome.detail}`);
}

export async function run(): Promise<BenchResult[]> {
  const book = new SubscriberBook(0);
  for (let i = 0; i < SUBSCRIBERS; i++) book.set({ msisdn: msisdnOf(i), plan: 'prepaid', status: 'active', balanceFen: OPENING_BALANCE_FEN, billFen: 0 });
  const simulator = await startBillingSoapSimulator({ book });
  const client = await createBillingSoapClient({ url: simulator.url, timeoutMs: BILLING_SOAP_TIMEOUT_MS });
  const endpoint = `${simulator.url}${AMOUNT_CHARGING_PATH}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const viaClient = (prefix: string): Call => async (i) => {
      expectCharged(await client.charge({ msisdn: msisdnOf(i), amountFen: AMOUNT_FEN, description: 'loan repayment', referenceCode: `${prefix}-${i}` }));
    };
    const check = (status: number, text: string) => {
      if (status !== 200 || !text.includes('chargeAmountResponse')) throw new Error(`raw charge failed: HTTP ${status}`);
    };
    const viaFetch = (envelopes: readonly string[]): Call => async (i) => {
      const response = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body: envelopes[i]! });
      check(response.status, await response.text());
    };
    const viaHttp = (envelopes: readonly string[]): Call => async (i) => {
      const reply = await httpPost(agent, endpoint, envelopes[i]!);
      check(reply.status, reply.text);
    };
    const prebuilt = (prefix: string) => Array.from({ length: WARMUP_CHARGES + CHARGES }, (_, i) => chargeEnvelope(msisdnOf(i), `${prefix}-${i}`));
    const fetchEnvelopes = prebuilt('FETCH');
    const httpEnvelopes = prebuilt('HTTP');
    const ways = [viaClient('SOAP'), viaFetch(fetchEnvelopes), viaHttp(httpEnvelopes)];
    for (const way of ways) await timed(0, WARMUP_CHARGES, way);
    const [clientRate, fetchRate, httpRate] = await measureAlternating(ways) as [number, number, number];

    const charged = book.chargedReferences();
    const expected = 3 * (WARMUP_CHARGES + CHARGES);
    if (charged.length !== expected || charged.some((c) => c.amountFen !== AMOUNT_FEN)) {
      throw new Error(`book holds ${charged.length} charged references, expected ${expected} of ${AMOUNT_FEN} fen each`);
    }
    const name = `billing chargeAmount via createBillingSoapClient (concurrency ${CONCURRENCY})`;
    return [
      { name, value: clientRate, unit: 'charges/s', baseline: fetchRate, baselineName: `raw fetch POST of pre-built envelopes, reply unparsed (concurrency ${CONCURRENCY})`, ratio: clientRate / fetchRate },
      { name, value: clientRate, unit: 'charges/s', baseline: httpRate, baselineName: `raw node:http keep-alive POST of pre-built envelopes, reply unparsed (concurrency ${CONCURRENCY})`, ratio: clientRate / httpRate },
    ];
  } finally {
    agent.destroy();
    client.close();
    await simulator.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printResults(await run());
}
