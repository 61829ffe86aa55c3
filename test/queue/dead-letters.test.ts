import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_LIST_MAX,
  listDeadLetters,
  replayDeadLetter,
  type DeadLetter,
} from '../../src/queue/dead-letters.js';
import { DeadLetterIdInvalidError, DeadLetterNotFoundError } from '../../src/queue/errors.js';
import {
  BACKOFF_CAPPED_EXPONENTIAL,
  QUEUE_CLOSE_OF_BUSINESS,
  QUEUE_DOMAIN_EVENTS,
  QUEUE_NAMES,
  QueueSet,
} from '../../src/queue/queues.js';
import { openRedis } from '../../src/queue/redis.js';
import { startWorkers, type QueueJob, type Workers } from '../../src/queue/workers.js';
import { deleteKeys, recordingLogger, TEST_REDIS_URL, testPrefix, waitFor } from './support.js';

const TEST_ATTEMPTS = 3;
/** Small enough to keep the test fast, large enough that a missing strategy would show. */
const TEST_BACKOFF_BASE_MS = 20;
const testJobOptions = (jobId: string) => ({
  jobId,
  attempts: TEST_ATTEMPTS,
  backoff: { type: BACKOFF_CAPPED_EXPONENTIAL, delay: TEST_BACKOFF_BASE_MS },
});

describe('dead letters', () => {
  let redis: Redis;
  let queues: QueueSet;
  let workers: Workers;
  const prefix = testPrefix();
  const logger = recordingLogger();
  const runs: Array<QueueJob & { at: number }> = [];
  let carrierDown = true;

  const handler = async (job: QueueJob) => {
    runs.push({ ...job, at: Date.now() });
    if (carrierDown) throw new Error(`carrier down for ${job.name}`);
  };

  beforeAll(async () => {
    redis = await openRedis(TEST_REDIS_URL);
    queues = new QueueSet({ connection: redis, prefix, logger });
    workers = startWorkers({
      connection: redis,
      prefix,
      handlers: { [QUEUE_DOMAIN_EVENTS]: handler, [QUEUE_CLOSE_OF_BUSINESS]: handler },
      concurrency: 2,
      logger,
    });
  });
  afterAll(async () => {
    await workers.close();
    await queues.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  const deadLetter = (id: string) => async () =>
    (await listDeadLetters(queues, QUEUE_NAMES, DEAD_LETTER_LIST_MAX)).find((letter) => letter.id === id);

  it('a job that always fails becomes a dead letter after its attempts, with growing delays', async () => {
    await queues.get(QUEUE_DOMAIN_EVENTS).add('send-sms', { msisdn: '+255700000001' }, testJobOptions('outbox-1'));
    const letter = await waitFor('outbox-1 to be a dead letter', deadLetter('domain-events:outbox-1'));

    expect(letter).toMatchObject<Partial<DeadLetter>>({
      id: 'domain-events:outbox-1',
      queue: QUEUE_DOMAIN_EVENTS,
      jobId: 'outbox-1',
      name: 'send-sms',
      data: { msisdn: '+255700000001' },
      failedReason: 'carrier down for send-sms',
      attemptsMade: TEST_ATTEMPTS,
    });
    expect(Math.abs(Date.parse(letter.failedAt) - Date.now())).toBeLessThan(10_000);
    const attempts = runs.filter((run) => run.id === 'outbox-1');
    expect(attempts.map((run) => run.attemptsMade)).toEqual([0, 1, 2]);
    // The capped-exponential strategy ran: the second wait (2x base) is not shorter than the first.
    const [first, second, third] = attempts.map((run) => run.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(TEST_BACKOFF_BASE_MS);
    expect(third - second).toBeGreaterThanOrEqual(2 * TEST_BACKOFF_BASE_MS);
    expect(logger.entries.some((entry) => entry.message?.includes('dead letter'))).toBe(true);
  });

  it('lists dead letters across queues, newest first, up to the limit', async () => {
    await queues.get(QUEUE_CLOSE_OF_BUSINESS).add('close-day', { date: '2026-01-31' }, testJobOptions('outbox-2'));
    await waitFor('outbox-2 to be a dead letter', deadLetter('close-of-business:outbox-2'));

    const letters = await listDeadLetters(queues, QUEUE_NAMES, DEAD_LETTER_LIST_MAX);
    expect(letters.map((letter) => letter.id)).toEqual(['close-of-business:outbox-2', 'domain-events:outbox-1']);
    expect((await listDeadLetters(queues, QUEUE_NAMES, 1)).map((letter) => letter.id)).toEqual(['close-of-business:outbox-2']);
    expect((await listDeadLetters(queues, [QUEUE_DOMAIN_EVENTS], 10)).map((letter) => letter.id)).toEqual(['domain-events:outbox-1']);
    await expect(listDeadLetters(queues, QUEUE_NAMES, 0)).rejects.toThrow();
    await expect(listDeadLetters(queues, QUEUE_NAMES, DEAD_LETTER_LIST_MAX + 1)).rejects.toThrow();
  });

  it('replay puts the job back; once the handler succeeds it completes and leaves the list', async () => {
    carrierDown = false;
    const replayed = await replayDeadLetter(queues, 'domain-events:outbox-1');
    expect(replayed).toMatchObject({ id: 'domain-events:outbox-1', name: 'send-sms', attemptsMade: TEST_ATTEMPTS });

    const job = await queues.get(QUEUE_DOMAIN_EVENTS).getJob('outbox-1');
    await waitFor('outbox-1 to complete', async () => (await job?.getState()) === 'completed');
    expect(runs.filter((run) => run.id === 'outbox-1')).toHaveLength(TEST_ATTEMPTS + 1);
    // A replay starts with a fresh set of attempts.
    expect(runs.at(-1)).toMatchObject({ id: 'outbox-1', attemptsMade: 0 });
    const ids = (await listDeadLetters(queues, QUEUE_NAMES, DEAD_LETTER_LIST_MAX)).map((letter) => letter.id);
    expect(ids).toEqual(['close-of-business:outbox-2']);
  });

  it('refuses ids that are unknown, not failed, or malformed', async () => {
    const notFound = { name: 'DeadLetterNotFoundError', code: 'DEAD_LETTER_NOT_FOUND' };
    await expect(replayDeadLetter(queues, 'domain-events:outbox-999')).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    await expect(replayDeadLetter(queues, 'domain-events:outbox-999')).rejects.toMatchObject(notFound);
    // outbox-1 completed after its replay: it is no longer a dead letter.
    await expect(replayDeadLetter(queues, 'domain-events:outbox-1')).rejects.toMatchObject(notFound);
    // The job exists, but in the other queue.
    await expect(replayDeadLetter(queues, 'domain-events:outbox-2')).rejects.toMatchObject(notFound);
    await expect(replayDeadLetter(queues, 'no-such-queue:outbox-2')).rejects.toMatchObject(notFound);
    for (const malformed of ['', 'outbox-2', ':outbox-2', 'domain-events:', 'domain-events:a:b', 'domain-events:*', 'x'.repeat(300)]) {
      await expect(replayDeadLetter(queues, malformed)).rejects.toBeInstanceOf(DeadLetterIdInvalidError);
    }
    // None of the refusals touched the real dead letter.
    expect((await deadLetter('close-of-business:outbox-2')())?.attemptsMade).toBe(TEST_ATTEMPTS);
  });
});
