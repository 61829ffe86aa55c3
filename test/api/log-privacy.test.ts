/**
 * Logs never carry a full phone number or ID number: every route that receives one is
 * called with logging at its most verbose, and the captured log is searched for them.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { QueueSet } from '../../src/queue/queues.js';
import { openRedis } from '../../src/queue/redis.js';
import { ADMIN_TOKEN, TEST_REDIS_URL, WEBHOOK_SECRET, withWrongCheckChar } from '../support/api-app.js';
import { freshIdNumber } from '../support/identities.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('personal numbers in logs', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let redis: Redis;
  let queues: QueueSet;
  const captured: string[] = [];
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const mobile = '13987654321';
  const idNumber = freshIdNumber();

  beforeAll(async () => {
    t = await createTestDatabase();
    const config = loadConfig({ OPS_TOKEN: ADMIN_TOKEN, BILLING_WEBHOOK_SECRET: WEBHOOK_SECRET });
    await seedProductLibrary(t.db, config.annualRateCeilingPpm);
    redis = await openRedis(TEST_REDIS_URL);
    queues = new QueueSet({ connection: redis, prefix: `{test-${randomUUID()}}` });
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { captured.push(chunk.toString('utf8')); done(); } });
    app = await buildApp({ db: t.db, config, queues, logger: { level: 'trace', stream } });
  });
  afterAll(async () => {
    await app.close();
    await queues.close();
    await redis.quit();
    await t.drop();
  });

  it('keeps them out of request, response and error logs', async () => {
    const application = { borrowerName: '吴九', idNumber, mobile, productCode: 'X001', principalFen: 1_000_000, repaymentChannels: ['phone_credit'] };
    const created = await app.inject({ method: 'POST', url: '/v1/ops/loans', headers, payload: application });
    expect(created.statusCode).toBe(201);
    const loanId = created.json().id as number;
    await app.inject({ method: 'POST', url: '/v1/ops/loans', headers, payload: { ...application, idNumber: withWrongCheckChar(idNumber) } });
    await app.inject({ method: 'POST', url: '/v1/ops/loans', headers, payload: { ...application, principalFen: 100_000_000 } });
    await app.inject({ method: 'GET', url: `/v1/ops/loans/${loanId}`, headers });
    const book = [JSON.stringify({ ...application, startDate: '2026-01-15' }), JSON.stringify({ ...application, mobile: '12345', startDate: '2026-01-15' })].join('\n');
    await app.inject({ method: 'POST', url: '/v1/ops/loans/import', headers: { ...headers, 'content-type': 'application/x-ndjson' }, payload: book });
    const raw = JSON.stringify({ eventId: 'RCH-LOG-1', msisdn: mobile, amountFen: 1_000, rechargedAt: '2026-02-15T03:00:00Z' });
    const timestamp = String(Math.floor(Date.now() / 1000));
    await app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', payload: raw,
      headers: { 'content-type': 'application/json', 'x-carrier-timestamp': timestamp, 'x-carrier-signature': signCarrierWebhook(WEBHOOK_SECRET, timestamp, raw) } });
    await app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', payload: raw,
      headers: { 'content-type': 'application/json', 'x-carrier-timestamp': timestamp, 'x-carrier-signature': 'sha256=00' } });

    const log = captured.join('');
    expect(log.length).toBeGreaterThan(1_000);
    expect(log).not.toContain(mobile);
    expect(log).not.toContain(idNumber);
    expect(log).not.toContain(ADMIN_TOKEN);
  });
});
