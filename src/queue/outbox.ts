/**
 * The transactional outbox. A business transaction writes its messages as outbox rows;
 * the relay later moves them into BullMQ with jobId = `outbox-<id>`. BullMQ ignores an
 * add whose jobId already exists, so a relay that crashes after adding but before
 * marking rows relayed only causes a harmless re-add: no message is lost or duplicated.
 */
import type { Database, Queryable } from '../db/database.js';
import { invariant } from '../core/domain-error.js';
import { OutboxMessageInvalidError, UnknownQueueError } from './errors.js';
import type { JsonValue } from './json.js';
import { describeError, type QueueLogger } from './logger.js';
import { isQueueName, type QueueSet } from './queues.js';
import { withTimeout } from './time.js';

/** Rows one relay pass takes; bounds the transaction length and the addBulk size. */
export const OUTBOX_BATCH_MAX = 500;
/** A payload is a message, not a document: large data belongs in a table it points to. */
export const OUTBOX_PAYLOAD_BYTES_MAX = 64 * 1024;
export const OUTBOX_JOB_NAME_CHARS_MAX = 100;
/**
 * Longest wait for Redis while the relay holds row locks. The ioredis client queues
 * commands while Redis is down (BullMQ needs that), so without this a Redis outage would
 * keep the transaction and its locks open indefinitely.
 */
export const OUTBOX_RELAY_REDIS_TIMEOUT_MS = 10_000;
/** Polling interval bounds for start(); below the minimum the relay would spin on the DB. */
export const OUTBOX_RELAY_INTERVAL_MS_MIN = 10;
export const OUTBOX_RELAY_INTERVAL_MS_MAX = 60_000;
/** Consecutive full batches one tick relays before yielding to the timer again. */
const OUTBOX_BATCHES_PER_TICK_MAX = 20;
const OUTBOX_JOB_ID_PREFIX = 'outbox-';

export interface OutboxMessage {
  queue: string;
  name: string;
  payload: JsonValue;
}

export function outboxJobId(outboxId: number): string {
  return `${OUTBOX_JOB_ID_PREFIX}${outboxId}`;
}

function serializePayload(payload: JsonValue): string {
  const text = JSON.stringify(payload);
  if (text === undefined) throw new OutboxMessageInvalidError('payload', 'is not JSON');
  if (Buffer.byteLength(text, 'utf8') > OUTBOX_PAYLOAD_BYTES_MAX) {
    throw new OutboxMessageInvalidError('payload', `exceeds ${OUTBOX_PAYLOAD_BYTES_MAX} bytes`);
  }
  return text;
}

/**
 * Writes `message` as an outbox row inside the caller's transaction `tx`, so the message
 * exists exactly when the business change commits. Returns the outbox id.
 */
export async function enqueueInTransaction(tx: Queryable, message: OutboxMessage): Promise<number> {
  if (!isQueueName(message.queue)) throw new UnknownQueueError(message.queue);
  if (message.name.length === 0 || message.name.length > OUTBOX_JOB_NAME_CHARS_MAX) {
    throw new OutboxMessageInvalidError('name', `must be 1 to ${OUTBOX_JOB_NAME_CHARS_MAX} characters`);
  }
  const rows = await tx.query<{ id: number }>(
    `INSERT INTO outbox (queue, job_name, payload) VALUES ($1, $2, $3::jsonb) RETURNING id`,
    [message.queue, message.name, serializePayload(message.payload)],
  );
  const id = rows[0]?.id;
  invariant(typeof id === 'number', 'outbox insert returned an id');
  return id;
}

export interface OutboxRow {
  id: number;
  queue: string;
  job_name: string;
  payload: JsonValue;
}

export interface OutboxRelayOptions {
  db: Database;
  queues: QueueSet;
  logger: QueueLogger;
  /** Rows per pass, 1..OUTBOX_BATCH_MAX; defaults to OUTBOX_BATCH_MAX. */
  batchSize?: number;
}

function groupByQueue(rows: readonly OutboxRow[]): Map<string, OutboxRow[]> {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const group = groups.get(row.queue) ?? [];
    group.push(row);
    groups.set(row.queue, group);
  }
  return groups;
}

