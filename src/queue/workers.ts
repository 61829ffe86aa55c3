/**
 * One BullMQ Worker per queue that has a handler. Handlers must be idempotent: a job can
 * run again after a crash, a stall or a replay, so each external call carries our own
 * reference (the job id) and the receiving side deduplicates on it.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { invariant } from '../core/domain-error.js';
import { describeError, type QueueLogger } from './logger.js';
import { cappedBackoffStrategy, isQueueName, QUEUE_PREFIX_DEFAULT, type QueueName } from './queues.js';

export const WORKER_CONCURRENCY_DEFAULT = 4;
export const WORKER_CONCURRENCY_MAX = 64;
/**
 * How long a running job stays locked to its worker without a renewal (renewed every
 * half of it). Longer than our slowest carrier call timeout, so a busy event loop does
 * not make a healthy job look stalled and run twice.
 */
export const WORKER_LOCK_DURATION_MS = 60_000;
/** How often a worker looks for jobs whose lock expired (their worker died). */
export const WORKER_STALLED_CHECK_INTERVAL_MS = 30_000;
/** A job that stalls more often than this is failed (a dead letter) instead of rerun. */
export const WORKER_STALLED_RECOVERIES_MAX = 1;
/** Longest blocking wait for a new job; bounds how long close() waits on an idle worker. */
export const WORKER_DRAIN_DELAY_S = 5;

/** What a handler sees of a job. attemptsMade counts previous runs (0 on the first). */
export interface QueueJob {
  id: string;
  name: string;
  data: unknown;
  attemptsMade: number;
}

export type JobHandler = (job: QueueJob) => Promise<void>;

export interface StartWorkersOptions {
  connection: Redis;
  prefix?: string;
  handlers: Partial<Record<QueueName, JobHandler>>;
  /** Jobs run at once per queue, 1..WORKER_CONCURRENCY_MAX. */
  concurrency?: number;
  logger: QueueLogger;
}

export interface Workers {
  close(): Promise<void>;
}

function toQueueJob(job: Job): QueueJob {
  invariant(job.id !== undefined, `job of queue ${job.queueName} has an id`);
  return { id: job.id, name: job.name, data: job.data as unknown, attemptsMade: job.attemptsMade };
}

function startWorker(queue: QueueName, handler: JobHandler, options: StartWorkersOptions, concurrency: number): Worker {
  const worker = new Worker(queue, (job) => handler(toQueueJob(job)), {
    connection: options.connection,
    prefix: options.prefix ?? QUEUE_PREFIX_DEFAULT,
    autorun: true,
    concurrency,
    lockDuration: WORKER_LOCK_DURATION_MS,
    stalledInterval: WORKER_STALLED_CHECK_INTERVAL_MS,
    maxStalledCount: WORKER_STALLED_RECOVERIES_MAX,
    drainDelay: WORKER_DRAIN_DELAY_S,
    settings: { backoffStrategy: cappedBackoffStrategy },
  });
  const { logger } = options;
  worker.on('failed', (job, error) => {
    const exhausted = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    logger.warn(
      { queue, jobId: job?.id, jobName: job?.name, attemptsMade: job?.attemptsMade, err: describeError(error), deadLetter: exhausted },
      exhausted ? 'job failed for the last time; now a dead letter' : 'job failed; will retry',
    );
  });
  // Without a listener an 'error' event would crash the process.
  worker.on('error', (error) => logger.error({ queue, err: describeError(error) }, 'worker error'));
  return worker;
}

/** Starts one worker per queue in `handlers`; close() lets running jobs finish first. */
export function startWorkers(options: StartWorkersOptions): Workers {
  const concurrency = options.concurrency ?? WORKER_CONCURRENCY_DEFAULT;
  invariant(
    Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= WORKER_CONCURRENCY_MAX,
    `worker concurrency ${concurrency} is within 1..${WORKER_CONCURRENCY_MAX}`,
  );
  const workers: Worker[] = [];
  for (const [queue, handler] of Object.entries(options.handlers)) {
    invariant(isQueueName(queue), `handler queue "${queue}" is in the queue catalogue`);
    if (handler) workers.push(startWorker(queue, handler, options, concurrency));
  }
  options.logger.info({ queues: workers.map((worker) => worker.name), concurrency }, 'queue workers started');
  return {
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
