/**
 * Logs never carry a full phone number or ID number: every route that receives one is
 * called with logging at its most verbose, and the captured log is searched for them.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import { ADMIN_TOKEN, createApiApp, WEBHOOK_SECRET, withWrongCheckChar, type ApiTestContext } from '../support/api-app.js';
import { freshIdNumber } from '../support/identities.js';

describe('personal numbers in logs', () => {
  let ctx: ApiTestContext;
  let app: FastifyInstance;
  const captured: string[] = [];
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const mobile = '13987654321';
  const idNumber = freshIdNumber();

  beforeAll(async () => {
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { captured.push(chunk.toString('utf8')); done(); } });
    ctx = await createApiApp({ logger: { level: 'trace', stream } });
    app = ctx.app;
  });
  afterAll(async () => { await ctx.close(); });

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

    const applicant = { name: '吴九', idNumber, mobile, county: '清远县', village: '墩头村', contacts: ['13911112222', '13911113333'] };
    const consent = { purposes: ['credit_assessment'], method: 'signed_form', evidenceRef: 'scan-1', grantedAt: new Date().toISOString() };
    const applicationBody = { channel: 'web_hall', staffId: 'web', applicant, request: { amountFen: 1_000_000, termMonths: 6, purpose: '种植' },
      otherPlatformsDebt: { amountFen: 0, source: 'declared' }, consent };
    expect((await app.inject({ method: 'POST', url: '/v1/applications', headers, payload: applicationBody })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/v1/applications', headers, payload: applicationBody })).statusCode).toBe(409);
    await app.inject({ method: 'POST', url: '/v1/applications', headers, payload: { ...applicationBody, applicant: { ...applicant, idNumber: withWrongCheckChar(idNumber) } } });
    await app.inject({ method: 'POST', url: '/v1/ops/risk-lists/entries', headers, payload: { list: 'internal_black', idNumber, reason: '测试' } });
    await app.inject({ method: 'POST', url: '/v1/ops/risk-lists/entries', headers, payload: { list: 'internal_black', idNumber, reason: '测试' } });
    const change = JSON.stringify({ eventId: 'CRM-LOG-1', msisdn: mobile, type: 'sim_swapped', simIssuedOn: '2026-02-15', occurredAt: '2026-02-15T03:00:00Z' });
    await app.inject({ method: 'POST', url: '/v1/carrier/crm/events', payload: change,
      headers: { 'content-type': 'application/json', 'x-carrier-timestamp': timestamp, 'x-carrier-signature': signCarrierWebhook(WEBHOOK_SECRET, timestamp, change) } });

    const log = captured.join('');
    expect(log.length).toBeGreaterThan(1_000);
    expect(log).not.toContain(mobile);
    expect(log).not.toContain(idNumber);
    expect(log).not.toContain(ADMIN_TOKEN);
  });
});
