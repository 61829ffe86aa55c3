import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import { ApiTestContext, call, createActiveLoan, createApiApp, loanApplication, WEBHOOK_SECRET } from '../support/api-app.js';

function signed(body: object, at = new Date(), secret = WEBHOOK_SECRET) {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { raw, headers: { 'content-type': 'application/json', 'x-carrier-timestamp': timestamp, 'x-carrier-signature': signCarrierWebhook(secret, timestamp, raw) } };
}

describe('billing routes', () => {
  let ctx: ApiTestContext;
  let loanId: number;
  const mobile = '13912345678';
  beforeAll(async () => {
    ctx = await createApiApp();
    loanId = await createActiveLoan(ctx.app, loanApplication({ productCode: 'X001', principalFen: 1_000_000, mobile, repaymentChannels: ['phone_credit', 'store_cash'] }));
  });
  afterAll(async () => { await ctx.close(); });

  it('records a mandate only for a loan contracted with phone-credit repayment', async () => {
    const ok = await call(ctx.app, 'POST', '/v1/ops/billing/mandates', { loanId, plan: 'prepaid' });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ loanId, msisdnMasked: '139****5678', plan: 'prepaid', status: 'active' });
    const other = await createActiveLoan(ctx.app, loanApplication({ repaymentChannels: ['store_cash'] }));
    const refused = await call(ctx.app, 'POST', '/v1/ops/billing/mandates', { loanId: other, plan: 'prepaid' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('NO_PHONE_CREDIT_CHANNEL');
  });

  it('starts a run once per business date and reports it by outcome', async () => {
    const first = await call(ctx.app, 'POST', '/v1/ops/billing/deduction-runs', { businessDate: '2026-02-15' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ businessDate: '2026-02-15', attemptsCreated: 1, alreadyStarted: false });
    const again = await call(ctx.app, 'POST', '/v1/ops/billing/deduction-runs', { businessDate: '2026-02-15' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ runId: first.body.runId, attemptsCreated: 1, alreadyStarted: true });
    const status = await call(ctx.app, 'GET', `/v1/ops/billing/deduction-runs/${first.body.runId}`);
    expect(status.body).toMatchObject({ attempted: { count: 1, dueFen: 3_333 }, pending: { count: 1, dueFen: 3_333 }, charged: { count: 0 } });
    const jobs = await ctx.db.query<{ job_name: string }>(`SELECT job_name FROM outbox WHERE queue = 'billing-charges'`);
    expect(jobs).toEqual([{ job_name: 'charge' }]);
    expect((await call(ctx.app, 'GET', '/v1/ops/billing/deduction-runs/999999')).status).toBe(404);
  });

  it('refuses recharge notifications that are unsigned, mis-signed or stale, and counts each event once', async () => {
    const event = { eventId: 'RCH-1', msisdn: mobile, amountFen: 5_000, rechargedAt: '2026-02-15T03:00:00Z' };
    const good = signed(event);
    const unsigned = await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: { 'content-type': 'application/json' }, payload: good.raw });
    expect(unsigned.statusCode).toBe(401);
    const wrong = signed(event, new Date(), 'not-the-secret');
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: wrong.headers, payload: wrong.raw })).statusCode).toBe(401);
    const stale = signed(event, new Date(Date.now() - 10 * 60_000));
    const staleReply = await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: stale.headers, payload: stale.raw });
    expect(staleReply.statusCode).toBe(401);
    expect(staleReply.json().message).toMatch(/5 minutes/);
    const tampered = await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: good.headers, payload: good.raw.replace('5000', '9000') });
    expect(tampered.statusCode).toBe(401);
    expect(await ctx.db.query(`SELECT 1 FROM carrier_recharges`)).toHaveLength(0);

    const accepted = await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: good.headers, payload: good.raw });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ eventId: 'RCH-1', duplicate: false, attemptsTriggered: 0 });
    const repeated = await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: good.headers, payload: good.raw });
    expect(repeated.json()).toEqual({ eventId: 'RCH-1', duplicate: true, attemptsTriggered: 0 });
  });

  it('rejects a malformed recharge naming the field', async () => {
    const bad = signed({ eventId: 'RCH-2', msisdn: '12345', amountFen: 5_000, rechargedAt: '2026-02-15T03:00:00Z' });
    const reply = await ctx.app.inject({ method: 'POST', url: '/v1/carrier/billing/recharges', headers: bad.headers, payload: bad.raw });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toBe('msisdn');
  });

  it('lists and resolves reconciliation breaks', async () => {
    const [br] = await ctx.db.query<{ id: number }>(`INSERT INTO reconciliation_breaks (source, business_date, kind, reference_code, expected_fen, detail)
      VALUES ('billing', '2026-02-28', 'missing', 'DED1I1A1', 3333, 'charged but not in any settlement file') RETURNING id`);
    const listed = await call(ctx.app, 'GET', '/v1/ops/reconciliation/billing?date=2026-02-28');
    expect(listed.body.breaks).toEqual([expect.objectContaining({ id: br!.id, kind: 'missing', status: 'open' })]);
    expect((await call(ctx.app, 'POST', `/v1/ops/reconciliation/breaks/${br!.id}/resolve`, { reason: 'carrier settled it in March' })).status).toBe(204);
    const after = await call(ctx.app, 'GET', '/v1/ops/reconciliation/billing?date=2026-02-28');
    expect(after.body.breaks[0]).toMatchObject({ status: 'resolved', resolution: 'carrier settled it in March', resolvedBy: 'ops:admin-token' });
    expect((await call(ctx.app, 'POST', `/v1/ops/reconciliation/breaks/${br!.id}/resolve`, { reason: 'again' })).status).toBe(404);
  });

  it('queues a batch file cycle on demand', async () => {
    const reply = await call(ctx.app, 'POST', '/v1/ops/billing/file-cycles');
    expect(reply.status).toBe(202);
    const job = await ctx.queues.get('billing-files').getJob(reply.body.jobId as string);
    expect(job?.name).toBe('file-cycle');
  });
});
