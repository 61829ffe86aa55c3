/**
 * Nightly housekeeping: stored POS answers are kept for retries of the same Idempotency-Key,
 * which terminals make within minutes or, after a village outage, days; after
 * POS_IDEMPOTENCY_KEEP_DAYS they are removed so the table does not grow without end.
 */
import type { Database } from '../db/database.js';
import { IdempotencyStore } from '../pos/idempotency.js';
import { QUEUE_HOUSEKEEPING, type QueueSet } from '../queue/queues.js';
import type { QueueLogger } from '../queue/logger.js';
import type { QueueJob } from '../queue/workers.js';

export const HOUSEKEEPING_SCHEDULER_ID = 'nightly-housekeeping';
/** 03:00 Asia/Shanghai: after close of business, before stores open. */
export const HOUSEKEEPING_CRON = '0 3 * * *';
export const POS_IDEMPOTENCY_KEEP_DAYS = 30;

export async function scheduleHousekeeping(queues: QueueSet): Promise<void> {
  await queues.get(QUEUE_HOUSEKEEPING).upsertJobScheduler(
    HOUSEKEEPING_SCHEDULER_ID, { pattern: HOUSEKEEPING_CRON, tz: 'Asia/Shanghai' }, { name: 'housekeeping', data: {} });
}

export function housekeepingHandler(db: Database, logger: QueueLogger) {
  return async (job: QueueJob): Promise<void> => {
    const pruned = await new IdempotencyStore(db).prune(POS_IDEMPOTENCY_KEEP_DAYS);
    logger.info({ jobId: job.id, posIdempotencyRowsRemoved: pruned }, 'housekeeping done');
  };
}
