/**
 * A CRM that cannot answer never lets an application through: it waits visibly in
 * crm_pending, goes to manual review after the allowed attempts, or is refused when the
 * carrier says the number does not exist. Also the real queue path of the assessment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessmentHandler, CRM_ATTEMPTS_MAX } from '../../src/applications/assess-application.js';
import { OutboxRelay } from '../../src/queue/outbox.js';
import { QUEUE_APPLICATIONS } from '../../src/queue/queues.js';
import { startWorkers } from '../../src/queue/workers.js';
import { recordingLogger, waitFor } from '../queue/support.js';
import { call } from '../support/api-app.js';
import { assess, createOnboardingWorld, freshPerson, goodProfile, submit, view, type OnboardingWorld } from './onboarding-support.js';

let world: OnboardingWorld;
beforeAll(async () => { world = await createOnboardingWorld(300); });
afterAll(async () => { await world.close(); });

describe('CRM faults', () => {
  it('a timeout leaves the application in crm_pending, then a later attempt goes on', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    world.simulator.faults.hang({ msisdn: person.mobile });
    expect(await assess(world, id)).toMatchObject({ status: 'crm_pending', attempts: 1 });
    const pending = await view(world, id);
    expect(pending).toMatchObject({ status: 'crm_pending', crm: { attempts: 1 } });
    expect(pending.crm.lastError).toMatch(/^TIMEOUT/);
    expect(pending.decision).toBeNull();
    expect(await assess(world, id)).toMatchObject({ status: 'awaiting_callback' });
  });

  it('a malformed reply is a service error, never an approval', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    world.simulator.faults.malformed({ msisdn: person.mobile, mode: 'schema_violation' });
    expect(await assess(world, id)).toMatchObject({ status: 'crm_pending' });
    world.simulator.faults.malformed({ msisdn: person.mobile, mode: 'broken_xml' });
    expect(await assess(world, id)).toMatchObject({ status: 'crm_pending', attempts: 2 });
  });

  it(`after ${CRM_ATTEMPTS_MAX} failed lookups a person takes over`, async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    world.simulator.faults.fault({ msisdn: person.mobile, exception: 'ServiceException', messageId: 'SVC0001', times: CRM_ATTEMPTS_MAX });
    for (let attempt = 1; attempt < CRM_ATTEMPTS_MAX; attempt += 1) expect((await assess(world, id)).status).toBe('crm_pending');
    expect((await assess(world, id)).status).toBe('manual_review');
    const v = await view(world, id);
    expect(v.hits.map((h: { code: string }) => h.code)).toEqual(['CRM_UNAVAILABLE']);
    // An officer cannot approve without the carrier's data: there is no decision to approve.
    expect((await call(world.app, 'POST', `/v1/ops/applications/${id}/review`, { outcome: 'approved', reason: 'x' })).status).toBe(409);
  });

  it('an unknown number is refused', async () => {
    const id = await submit(world, freshPerson());
    expect(await assess(world, id)).toMatchObject({ status: 'refused' });
    expect((await view(world, id)).hits[0].code).toBe('SUBSCRIBER_UNKNOWN');
  });

  it('a consent withdrawn before the lookup refuses the application and the CRM is never asked', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    const [app] = await world.db.query<{ consent_id: number }>(`SELECT consent_id FROM applications WHERE id = $1`, [id]);
    expect((await call(world.app, 'POST', `/v1/ops/consents/${app!.consent_id}/revoke`, { reason: '本人电话撤回授权' })).status).toBe(200);
    const before = world.simulator.requests().length;
    expect(await assess(world, id)).toMatchObject({ status: 'refused' });
    expect(world.simulator.requests().length).toBe(before);
    expect((await view(world, id)).hits[0].code).toBe('CONSENT_REVOKED');
  });

  it('asks the CRM only for the groups credit assessment needs, naming the consent', async () => {
    const person = freshPerson();
    world.book.upsert(goodProfile(person));
    const id = await submit(world, person);
    await assess(world, id);
    const request = world.simulator.requests().at(-1)!;
    expect(request).toMatchObject({ purpose: 'credit_assessment' });
    expect(JSON.stringify(request)).not.toContain(person.mobile);
  });
});

describe('through the queue', () => {
  it('the outbox relay and a worker assess a new application, retrying a timeout', async () => {
    const logger = recordingLogger();
    const workers = startWorkers({
      connection: world.redis, prefix: world.prefix, logger,
      handlers: { [QUEUE_APPLICATIONS]: assessmentHandler({ db: world.db, crm: world.crm, clock: () => new Date() }) },
    });
    const relay = new OutboxRelay({ db: world.db, queues: world.queues, logger });
    try {
      const person = freshPerson();
      world.book.upsert(goodProfile(person));
      world.simulator.faults.hang({ msisdn: person.mobile });
      const id = await submit(world, person);
      // Retries wait JOB_BACKOFF_BASE_MS; the test shortens the wait by promoting the delayed job.
      await relay.relayOnce();
      await waitFor('crm_pending', async () => (await view(world, id)).status === 'crm_pending');
      const queue = world.queues.get(QUEUE_APPLICATIONS);
      await waitFor('the delayed retry', async () => (await queue.getDelayedCount()) === 1);
      for (const job of await queue.getDelayed()) await job.promote();
      await waitFor('awaiting_callback', async () => (await view(world, id)).status === 'awaiting_callback');
    } finally {
      await relay.stop();
      await workers.close();
    }
  });
});
