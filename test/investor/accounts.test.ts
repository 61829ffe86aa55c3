import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/investors/access-tokens.js';
import { riskLevelFor } from '../../src/investors/accounts.js';
import { bearer, call, INVESTOR_TOKEN_SECRET } from '../support/api-app.js';
import { freshIdNumber, freshMobile } from '../support/identities.js';
import { createInvestorWorld, type InvestorWorld } from './investor-world.js';

let world: InvestorWorld;
beforeAll(async () => { world = await createInvestorWorld(); }, 60_000);
afterAll(async () => { await world?.close(); });

const PASSWORD = 'correct-horse-42';
const noAuth = {};

interface Person { name: string; idNumber: string; mobile: string; accountNumber: string }
const freshPerson = (): Person => ({ name: '陈美玲', idNumber: freshIdNumber(), mobile: freshMobile(), accountNumber: `62220200${String(Date.now()).slice(-8)}${Math.floor(Math.random() * 10)}` });

const confirmBody = (p: Person, challengeId: number, code: string) => ({
  challengeId, code, name: p.name, idNumber: p.idNumber, mobile: p.mobile, password: PASSWORD,
  bankCard: { bankName: '中国农业银行', accountNumber: p.accountNumber },
});

async function requestCode(p: Person): Promise<{ challengeId: number; code: string }> {
  const seen = world.sms.inbox(p.mobile).length;
  const started = await call(world.app, 'POST', '/v1/investor/registrations', { name: p.name, idNumber: p.idNumber, mobile: p.mobile }, noAuth);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { challengeId: started.body.challengeId, code: await world.codeFor(p.mobile, seen) };
}

async function register(p = freshPerson()): Promise<Person & { id: number }> {
  const { challengeId, code } = await requestCode(p);
  const done = await call(world.app, 'POST', '/v1/investor/registrations/confirm', confirmBody(p, challengeId, code), noAuth);
  expect(done.status, JSON.stringify(done.body)).toBe(201);
  return { ...p, id: done.body.investorId };
}

async function login(p: Person, password = PASSWORD) {
  return call(world.app, 'POST', '/v1/investor/sessions', { mobile: p.mobile, password }, noAuth);
}

describe('investor registration', () => {
  it('registers with the SMS code, which says what it is for', async () => {
    const p = await register();
    expect(p.id).toBeGreaterThan(0);
    expect(world.sms.inbox(p.mobile).at(-1)!.text).toContain('注册出借人账户');
  });

  it('refuses a wrong code and a field that is invalid, naming it', async () => {
    const p = freshPerson();
    const { challengeId, code } = await requestCode(p);
    const wrong = code === '000000' ? '111111' : '000000';
    const refused = await call(world.app, 'POST', '/v1/investor/registrations/confirm', confirmBody(p, challengeId, wrong), noAuth);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('OTP_WRONG');
    const badId = await call(world.app, 'POST', '/v1/investor/registrations', { name: p.name, idNumber: '123', mobile: p.mobile }, noAuth);
    expect(badId.body).toMatchObject({ code: 'INVALID_ID_NUMBER', field: 'idNumber' });
    const weak = await call(world.app, 'POST', '/v1/investor/registrations/confirm', { ...confirmBody(p, challengeId, code), password: '1234567890' }, noAuth);
    expect(weak.body).toMatchObject({ code: 'WEAK_PASSWORD', field: 'password' });
    // The code was not used up by the refusals above.
    expect((await call(world.app, 'POST', '/v1/investor/registrations/confirm', confirmBody(p, challengeId, code), noAuth)).status).toBe(201);
  });

  it('refuses a code sent to another mobile', async () => {
    const p = freshPerson();
    const { challengeId, code } = await requestCode(p);
    const other = await call(world.app, 'POST', '/v1/investor/registrations/confirm', confirmBody({ ...p, mobile: freshMobile() }, challengeId, code), noAuth);
    expect(other.body.code).toBe('OTP_NOT_FOUND');
  });

  it('gives 409 for an ID number or mobile already registered', async () => {
    const p = await register();
    const sameId = { ...freshPerson(), idNumber: p.idNumber };
    const a = await requestCode(sameId);
    const dupId = await call(world.app, 'POST', '/v1/investor/registrations/confirm', confirmBody(sameId, a.challengeId, a.code), noAuth);
    expect(dupId.status).toBe(409);
    expect(dupId.body).toMatchObject({ code: 'INVESTOR_EXISTS', field: 'idNumber' });
    const sameMobile = { ...freshPerson(), mobile: p.mobile };
    const b = await requestCode(sameMobile);
    const dupMobile = await call(world.app, 'POST', '/v1/investor/registrations/confirm', confirmBody(sameMobile, b.challengeId, b.code), noAuth);
    expect(dupMobile.status).toBe(409);
    expect(dupMobile.body).toMatchObject({ code: 'INVESTOR_EXISTS', field: 'mobile' });
  });
});

