/**
 * The queue catalogue: every queue the app uses, its Redis key prefix and the job
 * options every job gets unless a producer overrides them.
 */
import { Queue, type BackoffStrategy, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { UnknownQueueError } from './errors.js';
import type { QueueLogger } from './logger.js';
import { describeError } from './logger.js';

/** One line per queue; everything else (relay, workers, dead letters) reads this. */
export const QUEUE_CATALOGUE = {
  domainEvents: 'domain-events',
  closeOfBusiness: 'close-of-business',
  billingCharges: 'billing-charges',
  billingRefunds: 'billing-refunds',
  billingDeductionRuns: 'billing-deduction-runs',
  billingFiles: 'billing-files',
  applications: 'application-assessment',
  smsOutbound: 'sms-outbound',
  bankTransfers: 'bank-transfers',
  housekeeping: 'housekeeping',
} as const;

export type QueueName = (typeof QUEUE_CATALOGUE)[keyof typeof QUEUE_CATALOGUE];
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUE_CATALOGUE);
export const QUEUE_DOMAIN_EVENTS = QUEUE_CATALOGUE.domainEvents;
export const QUEUE_CLOSE_OF_BUSINESS = QUEUE_CATALOGUE.closeOfBusiness;
export const QUEUE_BILLING_CHARGES = QUEUE_CATALOGUE.billingCharges;
export const QUEUE_BILLING_REFUNDS = QUEUE_CATALOGUE.billingRefunds;
export const QUEUE_BILLING_DEDUCTION_RUNS = QUEUE_CATALOGUE.billingDeductionRuns;
export const QUEUE_BILLING_FILES = QUEUE_CATALOGUE.billingFiles;
export const QUEUE_APPLICATIONS = QUEUE_CATALOGUE.applications;
export const QUEUE_SMS_OUTBOUND = QUEUE_CATALOGUE.smsOutbound;
export const QUEUE_BANK_TRANSFERS = QUEUE_CATALOGUE.bankTransfers;
export const QUEUE_HOUSEKEEPING = QUEUE_CATALOGUE.housekeeping;

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/**
 * Key prefix of every BullMQ key of the app. The braces are a Redis Cluster hash tag:
 * only `lending` is hashed, so all keys of all our queues land in one cluster slot.
 * BullMQ's Lua scripts touch several keys of a queue at once, which Redis Cluster only
 * allows when they share a slot.
 */
export const QUEUE_PREFIX_DEFAULT = '{lending}';

/** Tries per job, first run included; then the job stays in the failed set (dead letters). */
export const JOB_ATTEMPTS_MAX = 8;
/** First retry delay; doubled per retry (see cappedExponentialDelayMs). */
export const JOB_BACKOFF_BASE_MS = 5_000;
/** No retry waits longer than this, however many attempts came before. */
export const JOB_BACKOFF_CAP_MS = 5 * 60_000;
/** Name of the custom strategy the workers register (BullMQ's exponential has no cap). */
export const BACKOFF_CAPPED_EXPONENTIAL = 'capped-exponential';
/**
 * Completed jobs are kept this long and at most this many per queue. While a job is kept,
 * adding its jobId again is a no-op, so this is the duplicate-detection window of the
 * outbox relay: a relay that added jobs but crashed before marking the rows relayed is
 * recovered by the next relay pass (seconds later), far inside the window. Failed jobs are
 * never removed, so they are always recognised.
 */
export const COMPLETED_JOB_KEEP_AGE_S = 7 * 24 * 60 * 60;
export const COMPLETED_JOBS_KEPT_MAX = 100_000;
/** Stack trace lines kept per failed attempt; bounds the size of dead letters. */
export const JOB_STACK_TRACE_LINES_MAX = 20;

export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: JOB_ATTEMPTS_MAX,
  backoff: { type: BACKOFF_CAPPED_EXPONENTIAL, delay: JOB_BACKOFF_BASE_MS },
  removeOnComplete: { age: COMPLETED_JOB_KEEP_AGE_S, count: COMPLETED_JOBS_KEPT_MAX },
  // Failed jobs are the dead-letter list; ops list and replay them (dead-letters.ts).
  removeOnFail: false,
  stackTraceLimit: JOB_STACK_TRACE_LINES_MAX,
};

/**
 * Delay before retry number `attemptsMade` (1 = first retry): base * 2^(attemptsMade-1),
 * never more than `capMs`. No jitter: retries of different jobs are already spread by
 * when each job failed.
 */
export function cappedExponentialDelayMs(
  attemptsMade: number,
  baseMs: number = JOB_BACKOFF_BASE_MS,
  capMs: number = JOB_BACKOFF_CAP_MS,
): number {
  const retry = Math.max(1, Math.floor(attemptsMade));
  // 2 ** 1100 is Infinity, which min() turns into the cap: no overflow to guard against.
  return Math.min(capMs, Math.max(0, baseMs) * 2 ** (retry - 1));
}

export interface QueueSetOptions {
  connection: Redis;
  prefix?: string;
  /** Which queue names `get` accepts; defaults to the catalogue. Bounds the Queue count. */
  names?: readonly string[];
  defaultJobOptions?: DefaultJobOptions;
  logger?: QueueLogger;
}

/**
 * Lazily created BullMQ Queue objects for one connection and prefix. The Queues share the
 * caller's connection; closing the set closes the Queues, not the connection.
 */
export class QueueSet {
  readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private readonly names: readonly string[];

  constructor(private readonly options: QueueSetOptions) {
    this.prefix = options.prefix ?? QUEUE_PREFIX_DEFAULT;
    this.names = options.names ?? QUEUE_NAMES;
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  get(name: string): Queue {
    if (!this.has(name)) throw new UnknownQueueError(name);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.options.connection,
        prefix: this.prefix,
        defaultJobOptions: this.options.defaultJobOptions ?? DEFAULT_JOB_OPTIONS,
      });
      // An EventEmitter 'error' without a listener would crash the process.
      queue.on('error', (error) => this.options.logger?.error({ queue: name, err: describeError(error) }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }
}

/**
 * The worker-side half of BACKOFF_CAPPED_EXPONENTIAL: the job's `backoff.delay` is the
 * base (so a test or a producer can shrink it), JOB_BACKOFF_CAP_MS the ceiling.
 */
export const cappedBackoffStrategy: BackoffStrategy = (attemptsMade, _type, _error, job) => {
  const backoff = job?.opts.backoff;
  const baseMs = typeof backoff === 'object' && backoff.delay !== undefined ? backoff.delay : JOB_BACKOFF_BASE_MS;
  return cappedExponentialDelayMs(attemptsMade, baseMs);
};
