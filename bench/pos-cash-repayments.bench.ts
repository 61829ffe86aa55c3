/**
 * Cash repayments per second through the signed POS API at concurrency 50, with p50 and p99
 * latency: each request is signed by a terminal (HMAC over method, path, timestamp, nonce and
 * body hash), checked for nonce replay in Redis, carries a staff session and an
 * Idempotency-Key, and posts a repayment (allocation, ledger entry, cash movement, SMS
 * receipt in the outbox) in PostgreSQL. Beside it, in the same process and with the same
 * client: a bare fastify route behind the same signature check (HMAC, constant-time compare)
 * that does nothing else, the ceiling of the HTTP and signing path.
 * Run: npx tsx bench/pos-cash-repayments.bench.ts
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { courtListReader } from '../adapters/court/dishonest-debtor-file.js';
import { createTerminalClient, type TerminalClient } from '../adapters/pos/terminal-client.js';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import { addDays, shanghaiDate } from '../src/core/calendar-date.js';
import { closeOfBusiness } from '../src/jobs/close-of-business.js';
import { importLoanBook } from '../src/loans/import-loan-book.js';
import { canonicalString, secretKey, signaturesEqual } from '../src/pos/terminal-auth.js';
import { seedProductLibrary } from '../src/products/product-library.js';
import { QueueSet } from '../src/queue/queues.js';
import { openRedis } from '../src/queue/redis.js';
import { createScratchDatabase } from './bench-database.js';
import type { BenchResult } from './bench-result.js';
import { printResults } from './print-results.js';

const REPAYMENTS = 4_000;
const WARMUP = 500;
const CONCURRENCY = 50;
const STORES = 10;
const LOANS_PER_STORE = 100;
const AMOUNT_FEN = 1_000;
const TOKEN = 'bench-ops-token';
const PIN = '135790';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function run50(count: number, call: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await call(i);
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rate: count / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** The baseline server: one route, the same canonical string and HMAC check, nothing else. */
async function bareSignedRoute(secret: string) {
  const app = Fastify({ logger: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/v1/pos/loans/:id/cash-repayments', async (request, reply) => {
    const h = request.headers;
    const expected = createHmac('sha256', secretKey(secret)).update(canonicalString({
      method: request.method, pathWithQuery: request.url, timestamp: String(h['x-timestamp']), nonce: String(h['x-nonce']), body: request.body as string,
    })).digest('hex');
    if (!signaturesEqual(expected, String(h['x-signature']))) return reply.status(401).send({ code: 'UNAUTHORIZED' });
    return reply.status(201).send({ ok: true });
  });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

export async function run(): Promise<BenchResult[]> {
  const scratch = await createScratchDatabase('pos_cash');
  const redis = await openRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `{bench-${randomUUID()}}`;
  const queues = new QueueSet({ connection: redis, prefix });
  const config = loadConfig({ OPS_TOKEN: TOKEN });
  await seedProductLibrary(scratch.db, config.annualRateCeilingPpm);
  const app = await buildApp({ db: scratch.db, config, queues, redis, courtListReader, posRedisKeyPrefix: `${prefix}:pos` });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const ops = async (path: string, body: unknown) => {
    const response = await app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${TOKEN}` }, payload: body as object });
    if (response.statusCode !== 201) throw new Error(`${path}: ${response.body}`);
    return response.json() as Record<string, unknown>;
  };
  const bareSecret = randomBytes(32).toString('base64url');
  const bare = await bareSignedRoute(bareSecret);
  try {
    const terminals: TerminalClient[] = [];
    const loansByStore: number[][] = [];
    const today = shanghaiDate(new Date());
    for (let s = 0; s < STORES; s += 1) {
      const code = `BENCH-${s}`;
      await ops('/v1/ops/stores', { code, name: `压测营业厅${s}`, region: '广东', county: '清远县', villages: ['墩头村'] });
      await ops(`/v1/ops/stores/${code}/staff`, { id: `clerk${s}`, name: '王店员', role: 'clerk', pin: PIN });
      for (let t = 0; t < CONCURRENCY / STORES; t += 1) {
        const created = await ops(`/v1/ops/stores/${code}/terminals`, { id: `T${s}-${t}` }) as { terminal: { id: string }; secret: string };
        const client = createTerminalClient({ baseUrl: base, terminalId: created.terminal.id, secret: created.secret, retries: 0 });
        await client.signIn(`clerk${s}`, PIN);
        terminals.push(client);
      }
      const lines = Array.from({ length: LOANS_PER_STORE }, (_, n) => JSON.stringify({
        borrowerName: '赵六', idNumber: idFor(s * LOANS_PER_STORE + n), mobile: String(13_700_000_000 + s * LOANS_PER_STORE + n), productCode: 'Y001',
        principalFen: 5_000_000, startDate: addDays(today, -10), repaymentChannels: ['store_cash'], externalRef: `BENCH-${s}-${n}` }));
      const { loanIds } = await importLoanBook(scratch.db, lines.join('\n'), 'bench');
      await scratch.db.query(`UPDATE loans SET store_code = $1 WHERE id = ANY($2::bigint[])`, [code, loanIds]);
      loansByStore.push(loanIds);
    }
    // Nightly close of business has accrued the interest so far, as in production: repayments pay
    // each loan's own receivable rather than recognising unaccrued interest on the shared income account.
    await closeOfBusiness(scratch.db, addDays(today, -1));
    // Terminals of store s are s*perStore .. (s+1)*perStore-1, so each worker stays at one store.
    const perStore = CONCURRENCY / STORES;
    const repay = (offset: number) => async (i: number) => {
      const terminalIndex = i % CONCURRENCY;
      const store = Math.floor(terminalIndex / perStore);
      const loans = loansByStore[store]!;
      const loanId = loans[(offset + i) % loans.length]!;
      const reply = await terminals[terminalIndex]!.request('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: AMOUNT_FEN });
      if (reply.status !== 201) throw new Error(`repayment ${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
    };
    const bareClients = terminals.map((_, t) => createTerminalClient({ baseUrl: bare.url, terminalId: `bare-${t}`, secret: bareSecret, retries: 0 }));
    const bareCall = async (i: number) => {
      const reply = await bareClients[i % CONCURRENCY]!.request('POST', `/v1/pos/loans/${1 + (i % 1000)}/cash-repayments`, { amountFen: AMOUNT_FEN });
      if (reply.status !== 201) throw new Error(`bare route ${i}: ${reply.status}`);
    };
    await run50(WARMUP, repay(0));
    await run50(WARMUP, bareCall);
    const api = await run50(REPAYMENTS, repay(WARMUP));
    const baseline = await run50(REPAYMENTS, bareCall);
    const posted = await scratch.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM repayments WHERE channel = 'store_cash'`);
    if (posted[0]!.n !== WARMUP + REPAYMENTS) throw new Error(`${posted[0]!.n} repayments posted, expected ${WARMUP + REPAYMENTS}`);
    console.log(`signed POS API: p50 ${api.p50.toFixed(1)} ms, p99 ${api.p99.toFixed(1)} ms; bare signed route: p50 ${baseline.p50.toFixed(1)} ms, p99 ${baseline.p99.toFixed(1)} ms`);
    return [
      { name: `cash repayments through the signed POS API, ${STORES} stores (concurrency ${CONCURRENCY})`, value: api.rate, unit: 'repayments/s',
        baseline: baseline.rate, baselineName: `bare fastify route behind the same HMAC signature check (concurrency ${CONCURRENCY})`, ratio: api.rate / baseline.rate },
      { name: 'cash repayment p99 latency through the signed POS API', value: api.p99, unit: 'ms',
        baseline: baseline.p99, baselineName: 'bare signed route p99 latency', ratio: api.p99 / baseline.p99 },
    ];
  } finally {
    await app.close();
    await bare.app.close();
    await queues.close();
    redis.disconnect();
    await scratch.drop();
  }
}

function idFor(n: number): string {
  const first17 = `445102${1950 + (Math.floor(n / 1000) % 50)}0101${String(n % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(first17[i]), 0);
  return first17 + '10X98765432'[sum % 11];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printResults(await run());
}
