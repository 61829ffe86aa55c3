/**
 * Opening the Redis connection BullMQ runs on, and the start-up checks that make a
 * misconfigured Redis loud instead of silently losing jobs.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from './errors.js';
import { oneLine } from './logger.js';
import { withTimeout } from './time.js';

/** TCP connect phase; a firewalled host would otherwise hang for the OS default. */
export const REDIS_CONNECT_TIMEOUT_MS = 3_000;
/** Whole start-up probe (connect, ready check, PING) must finish within this. */
export const REDIS_READY_TIMEOUT_MS = 5_000;
/** CONFIG GET at start-up; a hanging answer must not block the boot. */
export const REDIS_CONFIG_TIMEOUT_MS = 3_000;
const REDIS_RECONNECT_STEP_MS = 200;
/** Reconnect delays grow by REDIS_RECONNECT_STEP_MS per try up to this ceiling. */
export const REDIS_RECONNECT_DELAY_MAX_MS = 5_000;
const REDIS_KEEPALIVE_INITIAL_DELAY_MS = 30_000;
const REDIS_CAUSE_CHARS_MAX = 200;
const REDIS_PROTOCOLS = ['redis:', 'rediss:'];

/** The URL as safe to print: a password in it is replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return oneLine(url, REDIS_CAUSE_CHARS_MAX);
  }
}

function connectionOptions(hasBeenReady: () => boolean): RedisOptions {
  return {
    lazyConnect: true,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    // BullMQ requires null: its blocking commands must survive a reconnect instead of
    // failing after N retries. For the same reason no commandTimeout/socketTimeout:
    // they would cut BullMQ's long blocking waits.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    keepAlive: REDIS_KEEPALIVE_INITIAL_DELAY_MS,
    connectionName: 'lending',
    // Before the first successful connection, fail at once so start-up reports the cause;
    // afterwards reconnect forever with a bounded delay (a Redis restart must not kill us).
    retryStrategy: (times) =>
      hasBeenReady() ? Math.min(times * REDIS_RECONNECT_STEP_MS, REDIS_RECONNECT_DELAY_MAX_MS) : null,
  };
}

function causeOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return oneLine(text, REDIS_CAUSE_CHARS_MAX);
}

/**
 * Connects and checks that Redis answers PING. Throws RedisUnavailableError (one line,
 * naming the URL, the cause and how to start Redis) when it does not, within
 * REDIS_READY_TIMEOUT_MS. The returned client is the one to pass to BullMQ; it
 * reconnects by itself after a later outage, and the caller should log its 'error' events.
 */
export async function openRedis(url: string): Promise<Redis> {
  const shownUrl = redactRedisUrl(url);
  if (!REDIS_PROTOCOLS.some((protocol) => url.startsWith(`${protocol}//`))) {
    throw new RedisUnavailableError(shownUrl, 'not a redis:// or rediss:// URL');
  }
  let ready = false;
  let lastError: unknown;
  const redis = new Redis(url, connectionOptions(() => ready));
  const remember = (error: unknown): void => { lastError = error; };
  redis.on('error', remember);
  try {
    const probe = redis.connect().then(() => redis.ping());
    await withTimeout(probe, REDIS_READY_TIMEOUT_MS, () => new Error(`no answer within ${REDIS_READY_TIMEOUT_MS} ms`));
  } catch (error) {
    redis.disconnect();
    // The socket error (ECONNREFUSED, ENOTFOUND, NOAUTH...) says more than the generic
    // "Connection is closed" that connect() rejects with.
    throw new RedisUnavailableError(shownUrl, causeOf(lastError ?? error));
  } finally {
    redis.off('error', remember);
  }
  ready = true;
  return redis;
}

const NOEVICTION = 'noeviction';

function policyFrom(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
  const value = (reply as Record<string, unknown> | null)?.['maxmemory-policy'];
  return typeof value === 'string' ? value : undefined;
}

/** What checkEvictionPolicy needs from a client; any ioredis client has it. */
export interface ConfigReader {
  config(subcommand: 'GET', parameter: string): Promise<unknown>;
}

/**
 * BullMQ keeps every job in Redis; with any eviction policy other than noeviction, Redis
 * under memory pressure deletes job keys and jobs vanish without a trace. Returns a
 * warning sentence to log at start, or null when the policy is noeviction.
 */
export async function checkEvictionPolicy(redis: ConfigReader): Promise<string | null> {
  let policy: string | undefined;
  try {
    const reply = await withTimeout(
      redis.config('GET', 'maxmemory-policy'),
      REDIS_CONFIG_TIMEOUT_MS,
      () => new Error(`no answer within ${REDIS_CONFIG_TIMEOUT_MS} ms`),
    );
    policy = policyFrom(reply);
  } catch (error) {
    // Managed Redis services often rename or refuse CONFIG.
    return `Could not verify Redis maxmemory-policy (${causeOf(error)}); make sure it is "${NOEVICTION}" or BullMQ may lose jobs under memory pressure.`;
  }
  if (policy === undefined) {
    return `Could not verify Redis maxmemory-policy (no value returned); make sure it is "${NOEVICTION}" or BullMQ may lose jobs under memory pressure.`;
  }
  if (policy === NOEVICTION) return null;
  return `Redis maxmemory-policy is "${policy}", not "${NOEVICTION}": under memory pressure Redis will evict BullMQ job keys and jobs will be lost; run CONFIG SET maxmemory-policy ${NOEVICTION} (and persist it).`;
}
