/**
 * The CRM change feed at our endpoint: signed, counted once, applied to the stored profile
 * in order of occurrence, and published for post-loan monitoring by loan, not by number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCarrierWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../../src/billing/carrier-webhook.js';
import { startCrmChangeNotifier } from '../../adapters/crm/change-notifier.js';
import { call, WEBHOOK_SECRET } from '../support/api-app.js';
import { createOnboardingWorld, freshPerson, goodProfile, throughCallback, type OnboardingWorld } from './onboarding-support.js';

let world: OnboardingWorld;
beforeAll(async () => { world = await createOnboardingWorld(); });
afterAll(async () => { await world.close(); });

async function deliver(body: object, secret = WEBHOOK_SECRET) {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await world.app.inject({ method: 'POST', url: '/v1/carrier/crm/events', payload: raw, headers: {
    'content-type': 'application/json', [WEBHOOK_TIMESTAMP_HEADER]: timestamp, [WEBHOOK_SIGNATURE_HEADER]: signCarrierWebhook(secret, timestamp, raw),
  } });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

async function storedStatus(msisdn: string): Promise<string> {
  const [row] = await world.db.query<{ status: string }>(`SELECT profile->'status'->>'status' AS status FROM subscriber_snapshots WHERE msisdn = $1`, [msisdn]);
  return row!.status;
}

async function borrowerWithLoan() {
  const person = freshPerson();
  const { id } = await throughCallback(world, person, goodProfile(person));
  const accepted = await call(world.app, 'POST', `/v1/applications/${id}/accept`, { productCode: 'Z001', repaymentChannels: ['phone_credit'] });
  expect(accepted.status).toBe(201);
  return { person, loanId: accepted.body.loanId as number };
}

describe('CRM change events', () => {
  it('refuses a wrong signature and changes nothing', async () => {
    const { person } = await borrowerWithLoan();
    const { status } = await deliver({ eventId: 'E-bad', msisdn: person.mobile, type: 'number_cancelled', occurredAt: new Date().toISOString() }, 'not-the-secret');
    expect(status).toBe(401);
    expect(await storedStatus(person.mobile)).toBe('active');
  });

  it('a suspension updates the stored profile once and is published with the person\'s loans', async () => {
    const { person, loanId } = await borrowerWithLoan();
    const event = { eventId: `E-${loanId}`, msisdn: person.mobile, type: 'status_changed', status: 'suspended', occurredAt: new Date().toISOString() };
    const first = await deliver(event);
    expect(first.body).toMatchObject({ duplicate: false, monitored: true, profileUpdated: true, loansAffected: 1 });
    expect((await deliver(event)).body).toMatchObject({ duplicate: true });
    expect(await storedStatus(person.mobile)).toBe('suspended');
    const published = await world.db.query<{ payload: { loanIds: number[]; type: string } }>(
      `SELECT payload FROM outbox WHERE job_name = 'crm.subscriber_changed' AND payload->>'eventId' = $1`, [event.eventId]);
    expect(published).toHaveLength(1);
    expect(published[0]!.payload).toMatchObject({ loanIds: [loanId], type: 'status_changed' });
    expect(JSON.stringify(published[0]!.payload)).not.toContain(person.mobile);
  });

  it('changes nothing for a person without consent to post-loan monitoring', async () => {
    const person = freshPerson();
    await throughCallback(world, person, goodProfile(person), {
      consent: { purposes: ['credit_assessment'], method: 'signed_form', evidenceRef: 'scan-2', grantedAt: new Date().toISOString() },
    });
    const { body } = await deliver({ eventId: `U-${person.mobile}`, msisdn: person.mobile, type: 'number_cancelled', occurredAt: new Date().toISOString() });
    expect(body).toMatchObject({ duplicate: false, monitored: false, profileUpdated: false, loansAffected: 0 });
    expect(await storedStatus(person.mobile)).toBe('active');
  });

  it('an older event arriving after a newer one does not overwrite it', async () => {
    const { person } = await borrowerWithLoan();
    const now = Date.now();
    await deliver({ eventId: `N-${person.mobile}`, msisdn: person.mobile, type: 'status_changed', status: 'active', occurredAt: new Date(now).toISOString() });
    const late = await deliver({ eventId: `O-${person.mobile}`, msisdn: person.mobile, type: 'status_changed', status: 'suspended', occurredAt: new Date(now - 3_600_000).toISOString() });
    expect(late.body).toMatchObject({ duplicate: false, profileUpdated: false });
    expect(await storedStatus(person.mobile)).toBe('active');
  });

  it('a SIM swap updates the device record', async () => {
    const { person } = await borrowerWithLoan();
    await deliver({ eventId: `S-${person.mobile}`, msisdn: person.mobile, type: 'sim_swapped', simIssuedOn: '2026-11-20', occurredAt: new Date().toISOString() });
    const [row] = await world.db.query<{ swap: string }>(`SELECT profile->'device'->>'lastSimSwapOn' AS swap FROM subscriber_snapshots WHERE msisdn = $1`, [person.mobile]);
    expect(row!.swap).toBe('2026-11-20');
  });

  it('rejects an event without the status a status change needs, naming the field', async () => {
    const { status, body } = await deliver({ eventId: 'E-nostatus', msisdn: '13900000001', type: 'status_changed', occurredAt: new Date().toISOString() });
    expect(status).toBe(400);
    expect(body.field).toBe('status');
  });

  it('the simulated carrier\'s notifier delivers a change from its book to the endpoint', async () => {
    const { person } = await borrowerWithLoan();
    const address = await world.app.listen({ host: '127.0.0.1', port: 0 });
    const notifier = startCrmChangeNotifier({ book: world.book, targetUrl: `${address}/v1/carrier/crm/events`, secret: WEBHOOK_SECRET });
    try {
      world.book.applyChange({ msisdn: person.mobile, type: 'ported_out' });
      await notifier.idle();
      expect(await storedStatus(person.mobile)).toBe('cancelled');
    } finally {
      await notifier.close();
    }
  });
});
