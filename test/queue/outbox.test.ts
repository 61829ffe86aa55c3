import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { OutboxMessageInvalidError, UnknownQueueError } from '../../src/queue/errors.js';
import {
  enqueueInTransaction,
  OUTBOX_PAYLOAD_BYTES_MAX,
  OutboxRelay,
  outboxJobId,
  type OutboxRelayOptions,
} from '../../src/queue/outbox.js';
import { QUEUE_CLOSE_OF_BUSINESS, QUEUE_DOMAIN_EVENTS, QUEUE_NAMES, QueueSet } from '../../src/queue/queues.js';
import { openRedis } from '../../src/queue/redis.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeys, recordingLogger, TEST_REDIS_URL, testPrefix, waitFor } from './support.js';

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms))]);
}

/** A relay that dies between adding the jobs and marking the rows relayed. */
class CrashAfterAddRelay extends OutboxRelay {
  crashes: number;
  constructor(options: OutboxRelayOptions, crashes = Number.POSITIVE_INFINITY) {
    super(options);
    this.crashes = crashes;
  }

  protected override async markRelayed(tx: Queryable, ids: readonly number[]): Promise<void> {
    if (this.crashes > 0) {
      this.crashes -= 1;
      throw new Error('simulated crash after addBulk');
    }
    await super.markRelayed(tx, ids);
  }
}

