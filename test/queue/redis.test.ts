import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisUnavailableError } from '../../src/queue/errors.js';
import { checkEvictionPolicy, openRedis, redactRedisUrl, type ConfigReader } from '../../src/queue/redis.js';
import { TEST_REDIS_URL } from './support.js';

const REJECT_WITHIN_MS = 6_000;

describe('openRedis', () => {
  const opened: Redis[] = [];
  afterAll(async () => { await Promise.all(opened.map((redis) => redis.quit())); });

  it('returns a client that answers and is configured for BullMQ', async () => {
    const redis = await openRedis(TEST_REDIS_URL);
    opened.push(redis);
    expect(await redis.ping()).toBe('PONG');
    expect(redis.options.maxRetriesPerRequest).toBeNull();
    expect(redis.options.connectTimeout).toBeGreaterThan(0);
  });

  it('rejects fast with one line naming the URL, the cause and how to start Redis', async () => {
    const url = 'redis://127.0.0.1:1';
    const started = Date.now();
    const error = await openRedis(url).then(() => undefined, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(REJECT_WITHIN_MS);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    const { message, code } = error as RedisUnavailableError;
    expect(code).toBe('REDIS_UNAVAILABLE');
    expect(message).not.toMatch(/\n/);
    expect(message).toContain(url);
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('redis-server');
    expect(message).toContain('REDIS_URL');
  });

  it('does not print the password of the URL', async () => {
    expect(redactRedisUrl('redis://user:s3cret@127.0.0.1:1/0')).toBe('redis://user:***@127.0.0.1:1/0');
    const error = await openRedis('redis://user:s3cret@127.0.0.1:1').then(() => undefined, (e: unknown) => e);
    expect((error as Error).message).not.toContain('s3cret');
    expect((error as Error).message).toContain('127.0.0.1:1');
  });

  it('rejects a URL that is not redis://', async () => {
    await expect(openRedis('http://127.0.0.1:6379')).rejects.toBeInstanceOf(RedisUnavailableError);
  });
});

describe('checkEvictionPolicy', () => {
  const answering = (reply: unknown): ConfigReader => ({ config: async () => reply });

  it('is quiet for the test Redis (noeviction)', async () => {
    const redis = await openRedis(TEST_REDIS_URL);
    try {
      expect(await checkEvictionPolicy(redis)).toBeNull();
    } finally {
      await redis.quit();
    }
  });

  it('warns about any other policy, in either reply shape', async () => {
    expect(await checkEvictionPolicy(answering(['maxmemory-policy', 'noeviction']))).toBeNull();
    expect(await checkEvictionPolicy(answering(['maxmemory-policy', 'allkeys-lru']))).toMatch(/allkeys-lru.*noeviction/);
    expect(await checkEvictionPolicy(answering({ 'maxmemory-policy': 'volatile-ttl' }))).toMatch(/volatile-ttl/);
  });

  it('warns that it could not verify when CONFIG is refused', async () => {
    const refusing: ConfigReader = { config: async () => { throw new Error("ERR unknown command 'CONFIG'"); } };
    expect(await checkEvictionPolicy(refusing)).toMatch(/Could not verify.*unknown command/);
    expect(await checkEvictionPolicy(answering([]))).toMatch(/Could not verify/);
  });
});
