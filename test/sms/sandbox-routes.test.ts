/**
 * The sandbox's simulated phones: what a number received, read through the ops API with the
 * number in the body (never in the path), for a viewer and above.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmsSoapClient } from '../../adapters/sms/client.js';
import { smsSandboxRoutes } from '../../adapters/sms/sandbox.routes.js';
import { startSmsSimulator, type SmsSimulator } from '../../adapters/sms/simulator.js';
import type { SmsPort } from '../../src/sms/sms.port.js';
import { bearer, call, createApiApp, createOpsUserToken, type ApiTestContext } from '../support/api-app.js';

const PHONE = '13955550002';

let ctx: ApiTestContext;
let simulator: SmsSimulator;
let sms: SmsPort;

beforeAll(async () => {
  simulator = await startSmsSimulator();
  sms = await createSmsSoapClient({ url: simulator.url, timeoutMs: 2_000, senderName: '10690' });
  ctx = await createApiApp({ sandboxRoutes: [smsSandboxRoutes(simulator)] });
});

afterAll(async () => {
  await ctx.close();
  sms.close();
  await simulator.close();
});

describe('POST /v1/sandbox/sms/inbox', () => {
  it('shows a viewer what the phone received, oldest first, with the number masked in the reply', async () => {
    await sms.send({ msisdn: PHONE, text: '验证码 123456', reference: 'sandbox-1' });
    await sms.send({ msisdn: PHONE, text: '您的还款已到账', reference: 'sandbox-2' });
    const viewer = await createOpsUserToken(ctx.app, 'viewer');
    const { status, body, response } = await call(ctx.app, 'POST', '/v1/sandbox/sms/inbox', { msisdn: `+86 ${PHONE}` }, bearer(viewer));
    expect(status).toBe(200);
    expect(body).toEqual({
      msisdnMasked: '139****0002',
      messages: [
        { text: '验证码 123456', reference: 'sandbox-1', receivedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), segments: 1 },
        { text: '您的还款已到账', reference: 'sandbox-2', receivedAt: expect.any(String), segments: 1 },
      ],
    });
    expect(response.body).not.toContain(PHONE);
  });

  it('a phone that received nothing has an empty inbox', async () => {
    expect((await call(ctx.app, 'POST', '/v1/sandbox/sms/inbox', { msisdn: '13955550003' })).body).toEqual({ msisdnMasked: '139****0003', messages: [] });
  });

  it('refuses a number that is not a mainland mobile, and anyone without an ops token', async () => {
    expect(await call(ctx.app, 'POST', '/v1/sandbox/sms/inbox', { msisdn: '12345678901' })).toMatchObject({ status: 400, body: { code: 'INVALID_MOBILE', field: 'msisdn' } });
    expect((await call(ctx.app, 'POST', '/v1/sandbox/sms/inbox', { msisdn: PHONE }, {})).status).toBe(401);
  });
});
