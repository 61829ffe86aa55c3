/**
 * The billing queues' handlers and the daily deduction schedule. The daily run charges at
 * 09:00 Asia/Shanghai, after the night's close of business has brought dues up to date
 * and early enough that subscribers who top up during the day get a second attempt.
 */
import type { BillingConfig } from '../config.js';
import { shanghaiDate } from '../core/calendar-date.js';
import type { Database } from '../db/database.js';
import type { QueueLogger } from '../queue/logger.js';
import { QUEUE_BILLING_CHARGES, QUEUE_BILLING_DEDUCTION_RUNS, QUEUE_BILLING_FILES, QUEUE_BILLING_REFUNDS, type QueueName, type QueueSet } from '../queue/queues.js';
import { runBillingFileCycle, type BillingFileDeps } from './billing-files.js';
import type { JobHandler } from '../queue/workers.js';
import type { BillingPort } from './billing.port.js';
import { chargeAttemptHandler } from './charge-attempt.handler.js';
import { startDeductionRun } from './deduction-runs.js';
import { refundHandler } from './refunds.js';

export const DEDUCTION_SCHEDULER_ID = 'daily-phone-credit-deductions';
export const DEDUCTION_CRON = '0 9 * * *';
export const BILLING_FILES_SCHEDULER_ID = 'billing-file-cycle';
/** The carrier answers request files within minutes; settlement and recharge feeds arrive any time. */
export const BILLING_FILES_EVERY_MS = 5 * 60_000;

export async function scheduleBillingJobs(queues: QueueSet): Promise<void> {
  await queues.get(QUEUE_BILLING_DEDUCTION_RUNS).upsertJobScheduler(
    DEDUCTION_SCHEDULER_ID, { pattern: DEDUCTION_CRON, tz: 'Asia/Shanghai' }, { name: 'deduction-run', data: {} });
  await queues.get(QUEUE_BILLING_FILES).upsertJobScheduler(
    BILLING_FILES_SCHEDULER_ID, { every: BILLING_FILES_EVERY_MS }, { name: 'file-cycle', data: {} });
}

function billingFilesHandler(files: BillingFileDeps, logger: QueueLogger, clock: () => Date): JobHandler {
  return async (job) => {
    const cycle = await runBillingFileCycle(files, clock());
    logger.info({ jobId: job.id, sent: cycle.sent, collected: cycle.collected.map((c) => ({ name: c.name, status: c.result.status, reason: c.result.reason })) },
      'billing file cycle done');
  };
}

export interface BillingJobDeps {
  db: Database;
  billing: BillingPort;
  /** The SFTP batch cycle; without it only real-time deductions run. */
  files?: BillingFileDeps;
  config: BillingConfig;
  logger: QueueLogger;
  clock?: () => Date;
}

export function billingHandlers(deps: BillingJobDeps): Partial<Record<QueueName, JobHandler>> {
  const clock = deps.clock ?? (() => new Date());
  return {
    [QUEUE_BILLING_CHARGES]: chargeAttemptHandler({ db: deps.db, billing: deps.billing, config: deps.config, clock }),
    [QUEUE_BILLING_REFUNDS]: refundHandler({ db: deps.db, billing: deps.billing, clock }),
    ...(deps.files ? { [QUEUE_BILLING_FILES]: billingFilesHandler(deps.files, deps.logger, clock) } : {}),
    [QUEUE_BILLING_DEDUCTION_RUNS]: async (job) => {
      const run = await startDeductionRun(deps.db, {
        businessDate: shanghaiDate(clock()), mode: 'realtime', daysBefore: deps.config.deductionDaysBefore,
        attemptsMax: deps.config.attemptsPerInstallmentMax, actor: 'scheduler',
      });
      deps.logger.info({ jobId: job.id, ...run }, 'deduction run started');
    },
  };
}
