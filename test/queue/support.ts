/**
 * Shared helpers for the queue tests: a Redis client on the test server, a key prefix per
 * test file (files run in parallel against one Redis), key clean-up and polling.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { QueueLogger } from '../../src/queue/logger.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCAN_COUNT = 1_000;
const POLL_INTERVAL_MS = 20;

/** A fresh prefix; braces keep the production hash-tag shape. */
export function testPrefix(): string {
  return `{test-${randomUUID()}}`;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', SCAN_COUNT);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  fields: object;
  message: string | undefined;
}

/** A QueueLogger that remembers what was logged. */
export function recordingLogger(): QueueLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (fields: object, message?: string) => { entries.push({ level, fields, message }); };
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}
