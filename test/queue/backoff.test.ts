import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BACKOFF_CAPPED_EXPONENTIAL,
  cappedBackoffStrategy,
  cappedExponentialDelayMs,
  DEFAULT_JOB_OPTIONS,
  JOB_ATTEMPTS_MAX,
  JOB_BACKOFF_BASE_MS,
  JOB_BACKOFF_CAP_MS,
} from '../../src/queue/queues.js';

describe('capped exponential backoff', () => {
  it('starts at the base and doubles per retry', () => {
    expect([1, 2, 3, 4].map((n) => cappedExponentialDelayMs(n, 100, 10_000))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap, even for absurd attempt counts', () => {
    expect(cappedExponentialDelayMs(30, 100, 10_000)).toBe(10_000);
    expect(cappedExponentialDelayMs(5_000)).toBe(JOB_BACKOFF_CAP_MS);
  });

  it('is bounded by the cap and grows until it reaches it (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2_000 }),
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 1, max: 3_600_000 }),
      (attemptsMade, baseMs, capMs) => {
        const now = cappedExponentialDelayMs(attemptsMade, baseMs, capMs);
        const next = cappedExponentialDelayMs(attemptsMade + 1, baseMs, capMs);
        expect(now).toBeLessThanOrEqual(capMs);
        expect(now).toBeGreaterThanOrEqual(Math.min(baseMs, capMs));
        if (now < capMs) expect(next).toBeGreaterThan(now);
        else expect(next).toBe(capMs);
      },
    ));
  });

  it('default settings reach the cap within the attempts and keep failed jobs', () => {
    const delays = Array.from({ length: JOB_ATTEMPTS_MAX - 1 }, (_, i) => cappedExponentialDelayMs(i + 1));
    expect(delays[0]).toBe(JOB_BACKOFF_BASE_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(JOB_BACKOFF_CAP_MS);
    expect(DEFAULT_JOB_OPTIONS.backoff).toEqual({ type: BACKOFF_CAPPED_EXPONENTIAL, delay: JOB_BACKOFF_BASE_MS });
    expect(DEFAULT_JOB_OPTIONS.attempts).toBe(JOB_ATTEMPTS_MAX);
    expect(DEFAULT_JOB_OPTIONS.removeOnFail).toBe(false);
  });

  it('the worker strategy takes its base from the job and its cap from the constant', async () => {
    const job = (delay: number) => ({ opts: { backoff: { type: BACKOFF_CAPPED_EXPONENTIAL, delay } } }) as never;
    expect(await cappedBackoffStrategy(3, BACKOFF_CAPPED_EXPONENTIAL, new Error('x'), job(10))).toBe(40);
    expect(await cappedBackoffStrategy(40, BACKOFF_CAPPED_EXPONENTIAL, new Error('x'), job(10))).toBe(JOB_BACKOFF_CAP_MS);
    expect(await cappedBackoffStrategy(1, BACKOFF_CAPPED_EXPONENTIAL)).toBe(JOB_BACKOFF_BASE_MS);
  });
});
