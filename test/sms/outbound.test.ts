/**
 * Outbound SMS end to end: queueSms in a PostgreSQL transaction, the outbox relay into the
 * real BullMQ queue on Redis, the worker sending over real SOAP to the simulated gateway,
 * and what the phone received. Exactly once as far as the phone can tell: a duplicate
 * reference stores nothing, a timeout is retried under the same correlator, a refusal is final.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSmsSoapClient } from '../../adapters/sms/client.js';
import { startSmsSimulator, type SmsSimulator } from '../../adapters/sms/simulator.js';
import type { Database } from '../../src/db/database.js';
import { OutboxRelay } from '../../src/queue/outbox.js';
import { QUEUE_SMS_OUTBOUND, QueueSet } from '../../src/queue/queues.js';
import { openRedis } from '../../src/queue/redis.js';
import { startWorkers, type Workers } from '../../src/queue/workers.js';
import { SMS_SEND_JOB, queueSms, sendQueuedSms, smsSendHandler, type QueueSmsInput } from '../../src/sms/outbound.js';
import type { SmsPort } from '../../src/sms/sms.port.js';
import { deleteKeys, recordingLogger, TEST_REDIS_URL, testPrefix, waitFor } from '../queue/support.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** Long enough that a loaded test machine does not turn a normal send into a timeout and a retry. */
const CLIENT_TIMEOUT_MS = 1_500;
/** 71 UTF-16 units with Chinese: two concatenated UCS-2 segments, as the POS one-time codes are. */
const OTP_TEXT = '验证码384912，用于签署借款合同（借款编号1001，金额3000.00元），5分钟内有效。工作人员不会向您索要验证码，请在本人确认后输入。';

let t: TestDatabase;
let db: Database;
let redis: Redis;
let queues: QueueSet;
let simulator: SmsSimulator;
let sms: SmsPort;
let workers: Workers;
let relay: OutboxRelay;
const prefix = testPrefix();
const logger = recordingLogger();

let counter = 0;
/** A fresh number and reference per test: the simulated phones and the database live for the whole file. */
function fresh(overrides: Partial<QueueSmsInput> = {}): QueueSmsInput {
  counter += 1;
  return { msisdn: `1390000${String(2000 + counter)}`, template: 'otp', text: OTP_TEXT, kind: 'transactional', reference: `otp-${counter}`, ...overrides };
}

interface Row { id: number; status: string; gateway_request_id: string | null; last_error: string | null; msisdn: string }
const row = async (smsId: number): Promise<Row> =>
  (await db.query<Row>(`SELECT id, status, gateway_request_id, last_error, msisdn FROM sms_messages WHERE id = $1`, [smsId]))[0]!;
const outboxJobsFor = async (smsId: number): Promise<number> =>
  (await db.query(`SELECT 1 FROM outbox WHERE queue = $1 AND job_name = $2 AND (payload->>'smsId')::bigint = $3`, [QUEUE_SMS_OUTBOUND, SMS_SEND_JOB, smsId])).length;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  redis = await openRedis(TEST_REDIS_URL);
  queues = new QueueSet({ connection: redis, prefix, logger });
  simulator = await startSmsSimulator();
  sms = await createSmsSoapClient({ url: simulator.url, timeoutMs: CLIENT_TIMEOUT_MS, senderName: '1069012345' });
  workers = startWorkers({ connection: redis, prefix, logger, handlers: { [QUEUE_SMS_OUTBOUND]: smsSendHandler({ db, sms }) } });
  relay = new OutboxRelay({ db, queues, logger });
});

afterEach(() => {
  simulator.faults.clear();
});

afterAll(async () => {
  await relay.stop();
  await workers.close();
  sms.close();
  await simulator.close();
  await queues.close();
  await deleteKeys(redis, prefix);
  await redis.quit();
  await t.drop();
});

