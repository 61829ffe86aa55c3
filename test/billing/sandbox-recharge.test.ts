/**
 * The sandbox's carrier controls over real HTTP: a top-up through the sandbox route makes
 * the simulated carrier send its signed recharge notification to the product's endpoint,
 * which gives the installment waiting on low credit a new attempt.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingSandboxRoutes } from '../../adapters/billing/sandbox.routes.js';
import { startRechargeNotifier, type RechargeNotifier } from '../../adapters/billing/recharge-notifier.js';
import { SubscriberBook } from '../../adapters/billing/subscriber-book.js';
import { waitFor } from '../queue/support.js';
import { ADMIN_TOKEN, createActiveLoan, createApiApp, loanApplication, WEBHOOK_SECRET, type ApiTestContext } from '../support/api-app.js';

describe('sandbox billing controls', () => {
  let ctx: ApiTestContext;
  let app: FastifyInstance;
  let notifier: RechargeNotifier;
  const book = new SubscriberBook(0);
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const msisdn = '13955550001';

  beforeAll(async () => {
    ctx = await createApiApp({ sandboxRoutes: [billingSandboxRoutes(book, undefined)] });
    app = ctx.app;
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    notifier = startRechargeNotifier({ book, targetUrl: `${address}/v1/carrier/billing/recharges`, secret: WEBHOOK_SECRET, firstDelayMs: 10 });
  });
  afterAll(async () => {
    await notifier.close();
    await ctx.close();
  });

  it('sets up a subscriber, and a top-up reaches the recharge endpoint signed and triggers a new attempt', async () => {
    const set = await app.inject({ method: 'POST', url: '/v1/sandbox/billing/subscribers', headers,
      payload: { msisdn, plan: 'prepaid', status: 'active', balanceFen: 0, billFen: 0 } });
    expect(set.json()).toEqual({ msisdn, plan: 'prepaid', status: 'active', balanceFen: 0, billFen: 0 });
    const loanId = await createActiveLoan(app, loanApplication({ productCode: 'X001', principalFen: 1_000_000, mobile: msisdn, repaymentChannels: ['phone_credit'] }));
    await app.inject({ method: 'POST', url: '/v1/ops/billing/mandates', headers, payload: { loanId, plan: 'prepaid' } });
    await ctx.db.query(`INSERT INTO deduction_attempts (loan_id, installment_number, attempt_no, trigger, reference_code, msisdn, plan, due_fen, status)
      VALUES ($1, 1, 1, 'schedule', $2, $3, 'prepaid', 3333, 'insufficient')`, [loanId, `DED${loanId}I1A1`, msisdn]);

    const topUp = await app.inject({ method: 'POST', url: '/v1/sandbox/billing/recharges', headers, payload: { msisdn, amountFen: 5_000 } });
    expect(topUp.statusCode).toBe(202);
    expect(topUp.json()).toMatchObject({ balanceFen: 5_000 });
    await notifier.idle();
    const second = await waitFor('the recharge created an attempt', async () => {
      const rows = await ctx.db.query<{ attempt_no: number; trigger: string; status: string }>(
        `SELECT attempt_no, trigger, status FROM deduction_attempts WHERE loan_id = $1 AND attempt_no = 2`, [loanId]);
      return rows[0];
    });
    expect(second).toEqual({ attempt_no: 2, trigger: 'recharge', status: 'pending' });
    expect(await ctx.db.query(`SELECT source, amount_fen FROM carrier_recharges`)).toEqual([{ source: 'webhook', amount_fen: 5_000 }]);
  });

  it('refuses an unknown subscriber and a settlement when there is no SFTP simulator', async () => {
    const unknown = await app.inject({ method: 'POST', url: '/v1/sandbox/billing/recharges', headers, payload: { msisdn: '13955559999', amountFen: 100 } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'SUBSCRIBER_NOT_FOUND', field: 'msisdn' });
    const settle = await app.inject({ method: 'POST', url: '/v1/sandbox/billing/settlements', headers, payload: { businessDate: '2026-02-28' } });
    expect(settle.statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/v1/sandbox/billing/recharges', payload: { msisdn, amountFen: 100 } })).statusCode).toBe(401);
  });
});
