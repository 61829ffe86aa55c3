/**
 * Close of business runs every night through the queue: a BullMQ job scheduler adds one
 * job per day shortly after midnight Asia/Shanghai, and the worker closes the day that
 * just ended. A job may also name its date (ops replaying a dead letter, a backfill).
 */
import { addDays, parseCalendarDate, shanghaiDate } from '../core/calendar-date.js';
import type { Database } from '../db/database.js';
import { QUEUE_CLOSE_OF_BUSINESS, type QueueSet } from '../queue/queues.js';
import type { QueueJob } from '../queue/workers.js';
import type { QueueLogger } from '../queue/logger.js';
import { closeOfBusiness } from './close-of-business.js';

export const COB_SCHEDULER_ID = 'nightly-close-of-business';
/** 00:30 every day in Asia/Shanghai: late card and cash postings of the day are in by then. */
export const COB_CRON = '30 0 * * *';
export const COB_TIME_ZONE = 'Asia/Shanghai';

export async function scheduleNightlyCloseOfBusiness(queues: QueueSet): Promise<void> {
  await queues.get(QUEUE_CLOSE_OF_BUSINESS).upsertJobScheduler(
    COB_SCHEDULER_ID, { pattern: COB_CRON, tz: COB_TIME_ZONE }, { name: 'close-of-business', data: {} });
}

/** The business date a job closes: the one it names, else yesterday in Asia/Shanghai. */
export function businessDateFor(job: QueueJob, now: Date): string {
  const named = (job.data as { businessDate?: unknown } | null)?.businessDate;
  return named === undefined ? addDays(shanghaiDate(now), -1) : parseCalendarDate(named, 'businessDate');
}

export function closeOfBusinessHandler(db: Database, logger: QueueLogger, clock: () => Date = () => new Date()) {
  return async (job: QueueJob): Promise<void> => {
    const summary = await closeOfBusiness(db, businessDateFor(job, clock()));
    logger.info({ jobId: job.id, ...summary }, 'close of business finished');
  };
}