describe('queueSms', () => {
  it('stores the message and its send job in the caller\'s transaction; the same reference again stores and enqueues nothing', async () => {
    const input = fresh();
    const [first, again] = await db.transaction(async (tx) => [await queueSms(tx, input), await queueSms(tx, input)]);
    expect(first).toEqual({ smsId: expect.any(Number), duplicate: false });
    expect(again).toEqual({ smsId: first!.smsId, duplicate: true });
    const later = await db.transaction((tx) => queueSms(tx, { ...input, msisdn: `+86 ${input.msisdn}` }));
    expect(later).toEqual({ smsId: first!.smsId, duplicate: true });
    expect(await db.query(`SELECT 1 FROM sms_messages WHERE reference = $1`, [input.reference])).toHaveLength(1);
    expect(await outboxJobsFor(first!.smsId)).toBe(1);
    expect(await row(first!.smsId)).toMatchObject({ status: 'queued', msisdn: input.msisdn, gateway_request_id: null });
  });

  it('a rolled-back transaction leaves neither the message nor its job', async () => {
    const input = fresh();
    await expect(db.transaction(async (tx) => {
      await queueSms(tx, input);
      throw new Error('the business change failed');
    })).rejects.toThrow('the business change failed');
    expect(await db.query(`SELECT 1 FROM sms_messages WHERE reference = $1`, [input.reference])).toHaveLength(0);
  });

  it('the same reference for a different message is refused: a caller bug, not a duplicate', async () => {
    const input = fresh();
    await db.transaction((tx) => queueSms(tx, input));
    await expect(db.transaction((tx) => queueSms(tx, { ...input, text: '另一条' })))
      .rejects.toMatchObject({ code: 'SMS_REFERENCE_REUSED', field: 'reference' });
  });

  it('refuses marketing messages until consent, opt-out and quiet hours are enforced', async () => {
    const input = fresh({ kind: 'marketing', template: 'promo' });
    await expect(db.transaction((tx) => queueSms(tx, input))).rejects.toMatchObject({ code: 'SMS_MARKETING_NOT_ENABLED', field: 'kind' });
    expect(await db.query(`SELECT 1 FROM sms_messages WHERE reference = $1`, [input.reference])).toHaveLength(0);
  });

  it.each<[string, string, Partial<QueueSmsInput>]>([
    ['msisdn', 'INVALID_MOBILE', { msisdn: '12345' }],
    ['text', 'SMS_TEXT_INVALID', { text: '' }],
    ['text', 'SMS_TEXT_TOO_LONG', { text: '元'.repeat(671) }],
    ['reference', 'SMS_REFERENCE_INVALID', { reference: 'has space' }],
    ['reference', 'SMS_REFERENCE_INVALID', { reference: 'r'.repeat(65) }],
    ['template', 'SMS_TEMPLATE_INVALID', { template: '' }],
    ['kind', 'SMS_KIND_INVALID', { kind: 'spam' as QueueSmsInput['kind'] }],
  ])('refuses a bad %s (%s) before storing anything', async (field, code, overrides) => {
    await expect(db.transaction((tx) => queueSms(tx, fresh(overrides)))).rejects.toMatchObject({ code, field });
  });
});