describe('investor sessions', () => {
  it('signs in, and refuses a wrong password and an unknown mobile alike', async () => {
    const p = await register();
    const ok = await login(p);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ expiresIn: 900 });
    const wrong = await login(p, 'not-the-password');
    const unknown = await login({ ...p, mobile: freshMobile() });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('limits sign-in to five attempts a minute per mobile', async () => {
    const p = await register();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await login(p, i === 5 ? PASSWORD : 'wrong-password')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await login(p)).body.code).toBe('RATE_LIMITED');
  });

  it('refuses a tampered or expired access token', async () => {
    const p = await register();
    const { accessToken } = (await login(p)).body;
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, bearer(accessToken))).status).toBe(200);
    const payload = accessToken.split('.')[1] as string;
    const flipped = payload.slice(0, 5) + (payload[5] === 'A' ? 'B' : 'A') + payload.slice(6);
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, bearer(accessToken.replace(payload, flipped)))).status).toBe(401);
    const mac = accessToken.split('.')[2] as string;
    const badMac = accessToken.slice(0, -mac.length) + (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, bearer(badMac))).status).toBe(401);
    const expired = signAccessToken(INVESTOR_TOKEN_SECRET, p.id, new Date(Date.now() - 16 * 60_000));
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, bearer(expired))).status).toBe(401);
    const otherKey = signAccessToken('some-other-secret-0123456789abcdefghij', p.id, new Date());
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, bearer(otherKey))).status).toBe(401);
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, noAuth)).status).toBe(401);
  });

  it('rotates refresh tokens: each works once, and sign-out revokes', async () => {
    const p = await register();
    const first = (await login(p)).body;
    const second = await call(world.app, 'POST', '/v1/investor/sessions/refresh', { refreshToken: first.refreshToken }, noAuth);
    expect(second.status).toBe(201);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    const replay = await call(world.app, 'POST', '/v1/investor/sessions/refresh', { refreshToken: first.refreshToken }, noAuth);
    expect(replay.status).toBe(401);
    // The replay revoked the whole family, the newer token too.
    expect((await call(world.app, 'POST', '/v1/investor/sessions/refresh', { refreshToken: second.body.refreshToken }, noAuth)).status).toBe(401);

    const third = (await login(p)).body;
    const out = await call(world.app, 'DELETE', '/v1/investor/sessions', { refreshToken: third.refreshToken }, bearer(third.accessToken));
    expect(out.status).toBe(204);
    expect((await call(world.app, 'POST', '/v1/investor/sessions/refresh', { refreshToken: third.refreshToken }, noAuth)).status).toBe(401);
  });
});

describe('investor profile', () => {
  it('shows each investor only their own data, masked', async () => {
    const a = await register();
    const b = await register();
    const meA = await call(world.app, 'GET', '/v1/investor/me', undefined, bearer((await login(a)).body.accessToken));
    const meB = await call(world.app, 'GET', '/v1/investor/me', undefined, bearer((await login(b)).body.accessToken));
    expect(meA.body.id).toBe(a.id);
    expect(meB.body.id).toBe(b.id);
    expect(meA.body).toMatchObject({
      name: a.name, mobile: `${a.mobile.slice(0, 3)}****${a.mobile.slice(7)}`,
      idNumber: `${a.idNumber.slice(0, 6)}********${a.idNumber.slice(14)}`,
      bankCard: { bankName: '中国农业银行', accountNumber: `****${a.accountNumber.slice(-4)}` }, riskLevel: null,
    });
    for (const [me, own, other] of [[meA, a, b], [meB, b, a]] as const) {
      const text = JSON.stringify(me.body);
      for (const secret of [own.mobile, own.idNumber, own.accountNumber, other.mobile, other.idNumber, other.accountNumber]) expect(text).not.toContain(secret);
    }
  });

  it('sets the risk level from the questionnaire', async () => {
    const p = await register();
    const auth = bearer((await login(p)).body.accessToken);
    const answered = await call(world.app, 'POST', '/v1/investor/me/questionnaire', { answers: [3, 3, 4, 2, 3] }, auth);
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ riskLevel: 3 });
    expect((await call(world.app, 'GET', '/v1/investor/me', undefined, auth)).body.riskLevel).toBe(3);
    const bad = await call(world.app, 'POST', '/v1/investor/me/questionnaire', { answers: [1, 2, 6, 1, 1] }, auth);
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('answers.2');
  });

  it('scores the bands as documented', () => {
    expect([[1, 1, 1, 1, 1], [2, 2, 1, 1, 2], [2, 2, 2, 2, 1], [4, 4, 4, 4, 4], [5, 5, 5, 5, 4], [5, 5, 5, 5, 5]].map(riskLevelFor)).toEqual([1, 1, 2, 4, 5, 5]);
  });
});