/**
 * Moves pending outbox rows into BullMQ. Any number of relays (processes or instances)
 * may run at once: each pass locks its rows with FOR UPDATE SKIP LOCKED, so concurrent
 * passes take disjoint rows. A row whose queue is not in the QueueSet makes the pass fail
 * loudly (logged every interval) rather than dropping the message.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private intervalMs = OUTBOX_RELAY_INTERVAL_MS_MAX;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? OUTBOX_BATCH_MAX;
    invariant(
      Number.isInteger(this.batchSize) && this.batchSize >= 1 && this.batchSize <= OUTBOX_BATCH_MAX,
      `outbox relay batch size ${this.batchSize} is within 1..${OUTBOX_BATCH_MAX}`,
    );
  }

  /** One pass in one transaction: relays up to batchSize pending rows, returns how many. */
  relayOnce(): Promise<number> {
    return this.options.db.transaction(async (tx) => {
      const rows = await this.lockPending(tx);
      if (rows.length === 0) return 0;
      await this.addToQueues(rows);
      // A crash here leaves the rows pending with their jobs already in Redis; the next
      // pass re-adds them under the same jobIds, which BullMQ ignores.
      await this.markRelayed(tx, rows.map((row) => row.id));
      return rows.length;
    });
  }

  protected lockPending(tx: Queryable): Promise<OutboxRow[]> {
    // SKIP LOCKED: a concurrent pass takes the next rows instead of waiting for these
    // and then adding them a second time.
    return tx.query<OutboxRow>(
      `SELECT id, queue, job_name, payload FROM outbox
        WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [this.batchSize],
    );
  }

  protected async addToQueues(rows: readonly OutboxRow[]): Promise<void> {
    const adds = [...groupByQueue(rows)].map(([queue, group]) =>
      this.options.queues.get(queue).addBulk(group.map((row) => ({
        name: row.job_name,
        data: row.payload,
        opts: { jobId: outboxJobId(row.id) },
      }))));
    await withTimeout(
      Promise.all(adds),
      OUTBOX_RELAY_REDIS_TIMEOUT_MS,
      () => new Error(`adding ${rows.length} outbox jobs to Redis took over ${OUTBOX_RELAY_REDIS_TIMEOUT_MS} ms`),
    );
  }

  protected async markRelayed(tx: Queryable, ids: readonly number[]): Promise<void> {
    const updated = await tx.query<{ id: number }>(
      `UPDATE outbox SET relayed_at = now() WHERE id = ANY($1::bigint[]) AND relayed_at IS NULL RETURNING id`,
      [ids],
    );
    // The rows are locked by this transaction, so nobody else can have relayed them.
    invariant(updated.length === ids.length, `marked ${updated.length} of ${ids.length} locked outbox rows relayed`);
  }

  /** Polls every `intervalMs` until stop(). Never throws: a failed pass is logged and retried. */
  start(intervalMs: number): void {
    invariant(
      Number.isInteger(intervalMs) && intervalMs >= OUTBOX_RELAY_INTERVAL_MS_MIN && intervalMs <= OUTBOX_RELAY_INTERVAL_MS_MAX,
      `outbox relay interval ${intervalMs} ms is within ${OUTBOX_RELAY_INTERVAL_MS_MIN}..${OUTBOX_RELAY_INTERVAL_MS_MAX}`,
    );
    if (!this.stopped) return;
    this.stopped = false;
    this.intervalMs = intervalMs;
    this.schedule(0);
  }

  /** Stops polling and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch(() => false) // tick() already logs; this only guards against a throwing logger
        .then((morePending) => {
          this.running = undefined;
          if (!this.stopped) this.schedule(morePending ? 0 : this.intervalMs);
        });
    }, delayMs);
  }

  /** Relays full batches back to back (bounded); returns whether rows may still be pending. */
  private async tick(): Promise<boolean> {
    try {
      for (let batch = 0; batch < OUTBOX_BATCHES_PER_TICK_MAX && !this.stopped; batch += 1) {
        const relayed = await this.relayOnce();
        if (relayed > 0) this.options.logger.info({ relayed }, 'outbox rows relayed');
        if (relayed < this.batchSize) return false;
      }
      return true;
    } catch (error) {
      this.options.logger.error({ err: describeError(error) }, 'outbox relay pass failed; retrying after the interval');
      return false;
    }
  }
}
