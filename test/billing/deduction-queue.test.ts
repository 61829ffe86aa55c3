/**
 * A deduction run through the real plumbing: the run writes attempts and outbox rows, the
 * relay moves them into BullMQ, a worker charges over SOAP and posts the repayments.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingSoapClient, type BillingSoapClient } from '../../adapters/billing/soap-client.js';
import { startBillingSoapSimulator, type BillingSoapSimulator } from '../../adapters/billing/soap-simulator.js';
import { SubscriberBook } from '../../adapters/billing/subscriber-book.js';
import { billingHandlers } from '../../src/billing/billing-jobs.js';
import { deductionRunStatus, startDeductionRun } from '../../src/billing/deduction-runs.js';
import { registerMandate } from '../../src/billing/mandates.js';
import { loadConfig } from '../../src/config.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { importLoanBook } from '../../src/loans/import-loan-book.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { OutboxRelay } from '../../src/queue/outbox.js';
import { QUEUE_BILLING_CHARGES, QueueSet } from '../../src/queue/queues.js';
import { openRedis } from '../../src/queue/redis.js';
import { startWorkers, type Workers } from '../../src/queue/workers.js';
import { idNumber } from '../support/identities.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeys, recordingLogger, TEST_REDIS_URL, testPrefix, waitFor } from '../queue/support.js';

const LOANS = 40;

describe('deduction run through outbox, queue and worker', () => {
  let t: TestDatabase;
  let redis: Redis;
  let queues: QueueSet;
  let workers: Workers;
  let sim: BillingSoapSimulator;
  let client: BillingSoapClient;
  const prefix = testPrefix();
  const logger = recordingLogger();
  const book = new SubscriberBook(0);

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedProductLibrary(t.db, 120_000);
    redis = await openRedis(TEST_REDIS_URL);
    queues = new QueueSet({ connection: redis, prefix, logger });
    sim = await startBillingSoapSimulator({ book });
    client = await createBillingSoapClient({ url: sim.url, timeoutMs: 2_000 });
    const lines = Array.from({ length: LOANS }, (_, n) => {
      const mobile = String(13_800_000_000 + n);
      book.set({ msisdn: mobile, plan: n % 4 === 0 ? 'postpaid' : 'prepaid', status: 'active', balanceFen: n % 5 === 0 ? 0 : 50_000, billFen: 0 });
      return JSON.stringify({ borrowerName: '赵六', idNumber: idNumber(900_000 + n), mobile, productCode: 'X001', principalFen: 1_000_000,
        startDate: '2026-01-15', repaymentChannels: ['phone_credit'], externalRef: `OLD-${n}` });
    });
    const { loanIds } = await importLoanBook(t.db, lines.join('\n'), 'test');
    for (const [n, loanId] of loanIds.entries()) await registerMandate(t.db, loanId, n % 4 === 0 ? 'postpaid' : 'prepaid');
    const config = { ...loadConfig({}).billing, partialChargesAllowed: false };
    workers = startWorkers({ connection: redis, prefix, logger, concurrency: 8,
      handlers: billingHandlers({ db: t.db, billing: client, config, logger, clock: () => new Date('2026-02-15T02:00:00Z') }) });
  });
  afterAll(async () => {
    await workers.close();
    await queues.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
    client.close();
    await sim.close();
    await t.drop();
  });

  it('charges every covered installment once and books every charge', async () => {
    const run = await startDeductionRun(t.db, { businessDate: '2026-02-15', daysBefore: 0, attemptsMax: 5, mode: 'realtime', actor: 'test' });
    expect(run.attemptsCreated).toBe(LOANS);
    const relay = new OutboxRelay({ db: t.db, queues, logger });
    await relay.relayOnce();
    await relay.relayOnce();
    const status = await waitFor('every attempt worked', async () => {
      const s = await deductionRunStatus(t.db, run.runId);
      return s.pending.count === 0 ? s : undefined;
    }, 30_000);
    // Every fifth subscriber has no prepaid credit (n % 5 === 0) unless postpaid (n % 4 === 0).
    const noCredit = Array.from({ length: LOANS }, (_, n) => n).filter((n) => n % 5 === 0 && n % 4 !== 0).length;
    expect(status.insufficient.count).toBe(noCredit);
    expect(status.charged.count).toBe(LOANS - noCredit);
    expect(status.charged.chargedFen).toBe((LOANS - noCredit) * 3_333);
    const charges = sim.requests().filter((r) => r.operation === 'chargeAmount');
    expect(new Set(charges.map((c) => c.referenceCode)).size).toBe(charges.length);
    expect(await queues.get(QUEUE_BILLING_CHARGES).getFailedCount()).toBe(0);
    const balance = await trialBalance(t.db);
    expect(balance.totalFen).toBe(0);
    expect(balance.byPurpose.find((p) => p.purpose === 'carrier_billing_receivable')?.balanceFen).toBe((LOANS - noCredit) * 3_333);
  });
});