describe('through the queue', () => {
  it('queued twice under one reference: one row, one job, one message on the phone', async () => {
    const input = fresh();
    const { smsId } = await db.transaction((tx) => queueSms(tx, input));
    await db.transaction((tx) => queueSms(tx, input));
    await relay.relayOnce();
    const sent = await waitFor('sent', async () => {
      const r = await row(smsId);
      return r.status === 'sent' && r;
    });
    expect(simulator.inbox(input.msisdn)).toEqual([{ text: OTP_TEXT, reference: input.reference, receivedAt: expect.any(Date), segments: 2 }]);
    expect(sent.gateway_request_id).toBe(simulator.requests().find((r) => r.correlator === input.reference)!.requestIdentifier);
    expect(sent.last_error).toBeNull();
  });

  it('a timeout after the gateway delivered is retried under the same reference and the phone gets it once', async () => {
    const input = fresh();
    simulator.faults.hang({ msisdn: input.msisdn, mode: 'deliverThenHang' });
    const { smsId } = await db.transaction((tx) => queueSms(tx, input));
    await relay.relayOnce();
    const pending = await waitFor('the timeout recorded', async () => {
      const r = await row(smsId);
      return r.last_error !== null && r;
    });
    expect(pending).toMatchObject({ status: 'queued', last_error: `TIMEOUT: no reply within ${CLIENT_TIMEOUT_MS} ms` });
    // Retries wait JOB_BACKOFF_BASE_MS; the test shortens the wait by promoting the delayed job.
    const queue = queues.get(QUEUE_SMS_OUTBOUND);
    await waitFor('the delayed retry', async () => (await queue.getDelayedCount()) === 1);
    for (const job of await queue.getDelayed()) await job.promote();
    const sent = await waitFor('sent', async () => {
      const r = await row(smsId);
      return r.status === 'sent' && r;
    });
    expect(sent.last_error).toBeNull();
    expect(simulator.inbox(input.msisdn)).toHaveLength(1);
    expect(simulator.requests().filter((r) => r.correlator === input.reference).map((r) => r.reply)).toEqual(['hang', 'duplicate']);
    const failures = logger.entries.filter((e) => e.message === 'job failed; will retry');
    expect(failures.length).toBeGreaterThan(0);
    expect(JSON.stringify(logger.entries)).not.toContain(input.msisdn);
  });

  it('a refused number is marked failed with the gateway\'s reason and never retried', async () => {
    const input = fresh();
    simulator.bar(input.msisdn);
    const { smsId } = await db.transaction((tx) => queueSms(tx, input));
    await relay.relayOnce();
    const failed = await waitFor('failed', async () => {
      const r = await row(smsId);
      return r.status === 'failed' && r;
    });
    expect(failed.last_error).toBe(`POL3101: PolicyException POL3101: Messages to tel:${input.msisdn.slice(0, 3)}****${input.msisdn.slice(7)} are barred`);
    expect(failed.last_error).not.toContain(input.msisdn);
    const queue = queues.get(QUEUE_SMS_OUTBOUND);
    await waitFor('the job completed', async () => (await queue.getJobs(['completed'])).some((job) => (job.data as { smsId: number }).smsId === smsId));
    expect(await queue.getDelayedCount()).toBe(0);
    expect(await queue.getFailedCount()).toBe(0);
    expect(simulator.requests().filter((r) => r.correlator === input.reference)).toHaveLength(1);
    expect(simulator.inbox(input.msisdn)).toEqual([]);
  });
});

describe('sendQueuedSms', () => {
  it('skips a message already sent: a replayed job does not ask the gateway again', async () => {
    const input = fresh();
    const { smsId } = await db.transaction((tx) => queueSms(tx, input));
    expect(await sendQueuedSms({ db, sms }, smsId)).toMatchObject({ status: 'sent', segments: 2 });
    const asked = simulator.requests().length;
    expect(await sendQueuedSms({ db, sms }, smsId)).toEqual({ status: 'skipped', current: 'sent' });
    expect(await sendQueuedSms({ db, sms }, 987_654_321)).toEqual({ status: 'skipped', current: 'missing' });
    expect(simulator.requests()).toHaveLength(asked);
  });

  it('a gateway fault is recorded and left for a retry; the error thrown names no full number', async () => {
    const input = fresh();
    simulator.faults.fault({ msisdn: input.msisdn, exception: 'ServiceException', messageId: 'SVC0001', text: 'SMSC down for %1', variables: [input.msisdn] });
    const { smsId } = await db.transaction((tx) => queueSms(tx, input));
    const handler = smsSendHandler({ db, sms });
    const error = await handler({ id: 'direct', name: SMS_SEND_JOB, data: { smsId }, attemptsMade: 0 }).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'SmsGatewayUnavailableError', code: 'SVC0001' });
    expect(error!.message).not.toContain(input.msisdn);
    expect(await row(smsId)).toMatchObject({ status: 'queued', last_error: expect.stringMatching(/^SVC0001: ServiceException SVC0001: SMSC down for 139\*{4}\d{4}$/) });
  });

  it('a marketing row that reached the table some other way is failed by the send policy, never sent', async () => {
    const input = fresh({ kind: 'marketing', template: 'promo' });
    const [inserted] = await db.query<{ id: number }>(
      `INSERT INTO sms_messages (reference, msisdn, template, text, kind) VALUES ($1, $2, $3, $4, 'marketing') RETURNING id`,
      [input.reference, input.msisdn, input.template, input.text]);
    expect(await sendQueuedSms({ db, sms }, inserted!.id)).toEqual({ status: 'failed', code: 'SMS_MARKETING_NOT_ENABLED' });
    expect(simulator.inbox(input.msisdn)).toEqual([]);
  });

  it('refuses a job without a numeric smsId', async () => {
    await expect(smsSendHandler({ db, sms })({ id: 'x', name: SMS_SEND_JOB, data: { smsId: '1' }, attemptsMade: 0 })).rejects.toThrow(/numeric smsId/);
  });
});
