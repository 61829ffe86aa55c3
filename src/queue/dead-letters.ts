/**
 * Dead letters are the jobs in BullMQ's failed set: failed jobs are never removed (see
 * DEFAULT_JOB_OPTIONS) and BullMQ only puts a job there once it will not retry it by
 * itself (attempts exhausted, an UnrecoverableError, or too many stalls). Ops list them
 * here and replay them once the cause is fixed.
 */
import { ErrorCode, type Job } from 'bullmq';
import { invariant } from '../core/domain-error.js';
import { DeadLetterIdInvalidError, DeadLetterNotFoundError } from './errors.js';
import type { QueueSet } from './queues.js';

/** Most dead letters one listing returns; the failed set itself is unbounded. */
export const DEAD_LETTER_LIST_MAX = 500;
const DEAD_LETTER_ID_CHARS_MAX = 200;
/** `<queue>:<jobId>`: queue names are kebab-case, job ids BullMQ's or `outbox-<n>`. */
const DEAD_LETTER_ID_PATTERN = /^([a-z0-9][a-z0-9-]*):([A-Za-z0-9][A-Za-z0-9_-]*)$/;

export interface DeadLetter {
  id: string;
  queue: string;
  jobId: string;
  name: string;
  data: unknown;
  failedReason: string;
  attemptsMade: number;
  /** When the last attempt failed, ISO 8601 UTC. */
  failedAt: string;
}

function toDeadLetter(queue: string, job: Job): DeadLetter {
  invariant(job.id !== undefined, `failed job of queue ${queue} has an id`);
  invariant(typeof job.finishedOn === 'number', `failed job ${queue}:${job.id} has finishedOn`);
  return {
    id: `${queue}:${job.id}`,
    queue,
    jobId: job.id,
    name: job.name,
    data: job.data as unknown,
    failedReason: job.failedReason ?? '',
    attemptsMade: job.attemptsMade,
    failedAt: new Date(job.finishedOn).toISOString(),
  };
}

function newestFirst(a: DeadLetter, b: DeadLetter): number {
  if (a.failedAt !== b.failedAt) return a.failedAt < b.failedAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Up to `limit` dead letters across `names`, newest failure first. */
export async function listDeadLetters(queues: QueueSet, names: readonly string[], limit: number): Promise<DeadLetter[]> {
  invariant(
    Number.isInteger(limit) && limit >= 1 && limit <= DEAD_LETTER_LIST_MAX,
    `dead letter limit ${limit} is within 1..${DEAD_LETTER_LIST_MAX}`,
  );
  const perQueue = await Promise.all(names.map(async (name) => {
    // The failed set is ordered by failure time; the newest `limit` of each queue
    // are enough to find the newest `limit` overall.
    const jobs = await queues.get(name).getFailed(0, limit - 1);
    // A job deleted between the range read and the hash read comes back empty.
    return jobs.filter((job): job is Job => Boolean(job)).map((job) => toDeadLetter(name, job));
  }));
  return perQueue.flat().sort(newestFirst).slice(0, limit);
}

function parseDeadLetterId(queues: QueueSet, id: string): { queue: string; jobId: string } {
  const match = id.length <= DEAD_LETTER_ID_CHARS_MAX ? DEAD_LETTER_ID_PATTERN.exec(id) : null;
  if (!match?.[1] || !match[2]) throw new DeadLetterIdInvalidError(id);
  // Unknown queue: not found rather than a Queue object created for arbitrary input.
  if (!queues.has(match[1])) throw new DeadLetterNotFoundError(id);
  return { queue: match[1], jobId: match[2] };
}

function isNotFailedAnyMore(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === ErrorCode.JobNotExist || code === ErrorCode.JobNotInState;
}

/**
 * Moves dead letter `id` back to waiting with a fresh set of attempts (the cause is
 * presumed fixed) and returns it as it was. Throws DeadLetterNotFoundError when no such
 * job is in the failed set.
 */
export async function replayDeadLetter(queues: QueueSet, id: string): Promise<DeadLetter> {
  const { queue, jobId } = parseDeadLetterId(queues, id);
  const job = await queues.get(queue).getJob(jobId);
  if (!job || (await job.getState()) !== 'failed') throw new DeadLetterNotFoundError(id);
  const record = toDeadLetter(queue, job);
  try {
    // The retry script re-checks the failed set atomically: a concurrent replay loses here.
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  } catch (error) {
    if (isNotFailedAnyMore(error)) throw new DeadLetterNotFoundError(id);
    throw error;
  }
  return record;
}
