/**
 * Applications through the API with the CRM simulator over real SOAP: intake, the initial
 * review (lists, identity, callback), the risk decision, offers and acceptance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api-app.js';
import {
  applicationBody, assess, callback, createOnboardingWorld, freshPerson, goodProfile, submit, throughCallback, view, type OnboardingWorld,
} from './onboarding-support.js';

let world: OnboardingWorld;
beforeAll(async () => { world = await createOnboardingWorld(); });
afterAll(async () => { await world.close(); });

const countRows = async (table: string) => (await world.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;

describe('intake', () => {
  it('refuses an application without consent to credit assessment and stores nothing', async () => {
    const before = await countRows('applications');
    const { status, body } = await call(world.app, 'POST', '/v1/applications',
      applicationBody(freshPerson(), { consent: { purposes: ['marketing'], method: 'signed_form', evidenceRef: 'x', grantedAt: new Date().toISOString() } }));
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'CONSENT_REQUIRED', field: 'consent.purposes' });
    expect(await countRows('applications')).toBe(before);
  });

  it('names the field of a bad ID number', async () => {
    const person = { ...freshPerson(), idNumber: '110105198001010010' };
    const { status, body } = await call(world.app, 'POST', '/v1/applications', applicationBody(person));
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'INVALID_ID_NUMBER', field: 'applicant.idNumber' });
  });

  it('requires the store for store applications', async () => {
    const { status, body } = await call(world.app, 'POST', '/v1/applications', applicationBody(freshPerson(), { storeCode: undefined }));
    expect(status).toBe(400);
    expect(body.field).toBe('storeCode');
  });

  it('refuses a second open application of the same person', async () => {
    const person = freshPerson();
    await submit(world, person);
    const { status, body } = await call(world.app, 'POST', '/v1/applications', applicationBody(person, { channel: 'web_hall', storeCode: undefined }));
    expect(status).toBe(409);
    expect(body.code).toBe('APPLICATION_ALREADY_OPEN');
  });

  it('writes the assessment message in the same transaction as the application', async () => {
    const id = await submit(world, freshPerson());
    const rows = await world.db.query<{ name: string }>(`SELECT job_name AS name FROM outbox WHERE payload->>'applicationId' = $1`, [String(id)]);
    expect(rows.map((r) => r.name)).toEqual(['assess']);
  });
});

describe('a good applicant end to end', () => {
  it('is reviewed, called back, scored, matched to Z001 and accepted as an approved loan', async () => {
    const person = freshPerson();
    const { id, assessed, decided } = await throughCallback(world, person, goodProfile(person), {
      request: { amountFen: 3_000_000, termMonths: 6, purpose: '种植', method: 'equal_principal' },
    });
    expect(assessed.status).toBe('awaiting_callback');
    expect(decided!.body).toMatchObject({ status: 'approved', duplicate: false });
    const v = await view(world, id);
    expect(v.decision).toMatchObject({ outcome: 'approved', scorecardVersion: 'rural-2026.1' });
    expect(v.decision.creditLimitFen).toBeGreaterThanOrEqual(2_000_000);
    expect(v.applicant.idNumberMasked).not.toContain(person.idNumber.slice(6, 14));

    const offers = await call(world.app, 'GET', `/v1/applications/${id}/offers`);
    expect(offers.status).toBe(200);
    expect(offers.body.offers[0]).toMatchObject({ rank: 1, productCode: 'Z001', method: 'equal_principal' });
    const schedule = offers.body.offers[0].schedule as { principalFen: number }[];
    expect(schedule.reduce((s, i) => s + i.principalFen, 0)).toBe(offers.body.offers[0].amountFen);

    const accepted = await call(world.app, 'POST', `/v1/applications/${id}/accept`, { productCode: 'Z001', repaymentChannels: ['store_cash', 'phone_credit'] });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ status: 'approved', principalFen: offers.body.offers[0].amountFen });
    expect((await view(world, id)).status).toBe('accepted');
    const transitions = await world.db.query<{ to_status: string; actor: string }>(
      `SELECT to_status, actor FROM loan_transitions WHERE loan_id = $1 ORDER BY id`, [accepted.body.loanId]);
    expect(transitions.map((t) => t.to_status)).toEqual(['applied', 'approved']);

    const replay = await call(world.app, 'POST', `/v1/ops/decisions/${v.decision.id}/replay`);
    expect(replay.body.matches).toBe(true);
    // A second acceptance finds the application closed.
    expect((await call(world.app, 'POST', `/v1/applications/${id}/accept`, { productCode: 'Z001', repaymentChannels: ['store_cash'] })).status).toBe(409);
  });

  it('never offers more than the credit limit', async () => {
    const person = freshPerson();
    const { id } = await throughCallback(world, person, goodProfile(person), { request: { amountFen: 15_000_000, termMonths: 12, purpose: '养猪' } });
    const offers = (await call(world.app, 'GET', `/v1/applications/${id}/offers`)).body;
    for (const offer of offers.offers) expect(offer.amountFen).toBeLessThanOrEqual(offers.creditLimitFen);
    const tooMuch = await call(world.app, 'POST', `/v1/applications/${id}/accept`,
      { productCode: offers.offers[0].productCode, amountFen: offers.offers[0].amountFen + 100, repaymentChannels: ['store_cash'] });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.code).toBe('AMOUNT_ABOVE_OFFER');
  });
});

describe('initial review', () => {
  it('refuses a person on the internal black list', async () => {
    const person = freshPerson();
    await call(world.app, 'POST', '/v1/ops/risk-lists/entries', { list: 'internal_black', idNumber: person.idNumber, reason: '伪造材料' });
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    const result = await assess(world, id);
    expect(result.status).toBe('refused');
    expect((await view(world, id)).hits.map((h: { code: string }) => h.code)).toContain('BLACK_LISTED');
    expect(await world.db.query(`SELECT 1 FROM callback_tasks WHERE application_id = $1`, [id])).toHaveLength(0);
  });

  it('lists entries masked, and a person taken off the black list passes the list model again', async () => {
    const person = freshPerson();
    const added = await call(world.app, 'POST', '/v1/ops/risk-lists/entries', { list: 'internal_black', idNumber: person.idNumber, reason: '冒名申请' });
    const listed = await call(world.app, 'GET', '/v1/ops/risk-lists/entries?list=internal_black');
    const entry = listed.body.find((e: { id: number }) => e.id === added.body.id);
    expect(entry.idNumberMasked).toMatch(/\*{8}/);
    expect(JSON.stringify(listed.body)).not.toContain(person.idNumber);
    expect((await call(world.app, 'DELETE', `/v1/ops/risk-lists/entries/${added.body.id}`)).status).toBe(204);
    expect((await call(world.app, 'DELETE', `/v1/ops/risk-lists/entries/${added.body.id}`)).status).toBe(404);
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    expect((await assess(world, id)).status).toBe('awaiting_callback');
  });

  it('refuses a dishonest debtor from the imported court list, matched on the masked ID and name', async () => {
    const person = freshPerson('李四海');
    const masked = `${person.idNumber.slice(0, 10)}****${person.idNumber.slice(14)}`;
    const csv = ['case_number,name,id_number_masked,court,province,filed_on,published_on,conduct',
      `(2026)粤1802执77号,李四海,${masked},清远市清城区人民法院,广东,2026-03-01,2026-04-01,有履行能力而拒不履行生效法律文书确定义务`,
      '#TRAILER,1'].join('\n');
    const imported = await world.app.inject({ method: 'POST', url: '/v1/ops/risk-lists/court-imports?fileName=court-1.csv&mode=delta',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'text/csv' }, payload: csv });
    expect(imported.statusCode).toBe(201);
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    expect((await assess(world, id)).status).toBe('refused');
    expect((await view(world, id)).hits[0].code).toBe('COURT_DISHONEST_DEBTOR');
  });

  it('refuses a person with a loan overdue on the platform', async () => {
    const person = freshPerson();
    const loan = await call(world.app, 'POST', '/v1/ops/loans', { borrowerName: person.name, idNumber: person.idNumber, mobile: person.mobile,
      productCode: 'X001', principalFen: 500_000, repaymentChannels: ['store_cash'] });
    await world.db.query(`UPDATE loans SET status = 'overdue', days_past_due = 12 WHERE id = $1`, [loan.body.id]);
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    expect((await assess(world, id)).status).toBe('refused');
    expect((await view(world, id)).hits.map((h: { code: string }) => h.code)).toContain('OWN_OVERDUE_HISTORY');
  });

  it('refuses an ID number that differs from the real-name record of the number', async () => {
    const person = freshPerson();
    const other = freshPerson();
    world.book.upsert(goodProfile(person, { identity: { name: person.name, idNumber: other.idNumber } }));
    const id = await submit(world, person);
    expect((await assess(world, id)).status).toBe('refused');
    const hit = (await view(world, id)).hits.find((h: { code: string }) => h.code === 'ID_MISMATCH');
    expect(JSON.stringify(hit.evidence)).not.toContain(other.idNumber);
  });

  it('refuses a suspended number', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person, { status: { status: 'suspended', since: '2026-10-01' } }));
    const id = await submit(world, person);
    expect((await assess(world, id)).status).toBe('refused');
    expect((await view(world, id)).hits.map((h: { code: string }) => h.code)).toContain('SUBSCRIBER_NOT_ACTIVE');
  });

  it('refuses when the person denies on the callback', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    await assess(world, id);
    const denied = await callback(world, id, 'denied');
    expect(denied.body).toMatchObject({ status: 'refused', decisionId: null });
    expect((await view(world, id)).hits.map((h: { code: string }) => h.code)).toContain('CALLBACK_DENIED');
  });

  it('tries an unreachable person three times, then refuses', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    await assess(world, id);
    expect((await callback(world, id, 'not_reachable')).body).toMatchObject({ status: 'awaiting_callback', notReachableAttempts: 1 });
    expect((await callback(world, id, 'not_reachable')).body).toMatchObject({ status: 'awaiting_callback', notReachableAttempts: 2 });
    expect((await callback(world, id, 'not_reachable')).body).toMatchObject({ status: 'refused', notReachableAttempts: 3 });
  });

  it('counts a callback delivered twice once', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    await assess(world, id);
    const body = { result: 'confirmed', agentId: 'agent-1', callId: `dup-${id}` };
    const first = await call(world.app, 'POST', `/v1/applications/${id}/callback-result`, body);
    const second = await call(world.app, 'POST', `/v1/applications/${id}/callback-result`, body);
    expect(first.body.duplicate).toBe(false);
    expect(second.body).toMatchObject({ duplicate: true, decisionId: first.body.decisionId, status: first.body.status });
    expect(await world.db.query(`SELECT id FROM credit_decisions WHERE application_id = $1`, [id])).toHaveLength(1);
  });

  it('refuses a callback result for an application that was never sent to the call center', async () => {
    const id = await submit(world, freshPerson());
    const { status, body } = await callback(world, id, 'confirmed');
    expect(status).toBe(409);
    expect(body.code).toBe('CALLBACK_NOT_REQUESTED');
  });
});