describe('outbox relay', () => {
  let t: TestDatabase;
  let redis: Redis;
  let queues: QueueSet;
  const prefix = testPrefix();
  const logger = recordingLogger();

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = await openRedis(TEST_REDIS_URL);
    queues = new QueueSet({ connection: redis, prefix, logger });
  });
  afterAll(async () => {
    await queues.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
    await t.drop();
  });
  beforeEach(async () => {
    await deleteKeys(redis, prefix);
    await t.db.query('DELETE FROM outbox');
    logger.entries.length = 0;
  });

  const relay = (overrides: Partial<OutboxRelayOptions> = {}) => new OutboxRelay({ db: t.db, queues, logger, ...overrides });

  async function enqueueMany(count: number): Promise<number[]> {
    return t.db.transaction(async (tx) => {
      const ids: number[] = [];
      for (let n = 0; n < count; n += 1) {
        const queue = n % 2 === 0 ? QUEUE_DOMAIN_EVENTS : QUEUE_CLOSE_OF_BUSINESS;
        ids.push(await enqueueInTransaction(tx, { queue, name: 'test-message', payload: { n } }));
      }
      return ids;
    });
  }

  /** Every job id in Redis across the catalogue, duplicates kept. */
  async function allJobIds(): Promise<string[]> {
    const perQueue = await Promise.all(QUEUE_NAMES.map(async (name) => (await queues.get(name).getJobs(['waiting'], 0, -1)).map((job) => job.id ?? '')));
    return perQueue.flat().sort();
  }

  async function pendingCount(): Promise<number> {
    const rows = await t.db.query<{ c: number }>('SELECT count(*)::int AS c FROM outbox WHERE relayed_at IS NULL');
    return rows[0]?.c ?? -1;
  }

  it('relays what a committed transaction wrote and nothing from a rolled-back one', async () => {
    const committed = await t.db.transaction(async (tx) => [
      await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'loan-disbursed', payload: { loanId: 'L1', amountMinor: 50_000 } }),
      await enqueueInTransaction(tx, { queue: QUEUE_CLOSE_OF_BUSINESS, name: 'close-day', payload: { date: '2026-01-31' } }),
    ]);
    let rolledBackId = 0;
    await expect(t.db.transaction(async (tx) => {
      rolledBackId = await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'loan-disbursed', payload: { loanId: 'L2' } });
      throw new Error('business rule failed');
    })).rejects.toThrow('business rule failed');

    expect(await relay().relayOnce()).toBe(2);

    const disbursed = await queues.get(QUEUE_DOMAIN_EVENTS).getJob(outboxJobId(committed[0]!));
    expect(disbursed?.name).toBe('loan-disbursed');
    expect(disbursed?.data).toEqual({ loanId: 'L1', amountMinor: 50_000 });
    const closeDay = await queues.get(QUEUE_CLOSE_OF_BUSINESS).getJob(outboxJobId(committed[1]!));
    expect(closeDay?.data).toEqual({ date: '2026-01-31' });
    expect(await allJobIds()).toEqual(committed.map(outboxJobId).sort());
    expect(await queues.get(QUEUE_DOMAIN_EVENTS).getJob(outboxJobId(rolledBackId))).toBeUndefined();
    expect(await pendingCount()).toBe(0);
    expect(await relay().relayOnce()).toBe(0);
  });

  it('after a crash between addBulk and marking, the next pass yields exactly one job per row', async () => {
    const ids = await enqueueMany(6);
    await expect(new CrashAfterAddRelay({ db: t.db, queues, logger }).relayOnce()).rejects.toThrow('simulated crash');
    expect(await allJobIds()).toHaveLength(6); // the jobs reached Redis...
    expect(await pendingCount()).toBe(6); // ...but the rows are still pending

    expect(await relay().relayOnce()).toBe(6);
    expect(await allJobIds()).toEqual(ids.map(outboxJobId).sort());
    expect(await pendingCount()).toBe(0);
  });

  it('rows already added by hand under their outbox job ids are not added twice', async () => {
    const ids = await enqueueMany(4);
    // What a relay that crashed mid-way leaves behind: some rows' jobs already in their queues.
    const rows = await t.db.query<{ id: number; queue: string }>('SELECT id, queue FROM outbox WHERE id = ANY($1::bigint[])', [ids.slice(0, 3)]);
    for (const row of rows) {
      await queues.get(row.queue).add('test-message', { byHand: true }, { jobId: outboxJobId(row.id) });
    }
    expect(await relay().relayOnce()).toBe(4);
    expect(await allJobIds()).toEqual(ids.map(outboxJobId).sort());
  });

  it('two relays racing over 500 rows turn each row into exactly one job', async () => {
    const ids = await enqueueMany(500);
    const drain = async (r: OutboxRelay) => {
      let total = 0;
      for (;;) {
        const relayed = await r.relayOnce();
        if (relayed === 0) return total;
        total += relayed;
      }
    };
    const [a, b] = await Promise.all([drain(relay({ batchSize: 50 })), drain(relay({ batchSize: 50 }))]);
    // With SKIP LOCKED each row is taken by exactly one relay: the counts add up to 500.
    expect(a + b).toBe(500);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(await pendingCount()).toBe(0);
    expect(await allJobIds()).toEqual(ids.map(outboxJobId).sort());
  });

  it('a relay takes the rows another one holds locked later, instead of waiting for them', async () => {
    const ids = await enqueueMany(30);
    let release = () => {};
    const released = new Promise<void>((resolve) => { release = resolve; });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => { locked = resolve; });
    // Stands in for a slow relay pass holding the first 10 rows.
    const holder = t.db.transaction(async (tx) => {
      await tx.query('SELECT id FROM outbox WHERE id = ANY($1::bigint[]) FOR UPDATE', [ids.slice(0, 10)]);
      locked();
      await released;
    });
    await lockTaken;
    try {
      const relayedWhileLocked = await withDeadline(relay().relayOnce(), 5_000);
      expect(relayedWhileLocked).toBe(20);
    } finally {
      release();
      await holder;
    }
    expect(await relay().relayOnce()).toBe(10);
    expect(await allJobIds()).toEqual(ids.map(outboxJobId).sort());
  });

  it('the polling loop survives a failing pass, logs it, and stops when asked', async () => {
    const ids = await enqueueMany(3);
    const looping = new CrashAfterAddRelay({ db: t.db, queues, logger }, 1);
    looping.start(20);
    try {
      await waitFor('rows relayed by the loop', async () => (await pendingCount()) === 0);
    } finally {
      await looping.stop();
    }
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(1);
    expect(await allJobIds()).toEqual(ids.map(outboxJobId).sort());

    await enqueueMany(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await pendingCount()).toBe(1);
  });

  it('refuses messages for unknown queues and oversized payloads', async () => {
    await expect(t.db.transaction((tx) => enqueueInTransaction(tx, { queue: 'no-such-queue', name: 'x', payload: {} })))
      .rejects.toBeInstanceOf(UnknownQueueError);
    const big = 'x'.repeat(OUTBOX_PAYLOAD_BYTES_MAX);
    await expect(t.db.transaction((tx) => enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'x', payload: { big } })))
      .rejects.toBeInstanceOf(OutboxMessageInvalidError);
    await expect(t.db.transaction((tx) => enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: '', payload: {} })))
      .rejects.toMatchObject({ code: 'OUTBOX_MESSAGE_INVALID', field: 'name' });
    expect(await pendingCount()).toBe(0);
  });
});
