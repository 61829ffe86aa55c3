/**
 * One fastify app per API test file: its own migrated PostgreSQL database, the seed's
 * product library, a QueueSet on the test Redis under a unique prefix, and the admin
 * OPS_TOKEN. Requests go through `app.inject()`; nothing listens on a socket.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { courtListReader } from '../../adapters/court/dishonest-debtor-file.js';
import { buildApp, type BuildAppOptions } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { seedDefaultScorecard } from '../../src/risk/scorecard-repository.js';
import { QueueSet } from '../../src/queue/queues.js';
import { openRedis } from '../../src/queue/redis.js';
import { freshIdNumber, freshMobile, idNumberFromPrefix } from './identities.js';
import { createTestDatabase } from './test-database.js';

export const ADMIN_TOKEN = 'test-admin-token';
export const WEBHOOK_SECRET = 'test-webhook-secret';
export const INVESTOR_TOKEN_SECRET = 'test-investor-token-secret-0123456789abcdef';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ApiTestContext {
  app: FastifyInstance;
  db: Database;
  config: Config;
  queues: QueueSet;
  redis: Redis;
  /** BullMQ key prefix of this file's queues, e.g. `{test-<uuid>}`. */
  prefix: string;
  close(): Promise<void>;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Builds the app; call `close()` in afterAll (it closes app, queues, Redis keys and connection, and drops the database). */
export async function createApiApp(options: Pick<BuildAppOptions, 'logger' | 'sandboxRoutes'> = {}): Promise<ApiTestContext> {
  const { db, drop } = await createTestDatabase();
  const config = loadConfig({ OPS_TOKEN: ADMIN_TOKEN, BILLING_WEBHOOK_SECRET: WEBHOOK_SECRET, CRM_WEBHOOK_SECRET: WEBHOOK_SECRET, BANK_WEBHOOK_SECRET: WEBHOOK_SECRET,
    INVESTOR_TOKEN_SECRET: INVESTOR_TOKEN_SECRET });
  await seedProductLibrary(db, config.annualRateCeilingPpm);
  await seedDefaultScorecard(db);
  const redis = await openRedis(TEST_REDIS_URL);
  const prefix = `{test-${randomUUID()}}`;
  const queues = new QueueSet({ connection: redis, prefix });
  const app = await buildApp({ db, config, queues, redis, courtListReader, posRedisKeyPrefix: `${prefix}:pos`, investorRedisKeyPrefix: `${prefix}:investor`, ...options });
  return {
    app, db, config, queues, redis, prefix,
    close: async () => {
      await app.close();
      await queues.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
      await drop();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const adminHeaders = bearer(ADMIN_TOKEN);

/** inject() with the admin token unless other headers are given; parses the JSON body. */
export async function call(
  app: FastifyInstance, method: InjectOptions['method'], url: string, payload?: unknown,
  headers: Record<string, string> = adminHeaders,
): Promise<{ status: number; body: any; response: LightMyRequestResponse }> {
  const response = await app.inject({
    method, url, headers, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  });
  let body: unknown;
  try {
    body = response.body.length > 0 ? JSON.parse(response.body) : undefined;
  } catch {
    body = response.body;
  }
  return { status: response.statusCode, body, response };
}

/** Creates an ops user through the API (as admin) and returns its token. */
export async function createOpsUserToken(app: FastifyInstance, role: 'viewer' | 'operator' | 'admin', name = `${role}-${randomUUID().slice(0, 8)}`): Promise<string> {
  const { status, body } = await call(app, 'POST', '/v1/ops/users', { name, role });
  if (status !== 201) throw new Error(`creating ops user failed: ${status} ${JSON.stringify(body)}`);
  return body.token as string;
}

// ---- Chinese resident ID numbers (GB 11643-1999) and mobiles: from ./identities.ts ----

export { freshIdNumber as nextIdNumber, freshMobile as nextMobile, idNumberFromPrefix } from './identities.js';

/** The same ID number with a wrong check character (every other character is kept). */
export function withWrongCheckChar(idNumber: string): string {
  const right = idNumberFromPrefix(idNumber.slice(0, 17)).slice(17);
  const wrong = '10X98765432'.split('').find((c) => c !== right)!;
  return idNumber.slice(0, 17) + wrong;
}

/** Body of POST /v1/ops/loans for a fresh borrower; override any field. */
export function loanApplication(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    borrowerName: '张三丰', idNumber: freshIdNumber(), mobile: freshMobile(), productCode: 'Z001',
    principalFen: 5_000_000, repaymentChannels: ['passbook'], ...overrides,
  };
}

/** Applies, approves, contracts and disburses a loan (passbook) over HTTP; returns the loan id. */
export async function createActiveLoan(
  app: FastifyInstance, application: Record<string, unknown> = loanApplication(), businessDate = '2026-01-15',
): Promise<number> {
  const created = await call(app, 'POST', '/v1/ops/loans', application);
  if (created.status !== 201) throw new Error(`apply failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as number;
  for (const to of ['approved', 'contracted']) {
    const moved = await call(app, 'POST', `/v1/ops/loans/${id}/transitions`, { to, reason: `test ${to}` });
    if (moved.status !== 200) throw new Error(`transition to ${to} failed: ${moved.status} ${JSON.stringify(moved.body)}`);
  }
  const paid = await call(app, 'POST', `/v1/ops/loans/${id}/disbursement`, { channel: 'passbook', businessDate, reference: `DISB-${id}` });
  if (paid.status !== 200) throw new Error(`disbursement failed: ${paid.status} ${JSON.stringify(paid.body)}`);
  return id;
}
