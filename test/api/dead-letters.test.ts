import { Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_DOMAIN_EVENTS } from '../../src/queue/queues.js';
import { bearer, call, createApiApp, createOpsUserToken, type ApiTestContext } from '../support/api-app.js';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ops dead letters', () => {
  let ctx: ApiTestContext;
  let worker: Worker | undefined;
  const processed: string[] = [];

  beforeAll(async () => {
    ctx = await createApiApp();
    worker = new Worker(QUEUE_DOMAIN_EVENTS, async (job: Job) => {
      processed.push(job.id!);
      throw new Error(`sms gateway down for ${job.name}`);
    }, { connection: ctx.redis, prefix: ctx.prefix, concurrency: 1 });
    worker.on('error', () => undefined);
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
  });

  const deadLetters = async (query = '') => {
    const { status, body } = await call(ctx.app, 'GET', `/v1/ops/dead-letters${query}`);
    expect(status).toBe(200);
    return body.deadLetters as { id: string; [k: string]: unknown }[];
  };

  it('lists nothing while no job has failed', async () => {
    expect(await deadLetters()).toEqual([]);
  });

  it('a job that failed its only attempt is listed with its reason, data and time', async () => {
    const queue = ctx.queues.get(QUEUE_DOMAIN_EVENTS);
    await queue.add('loan.disbursed', { loanId: 42, channel: 'passbook' }, { jobId: 'outbox-1', attempts: 1 });
    await waitFor('outbox-1 to fail', async () => (await queue.getJobState('outbox-1')) === 'failed');
    await queue.add('loan.settled', { loanId: 43 }, { jobId: 'outbox-2', attempts: 1 });
    await waitFor('outbox-2 to fail', async () => (await queue.getJobState('outbox-2')) === 'failed');
    // Stop consuming so a replayed job stays where the replay put it.
    await worker!.close();

    const letters = await deadLetters();
    expect(letters.map((l) => l.id)).toEqual(['domain-events:outbox-2', 'domain-events:outbox-1']);
    expect(letters[1]).toEqual({
      id: 'domain-events:outbox-1', queue: 'domain-events', jobId: 'outbox-1', name: 'loan.disbursed',
      data: { loanId: 42, channel: 'passbook' }, failedReason: 'sms gateway down for loan.disbursed', attemptsMade: 1,
      failedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(Math.abs(Date.parse(letters[1]!.failedAt as string) - Date.now())).toBeLessThan(30_000);
    expect((await deadLetters('?limit=1')).map((l) => l.id)).toEqual(['domain-events:outbox-2']);
  });

  it('a viewer can list; a bad limit is 400', async () => {
    const viewer = await createOpsUserToken(ctx.app, 'viewer');
    const listed = await call(ctx.app, 'GET', '/v1/ops/dead-letters', undefined, bearer(viewer));
    expect(listed.status).toBe(200);
    expect(listed.body.deadLetters).toHaveLength(2);
    for (const limit of ['0', 'abc', '1000', '-1']) {
      const response = await call(ctx.app, 'GET', `/v1/ops/dead-letters?limit=${limit}`);
      expect(response.status, limit).toBe(400);
      expect(response.body.field, limit).toBe('limit');
    }
    const extra = await call(ctx.app, 'GET', '/v1/ops/dead-letters?queue=x');
    expect(extra.status).toBe(400);
  });

  it('replay returns the dead letter and moves the job back to waiting with fresh attempts', async () => {
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/dead-letters/domain-events:outbox-1/replay');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'domain-events:outbox-1', name: 'loan.disbursed', attemptsMade: 1,
      failedReason: 'sms gateway down for loan.disbursed', data: { loanId: 42, channel: 'passbook' } });
    const queue = ctx.queues.get(QUEUE_DOMAIN_EVENTS);
    expect(await queue.getJobState('outbox-1')).toBe('waiting');
    expect((await queue.getJob('outbox-1'))?.attemptsMade).toBe(0);
    expect((await deadLetters()).map((l) => l.id)).toEqual(['domain-events:outbox-2']);
  });

  it('replaying it again is 404: it is no longer a dead letter', async () => {
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/dead-letters/domain-events:outbox-1/replay');
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND', field: 'id' });
    expect(await ctx.queues.get(QUEUE_DOMAIN_EVENTS).getJobState('outbox-1')).toBe('waiting');
  });

  it('unknown ids are 404 DEAD_LETTER_NOT_FOUND; malformed ids 400', async () => {
    for (const id of ['domain-events:outbox-999', 'close-of-business:outbox-2', 'no-such-queue:outbox-2']) {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/dead-letters/${id}/replay`);
      expect(status, id).toBe(404);
      expect(body, id).toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
    }
    for (const id of ['outbox-2', 'domain-events:', 'domain-events:a:b', 'domain-events:*']) {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/dead-letters/${encodeURIComponent(id)}/replay`);
      expect(status, id).toBe(400);
      expect(body, id).toMatchObject({ code: 'DEAD_LETTER_ID_INVALID', field: 'id' });
    }
    // The other dead letter was not touched by any of it.
    expect(await ctx.queues.get(QUEUE_DOMAIN_EVENTS).getJobState('outbox-2')).toBe('failed');
  });

  it('the failing processor ran once per attempt', () => {
    expect(processed).toEqual(['outbox-1', 'outbox-2']);
  });
});
