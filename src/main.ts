/**
 * Starts the whole system on one machine: database (PostgreSQL or embedded PGlite),
 * migrations, the seed's product library, queues and workers, the outbox relay, the
 * nightly close of business and the HTTP API. Wiring is by hand, here and nowhere else.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { courtListReader } from '../adapters/court/dishonest-debtor-file.js';
import { buildApp, LOG_REDACT_PATHS } from './api/app.js';
import { generateOpsToken } from './api/ops-auth.js';
import { CARRIER_SYSTEMS, ConfigError, loadConfig, type CarrierSystem, type Config } from './config.js';
import { DomainError } from './core/domain-error.js';
import { openDatabase } from './db/database.js';
import { scheduleNightlyCloseOfBusiness, closeOfBusinessHandler } from './jobs/close-of-business.schedule.js';
import { DomainEventSubscribers } from './jobs/domain-events.handler.js';
import { housekeepingHandler, scheduleHousekeeping } from './jobs/housekeeping.schedule.js';
import { seedProductLibrary } from './products/product-library.js';
import { billingHandlers, scheduleBillingJobs } from './billing/billing-jobs.js';
import { connectBilling } from './carrier-billing.js';
import { connectCrm } from './carrier-crm.js';
import { connectSms } from './carrier-sms.js';
import { connectBank } from './custody-bank.js';
import { bankTransferHandler } from './bank/transfer-jobs.js';
import { disbursementTransferHooks } from './pos/disbursement.js';
import { smsSendHandler } from './sms/outbound.js';
import { assessmentHandler } from './applications/assess-application.js';
import { seedDefaultScorecard } from './risk/scorecard-repository.js';
import { RedisUnavailableError } from './queue/errors.js';
import { OutboxRelay } from './queue/outbox.js';
import { QUEUE_APPLICATIONS, QUEUE_BANK_TRANSFERS, QUEUE_CLOSE_OF_BUSINESS, QUEUE_DOMAIN_EVENTS, QUEUE_HOUSEKEEPING, QUEUE_SMS_OUTBOUND, QueueSet } from './queue/queues.js';
import { checkEvictionPolicy, openRedis } from './queue/redis.js';
import { startWorkers } from './queue/workers.js';

const OUTBOX_RELAY_INTERVAL_MS = 200;

/** One banner line per carrier system: its address, the simulator serving it, or that nothing uses it yet. */
function describeEndpoints(config: Config, connected: Partial<Record<CarrierSystem, string>>): string[] {
  return (Object.keys(CARRIER_SYSTEMS) as CarrierSystem[]).map((system) =>
    `${CARRIER_SYSTEMS[system]}: ${connected[system] ?? (config.endpoints[system].kind === 'remote' ? 'configured, no adapter uses it yet' : 'no adapter uses it yet')}`);
}

async function main(): Promise<void> {
  const loaded = loadConfig();
  const generatedToken = loaded.opsToken ? undefined : generateOpsToken();
  const config: Config = {
    ...loaded,
    opsToken: loaded.opsToken ?? generatedToken,
    // Sandbox only (production requires it): investor sessions end when the sandbox restarts.
    investorTokenSecret: loaded.investorTokenSecret ?? randomBytes(32).toString('hex'),
    // The sandbox signs its simulated carrier's recharge notifications with a secret of its own.
    billing: { ...loaded.billing, webhookSecret: loaded.billing.webhookSecret ?? randomBytes(32).toString('hex') },
    crm: { ...loaded.crm, webhookSecret: loaded.crm.webhookSecret ?? randomBytes(32).toString('hex') },
    bank: {
      ...loaded.bank,
      requestSecret: loaded.bank.requestSecret ?? randomBytes(32).toString('hex'),
      webhookSecret: loaded.bank.webhookSecret ?? randomBytes(32).toString('hex'),
    },
  };
  const logger = pino({ level: config.logLevel, redact: LOG_REDACT_PATHS });

  const redis = await openRedis(config.redisUrl);
  redis.on('error', (error) => logger.error({ err: error.message }, 'redis connection error'));
  const evictionWarning = await checkEvictionPolicy(redis);
  if (evictionWarning) logger.warn(evictionWarning);

  const db = await openDatabase(config.databaseUrl, config.dataDir);
  await db.migrate();
  await seedProductLibrary(db, config.annualRateCeilingPpm);
  await seedDefaultScorecard(db);

  const crm = await connectCrm(config, new Date());
  const billing = await connectBilling(config, db, crm.accountOf);
  const sms = await connectSms(config);
  const bank = await connectBank(config);
  const queues = new QueueSet({ connection: redis, logger });
  const subscribers = new DomainEventSubscribers();
  const workers = startWorkers({
    connection: redis, logger,
    handlers: {
      [QUEUE_DOMAIN_EVENTS]: subscribers.handler(logger),
      [QUEUE_CLOSE_OF_BUSINESS]: closeOfBusinessHandler(db, logger),
      ...billingHandlers({ db, billing: billing.port, files: billing.files, config: config.billing, logger }),
      [QUEUE_APPLICATIONS]: assessmentHandler({ db, crm: crm.port, clock: () => new Date() }),
      [QUEUE_SMS_OUTBOUND]: smsSendHandler({ db, sms: sms.port }),
      [QUEUE_HOUSEKEEPING]: housekeepingHandler(db, logger),
      [QUEUE_BANK_TRANSFERS]: bankTransferHandler({ db, bank: bank.port, ...disbursementTransferHooks(db, () => new Date()) }),
    },
  });
  await scheduleNightlyCloseOfBusiness(queues);
  await scheduleBillingJobs(queues);
  await scheduleHousekeeping(queues);
  const relay = new OutboxRelay({ db, queues, logger });
  relay.start(OUTBOX_RELAY_INTERVAL_MS);

  const app = await buildApp({ db, config, queues, redis, courtListReader, logger: { level: config.logLevel, redact: LOG_REDACT_PATHS }, sandboxRoutes: [...billing.sandboxRoutes, ...crm.sandboxRoutes, ...sms.sandboxRoutes] });
  const address = await app.listen({ host: config.host, port: config.port });
  billing.startNotifier(address);
  crm.startNotifier(address);
  bank.startCallbacks(address);

  const lines = [
    `Carrier lending ${config.mode} is running at ${address}`,
    `  API docs:  ${address}/docs`,
    `  database:  ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`,
    ...describeEndpoints(config, { crm: crm.describe, sms: sms.describe, bank: bank.describe, billingSoap: billing.describe.soap, billingSftp: billing.describe.sftp }).map((line) => `  ${line}`),
    generatedToken ? `  ops token (generated for this run; set OPS_TOKEN to choose one): ${generatedToken}` : '  ops token: OPS_TOKEN',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await relay.stop();
    await workers.close();
    await billing.close();
    await crm.close();
    await sms.close();
    await bank.close();
    await queues.close();
    await db.close();
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Configuration and reachability problems are one clear line, not a stack trace.
  if (error instanceof RedisUnavailableError || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof DomainError) {
    process.stderr.write(`startup failed: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`startup failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  }
  process.exit(1);
});
