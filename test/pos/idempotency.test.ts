/**
 * Idempotency-Key on POS writes, through the real app: test routes registered through the
 * POS plugin count how often their handler really ran, in a counter row.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newNonce, signedHeaders } from '../../adapters/pos/terminal-client.js';
import type { AppDeps } from '../../src/api/app.js';
import { posRoutes, type PosDeps } from '../../src/api/pos-plugin.js';
import { DomainError } from '../../src/core/domain-error.js';
import { requestSha256 } from '../../src/pos/idempotency.js';
import { call, createApiApp, type ApiTestContext } from '../support/api-app.js';

const STORE = 'IDEM-01';
const CLERK = { id: 'C5001', pin: '480215' };
/** Shorter than the production 10 s so the "still running" case does not slow the suite. */
const WAIT_MAX_MS = 1_500;

interface Terminal { id: string; secret: string; session: string }

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

describe('POS idempotency keys', () => {
  let ctx: ApiTestContext;
  let a: Terminal;
  let b: Terminal;
  /** Names of counters whose next run should fail, and how. */
  const failNext = new Map<string, 'throw' | '503'>();

  /**
   * The test routes share the app's POS state in Redis (its sessions, nonces), so they use
   * the key prefix test/support/api-app.ts gives the app: `<queue prefix>:pos`.
   */
  const posDepsFor = (() => {
    let deps: PosDeps | undefined;
    return (app: AppDeps): PosDeps => (deps ??= { db: app.db, redis: app.redis, redisKeyPrefix: `${app.queues.prefix}:pos`, idempotency: { waitMaxMs: WAIT_MAX_MS } });
  })();

  async function bump(deps: AppDeps, name: string): Promise<number> {
    const [row] = await deps.db.query<{ n: number }>(
      `INSERT INTO pos_test_counter (name, n) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET n = pos_test_counter.n + 1 RETURNING n`, [name]);
    return row!.n;
  }

  beforeAll(async () => {
    ctx = await createApiApp({
      sandboxRoutes: [
        (deps) => posRoutes(posDepsFor(deps), async (pos) => {
          pos.post('/v1/pos/test/counter', {
            schema: { body: Type.Object({ counter: Type.String(), delayMs: Type.Optional(Type.Integer()), amountFen: Type.Optional(Type.Integer()) }) },
          }, async (request, reply) => {
            const { counter, delayMs } = request.body;
            if (delayMs) await sleep(delayMs);
            const failure = failNext.get(counter);
            failNext.delete(counter);
            if (failure === 'throw') throw new Error('the bank adapter timed out');
            const n = await bump(deps, counter);
            if (failure === '503') return reply.status(503).send({ code: 'SERVICE_UNAVAILABLE', message: 'try again' });
            return reply.status(201).send({ counter, n, receiptNo: `R-${randomUUID()}`, staffId: request.pos!.staffId });
          });
          pos.post<{ Body: { counter: string } }>('/v1/pos/test/refuse', async (request) => {
            await bump(deps, request.body.counter);
            throw new DomainError('LOAN_NOT_REPAYABLE', 'loan 42 is not repayable');
          });
          pos.get('/v1/pos/test/read', async () => ({ ok: true }));
        }),
      ],
    });
    await ctx.db.query(`CREATE TABLE pos_test_counter (name text PRIMARY KEY, n integer NOT NULL)`);
    expect((await call(ctx.app, 'POST', '/v1/ops/stores', { code: STORE, name: '测试营业厅', region: '广东省', county: '英德市', villages: ['浦村'] })).status).toBe(201);
    expect((await call(ctx.app, 'POST', `/v1/ops/stores/${STORE}/staff`, { id: CLERK.id, name: '员工', role: 'clerk', pin: CLERK.pin })).status).toBe(201);
    const terminal = async (id: string): Promise<Terminal> => {
      const { body } = await call(ctx.app, 'POST', `/v1/ops/stores/${STORE}/terminals`, { id });
      const t = { id: body.terminal.id as string, secret: body.secret as string, session: '' };
      const signIn = await send(t, 'POST', '/v1/pos/sessions', { staffId: CLERK.id, pin: CLERK.pin }, undefined);
      expect(signIn.status).toBe(201);
      t.session = signIn.body.sessionToken;
      return t;
    };
    a = await terminal('IDEM01-A');
    b = await terminal('IDEM01-B');
  });

  afterAll(async () => { await ctx?.close(); });

  async function send(terminal: Terminal, method: 'GET' | 'POST', path: string, body: unknown, key: string | undefined, timestamp = Math.floor(Date.now() / 1000)) {
    const text = body === undefined ? '' : JSON.stringify(body);
    const parts = { method, pathWithQuery: path, timestamp: String(timestamp), nonce: newNonce(), body: text };
    const headers: Record<string, string> = { ...signedHeaders(terminal.id, terminal.secret, parts) };
    if (text) headers['content-type'] = 'application/json';
    if (terminal.session) headers['x-staff-session'] = terminal.session;
    if (key) headers['idempotency-key'] = key;
    const response = await ctx.app.inject({ method, url: path, headers, ...(text ? { payload: text } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, replayed: response.headers['idempotent-replay'] === 'true' };
  }

  async function ran(counter: string): Promise<number> {
    const [row] = await ctx.db.query<{ n: number }>(`SELECT n FROM pos_test_counter WHERE name = $1`, [counter]);
    return row?.n ?? 0;
  }

  async function row(terminalId: string, key: string) {
    const [found] = await ctx.db.query<{ state: string; status_code: number | null }>(
      `SELECT state, status_code FROM pos_idempotency WHERE terminal_id = $1 AND idempotency_key = $2`, [terminalId, key]);
    return found;
  }

  it('replays the first answer to the same key and body without running the handler again', async () => {
    const key = randomUUID();
    const body = { counter: 'replay', amountFen: 10_000 };
    const first = await send(a, 'POST', '/v1/pos/test/counter', body, key);
    expect(first).toMatchObject({ status: 201, replayed: false, body: { counter: 'replay', n: 1, staffId: CLERK.id } });
    const second = await send(a, 'POST', '/v1/pos/test/counter', body, key);
    expect(second).toEqual({ status: 201, replayed: true, body: first.body });
    expect(await ran('replay')).toBe(1);
    expect(await row(a.id, key)).toEqual({ state: 'done', status_code: 201 });
  });

  it('refuses the same key with another body or path (422) and runs nothing', async () => {
    const key = randomUUID();
    expect((await send(a, 'POST', '/v1/pos/test/counter', { counter: 'reuse', amountFen: 100 }, key)).status).toBe(201);
    const otherBody = await send(a, 'POST', '/v1/pos/test/counter', { counter: 'reuse', amountFen: 999 }, key);
    expect(otherBody.status).toBe(422);
    expect(otherBody.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' });
    const otherPath = await send(a, 'POST', '/v1/pos/test/refuse', { counter: 'reuse' }, key);
    expect(otherPath.status).toBe(422);
    expect(await ran('reuse')).toBe(1);
  });

  it('keeps keys per terminal', async () => {
    const key = randomUUID();
    const body = { counter: 'per-terminal' };
    expect((await send(a, 'POST', '/v1/pos/test/counter', body, key)).replayed).toBe(false);
    expect((await send(b, 'POST', '/v1/pos/test/counter', body, key)).replayed).toBe(false);
    expect(await ran('per-terminal')).toBe(2);
  });

  it('runs the handler once for 20 concurrent duplicates and gives all the same answer', async () => {
    const key = randomUUID();
    const body = { counter: 'burst', delayMs: 300 };
    const results = await Promise.all(Array.from({ length: 20 }, () => send(a, 'POST', '/v1/pos/test/counter', body, key)));
    expect(await ran('burst')).toBe(1);
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    for (const r of results) expect(r.body).toEqual(results[0]!.body);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS to a duplicate when the first outlasts the wait', async () => {
    const key = randomUUID();
    const body = { counter: 'slow', delayMs: WAIT_MAX_MS + 1_000 };
    const first = send(a, 'POST', '/v1/pos/test/counter', body, key);
    await sleep(100);
    const duplicate = await send(a, 'POST', '/v1/pos/test/counter', body, key);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect((await first).status).toBe(201);
    expect(await send(a, 'POST', '/v1/pos/test/counter', body, key)).toMatchObject({ status: 201, replayed: true });
    expect(await ran('slow')).toBe(1);
  });

  it('lets a retry run again after a handler threw (500) or answered 503', async () => {
    for (const failure of ['throw', '503'] as const) {
      const key = randomUUID();
      const counter = `retry-after-${failure}`;
      failNext.set(counter, failure);
      const failed = await send(a, 'POST', '/v1/pos/test/counter', { counter }, key);
      expect(failed.status).toBe(failure === 'throw' ? 500 : 503);
      expect(await row(a.id, key)).toBeUndefined();
      const retried = await send(a, 'POST', '/v1/pos/test/counter', { counter }, key);
      expect(retried).toMatchObject({ status: 201, replayed: false });
      expect(await send(a, 'POST', '/v1/pos/test/counter', { counter }, key)).toMatchObject({ status: 201, replayed: true, body: retried.body });
    }
  });

  it('stores a 4xx answer: the same request gets the same refusal without running again', async () => {
    const key = randomUUID();
    const first = await send(a, 'POST', '/v1/pos/test/refuse', { counter: 'refused' }, key);
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('LOAN_NOT_REPAYABLE');
    const again = await send(a, 'POST', '/v1/pos/test/refuse', { counter: 'refused' }, key);
    expect(again).toEqual({ status: 409, replayed: true, body: first.body });
    expect(await ran('refused')).toBe(1);
  });

  it('does not store schema refusals, which come before the key is claimed', async () => {
    const key = randomUUID();
    expect((await send(a, 'POST', '/v1/pos/test/counter', 'not an object', key)).status).toBe(400);
    expect(await row(a.id, key)).toBeUndefined();
  });

  it('is harmless when retries arrive out of order', async () => {
    const key = randomUUID();
    const body = { counter: 'out-of-order' };
    const now = Math.floor(Date.now() / 1000);
    // The retry (signed later) overtakes the original (signed 40 s earlier) on the network.
    const retry = await send(a, 'POST', '/v1/pos/test/counter', body, key, now);
    const original = await send(a, 'POST', '/v1/pos/test/counter', body, key, now - 40);
    expect(retry.replayed).toBe(false);
    expect(original).toEqual({ status: 201, replayed: true, body: retry.body });
    expect(await ran('out-of-order')).toBe(1);
  });

  it('takes over a key left in progress by a process that died long ago', async () => {
    const key = randomUUID();
    const body = { counter: 'orphan' };
    const hash = requestSha256('POST', '/v1/pos/test/counter', JSON.stringify(body));
    await ctx.db.query(`INSERT INTO pos_idempotency (terminal_id, idempotency_key, request_sha256, state, created_at)
      VALUES ($1, $2, $3, 'in_progress', now() - interval '11 minutes')`, [a.id, key, hash]);
    const result = await send(a, 'POST', '/v1/pos/test/counter', body, key);
    expect(result).toMatchObject({ status: 201, replayed: false });
    expect(await row(a.id, key)).toEqual({ state: 'done', status_code: 201 });
  });

  it('leaves GETs alone: no key needed, nothing stored', async () => {
    const before = await ctx.db.query(`SELECT 1 FROM pos_idempotency`);
    expect((await send(a, 'GET', '/v1/pos/test/read', undefined, undefined)).status).toBe(200);
    expect(await ctx.db.query(`SELECT 1 FROM pos_idempotency`)).toHaveLength(before.length);
  });
});
