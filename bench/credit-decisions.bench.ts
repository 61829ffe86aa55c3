/**
 * Credit decisions per second end to end at concurrency 16: an application POSTed over HTTP
 * to the API, its assessment as the queue worker runs it (CRM lookup over SOAP against the
 * simulator, lists, identity), the callback result POSTed over HTTP, which runs the fraud
 * checks, the scorecard and the caps and stores the decision with its inputs. Beside it, in
 * the same process: scoring alone (the core's assessCredit on stored decision inputs), the
 * ceiling the end-to-end path is measured against. Latency percentiles are per application.
 * Run: npx tsx bench/credit-decisions.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { courtListReader } from '../adapters/court/dishonest-debtor-file.js';
import { createCrmSoapClient } from '../adapters/crm/client.js';
import { PopulationBook, generatePopulation } from '../adapters/crm/population.js';
import { startCrmSimulator } from '../adapters/crm/simulator.js';
import { buildApp } from '../src/api/app.js';
import { assessApplication } from '../src/applications/assess-application.js';
import { loadConfig } from '../src/config.js';
import { shanghaiDate } from '../src/core/calendar-date.js';
import { assessCredit, type CreditAssessmentInputs } from '../src/core/credit-assessment.js';
import { DEFAULT_SCORECARD } from '../src/core/default-scorecard.js';
import { seedProductLibrary } from '../src/products/product-library.js';
import { QueueSet } from '../src/queue/queues.js';
import { openRedis } from '../src/queue/redis.js';
import { seedDefaultScorecard } from '../src/risk/scorecard-repository.js';
import { createScratchDatabase } from './bench-database.js';
import type { BenchResult } from './bench-result.js';
import { printResults } from './print-results.js';

const APPLICATIONS = 3_000;
const WARMUP = 300;
const CONCURRENCY = 16;
const SCORING_ROUNDS = 20;
const TOKEN = 'bench-ops-token';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function run(): Promise<BenchResult[]> {
  const scratch = await createScratchDatabase('decisions');
  const redis = await openRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queues = new QueueSet({ connection: redis, prefix: `{bench-${randomUUID()}}` });
  const now = new Date();
  const members = generatePopulation({ size: WARMUP + APPLICATIONS, seed: 'bench', asOf: shanghaiDate(now) });
  const simulator = await startCrmSimulator({ book: new PopulationBook(members) });
  const crm = await createCrmSoapClient({ url: simulator.url, timeoutMs: 10_000 });
  const config = loadConfig({ OPS_TOKEN: TOKEN });
  await seedProductLibrary(scratch.db, config.annualRateCeilingPpm);
  await seedDefaultScorecard(scratch.db);
  const app = await buildApp({ db: scratch.db, config, queues, redis, courtListReader });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await response.json() as Record<string, unknown>;
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const outcomes = new Map<string, number>();
  const decideOne = async (i: number): Promise<number> => {
    const started = performance.now();
    const { profile } = members[i]!;
    const { id } = await post('/v1/applications', {
      channel: 'store_pos', staffId: `clerk-${i}`, storeCode: `S${i % 500}`,
      applicant: { name: profile.identity!.name, idNumber: profile.identity!.idNumber, mobile: profile.msisdn,
        county: profile.address!.county, village: profile.address!.village },
      request: { amountFen: 3_000_000, termMonths: 6, purpose: '种植' },
      otherPlatformsDebt: { amountFen: 0, source: 'declared' },
      consent: { purposes: ['credit_assessment'], method: 'signed_form', evidenceRef: `scan-${i}`, grantedAt: now.toISOString() },
    }) as { id: number };
    let status: string = (await assessApplication({ db: scratch.db, crm, clock: () => new Date() }, id)).status;
    if (status === 'awaiting_callback') {
      status = (await post(`/v1/applications/${id}/callback-result`, { result: 'confirmed', agentId: 'agent-1', callId: `call-${i}` }) as { status: string }).status;
    }
    outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
    return performance.now() - started;
  };
  const pool = async (first: number, count: number) => {
    const latencies: number[] = [];
    let next = first;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < first + count) latencies.push(await decideOne(next++));
    }));
    return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
  };
  try {
    await pool(0, WARMUP);
    outcomes.clear();
    const e2e = await pool(WARMUP, APPLICATIONS);
    const e2eRate = APPLICATIONS / e2e.seconds;

    const inputs = (await scratch.db.query<{ inputs: CreditAssessmentInputs }>(`SELECT inputs FROM credit_decisions`)).map((r) => r.inputs);
    const scoringStarted = performance.now();
    for (let round = 0; round < SCORING_ROUNDS; round += 1) for (const input of inputs) assessCredit(input, DEFAULT_SCORECARD);
    const scoringRate = (SCORING_ROUNDS * inputs.length) / ((performance.now() - scoringStarted) / 1000);

    console.log(`outcomes: ${[...outcomes].map(([s, n]) => `${s} ${n}`).join(', ')}; ${inputs.length} scored decisions stored`);
    console.log(`latency per application: p50 ${percentile(e2e.latencies, 0.5).toFixed(1)} ms, p99 ${percentile(e2e.latencies, 0.99).toFixed(1)} ms`);
    return [{
      name: `applications decided end to end: API + CRM over SOAP + review + scorecard + PostgreSQL (concurrency ${CONCURRENCY})`,
      value: e2eRate, unit: 'decisions/s', baseline: scoringRate,
      baselineName: 'scoring alone: the core assessment (rules, features, scorecard, caps) on the same stored inputs, in process', ratio: e2eRate / scoringRate,
    }];
  } finally {
    await app.close();
    crm.close();
    await simulator.close();
    await queues.close();
    redis.disconnect();
    await scratch.drop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printResults(await run());
}
