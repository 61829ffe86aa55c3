/**
 * Signed terminal requests and staff sessions through the real app, PostgreSQL and Redis:
 * every refusal reason, that a refusal does nothing, suspension taking effect on the next
 * request, PIN lockout, sessions bound to their terminal, and the manager role.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTerminalClient, newNonce, signedHeaders, type FetchLike } from '../../adapters/pos/terminal-client.js';
import type { AppDeps } from '../../src/api/app.js';
import { posRoutes, type PosDeps } from '../../src/api/pos-plugin.js';
import { posStaff, requireRole, PIN_FAILURES_MAX } from '../../src/pos/staff-sessions.js';
import { call, createApiApp, type ApiTestContext } from '../support/api-app.js';

const STORE = 'AUTH-01';
const OTHER_STORE = 'AUTH-02';
const CLERK = { id: 'C1001', pin: '480215' };
const MANAGER = { id: 'M1001', pin: '735904' };
const LOCKED_CLERK = { id: 'C1002', pin: '602817' };
const OTHER_STORE_CLERK = { id: 'C2001', pin: '318640' };

interface Terminal { id: string; secret: string }

describe('POS terminal authentication and staff sessions', () => {
  let ctx: ApiTestContext;
  /** Everything the app logged, at its most verbose, to search for secrets at the end. */
  const logged: string[] = [];
  const sessionTokens = new Set<string>();
  let a: Terminal;
  let b: Terminal;
  let other: Terminal;

  /**
   * The test routes share the app's POS state in Redis (its sessions, nonces), so they use
   * the key prefix test/support/api-app.ts gives the app: `<queue prefix>:pos`.
   */
  const posDepsFor = (() => {
    let deps: PosDeps | undefined;
    return (app: AppDeps): PosDeps => (deps ??= { db: app.db, redis: app.redis, redisKeyPrefix: `${app.queues.prefix}:pos` });
  })();

  beforeAll(async () => {
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { logged.push(chunk.toString('utf8')); done(); } });
    ctx = await createApiApp({
      logger: { level: 'trace', stream },
      sandboxRoutes: [
        (deps) => posRoutes(posDepsFor(deps), async (pos) => {
          pos.get('/v1/pos/test/whoami', async (request) => posStaff(request));
          pos.post('/v1/pos/test/calls', async (request) => {
            const [row] = await deps.db.query<{ id: number }>(`INSERT INTO pos_test_calls (terminal_id) VALUES ($1) RETURNING id`, [request.pos!.terminalId]);
            return { id: row!.id, body: request.body ?? null };
          });
          pos.post('/v1/pos/test/manager-only', { preValidation: requireRole('manager') }, async (request) => ({ staffId: posStaff(request).staffId }));
        }),
      ],
    });
    await ctx.db.query(`CREATE TABLE pos_test_calls (id serial PRIMARY KEY, terminal_id text NOT NULL)`);
    for (const code of [STORE, OTHER_STORE]) {
      const created = await call(ctx.app, 'POST', '/v1/ops/stores', { code, name: '测试营业厅', region: '广东省清远市', county: '英德市', villages: ['浦村'] });
      expect(created.status).toBe(201);
    }
    const terminal = async (code: string, id: string): Promise<Terminal> => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/stores/${code}/terminals`, { id });
      expect(status).toBe(201);
      return { id: body.terminal.id, secret: body.secret };
    };
    a = await terminal(STORE, 'AUTH01-A');
    b = await terminal(STORE, 'AUTH01-B');
    other = await terminal(OTHER_STORE, 'AUTH02-A');
    for (const [code, staff, role] of [[STORE, CLERK, 'clerk'], [STORE, MANAGER, 'manager'], [STORE, LOCKED_CLERK, 'clerk'], [OTHER_STORE, OTHER_STORE_CLERK, 'clerk']] as const) {
      const { status } = await call(ctx.app, 'POST', `/v1/ops/stores/${code}/staff`, { id: staff.id, name: '员工', role, pin: staff.pin });
      expect(status).toBe(201);
    }
  });

  afterAll(async () => { await ctx?.close(); });

  interface SignedCall {
    method?: 'GET' | 'POST' | 'DELETE';
    path: string;
    body?: unknown;
    terminal?: Terminal;
    /** What is signed, when it should differ from what is sent. */
    signedPath?: string;
    signedBody?: string;
    secret?: string;
    timestamp?: number;
    nonce?: string;
    session?: string;
    key?: string;
    headers?: Record<string, string | undefined>;
  }

  async function signed(options: SignedCall) {
    const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
    const terminal = options.terminal ?? a;
    const text = options.body === undefined ? '' : JSON.stringify(options.body);
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const parts = { method, pathWithQuery: options.signedPath ?? options.path, timestamp, nonce: options.nonce ?? newNonce(), body: options.signedBody ?? text };
    const headers: Record<string, string> = { ...signedHeaders(terminal.id, options.secret ?? terminal.secret, parts) };
    if (text) headers['content-type'] = 'application/json';
    if (options.session) headers['x-staff-session'] = options.session;
    if (method === 'POST') headers['idempotency-key'] = options.key ?? randomUUID();
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const response = await ctx.app.inject({ method, url: options.path, headers, ...(text ? { payload: text } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, response };
  }

  const signIn = async (staff: { id: string; pin: string }, terminal: Terminal = a) =>
    signed({ path: '/v1/pos/sessions', body: { staffId: staff.id, pin: staff.pin }, terminal });

  async function sessionFor(staff: { id: string; pin: string }, terminal: Terminal = a): Promise<string> {
    const { status, body } = await signIn(staff, terminal);
    expect(status).toBe(201);
    sessionTokens.add(body.sessionToken as string);
    return body.sessionToken as string;
  }

  async function counts(): Promise<{ calls: number; keys: number }> {
    const [row] = await ctx.db.query<{ calls: number; keys: number }>(
      `SELECT (SELECT count(*) FROM pos_test_calls)::int AS calls, (SELECT count(*) FROM pos_idempotency)::int AS keys`);
    return row!;
  }

  function expectRefused(result: { status: number; body: { code: string; reason: string; message: string } }, reason: string) {
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ code: 'UNAUTHORIZED', reason, message: expect.any(String) });
  }

  describe('signatures', () => {
    it('accepts a correctly signed GET and POST and tells the handler who called', async () => {
      const session = await sessionFor(CLERK);
      const who = await signed({ path: '/v1/pos/test/whoami?x=1&y=%E6%B5%A6', session });
      expect(who.status).toBe(200);
      expect(who.body).toEqual({ terminalId: a.id, storeCode: STORE, staffId: CLERK.id, role: 'clerk' });
      const posted = await signed({ path: '/v1/pos/test/calls', body: { amountFen: 10_000, note: '现金还款' }, session });
      expect(posted.status).toBe(200);
      expect(posted.body.body).toEqual({ amountFen: 10_000, note: '现金还款' });
    });

    it('refuses a signature made with another secret', async () => {
      const session = await sessionFor(CLERK);
      expectRefused(await signed({ path: '/v1/pos/test/whoami', session, secret: randomBytes(32).toString('base64url') }), 'bad_signature');
      expectRefused(await signed({ path: '/v1/pos/test/whoami', session, secret: b.secret }), 'bad_signature');
    });

    it('refuses a body changed after signing', async () => {
      const session = await sessionFor(CLERK);
      const before = await counts();
      const result = await signed({ path: '/v1/pos/test/calls', body: { amountFen: 99_999 }, signedBody: JSON.stringify({ amountFen: 10_000 }), session });
      expectRefused(result, 'bad_signature');
      // Even whitespace counts: the signature is over bytes, not over the parsed JSON.
      expectRefused(await signed({ path: '/v1/pos/test/calls', body: { amountFen: 1 }, signedBody: '{ "amountFen": 1 }', session }), 'bad_signature');
      expect(await counts()).toEqual(before);
    });

    it('refuses a path or query changed after signing', async () => {
      const session = await sessionFor(CLERK);
      expectRefused(await signed({ path: '/v1/pos/test/whoami?x=2', signedPath: '/v1/pos/test/whoami?x=1', session }), 'bad_signature');
      expectRefused(await signed({ path: '/v1/pos/test/calls', signedPath: '/v1/pos/test/manager-only', body: {}, session }), 'bad_signature');
      expectRefused(await signed({ method: 'DELETE', path: '/v1/pos/sessions', signedPath: '/v1/pos/sessions?', session }), 'bad_signature');
    });

    it('refuses timestamps more than 300 s off, either way, and accepts ones inside', async () => {
      const session = await sessionFor(CLERK);
      const now = Math.floor(Date.now() / 1000);
      expectRefused(await signed({ path: '/v1/pos/test/whoami', session, timestamp: now - 302 }), 'stale_timestamp');
      expectRefused(await signed({ path: '/v1/pos/test/whoami', session, timestamp: now + 302 }), 'stale_timestamp');
      expect((await signed({ path: '/v1/pos/test/whoami', session, timestamp: now - 290 })).status).toBe(200);
      expect((await signed({ path: '/v1/pos/test/whoami', session, timestamp: now + 290 })).status).toBe(200);
    });

    it('refuses a nonce used before, but only spends nonces of valid requests', async () => {
      const session = await sessionFor(CLERK);
      const nonce = newNonce();
      // A forged request with this nonce must not burn it for the real terminal.
      expectRefused(await signed({ path: '/v1/pos/test/whoami', session, nonce, secret: randomBytes(32).toString('base64url') }), 'bad_signature');
      expect((await signed({ path: '/v1/pos/test/whoami', session, nonce })).status).toBe(200);
      expectRefused(await signed({ path: '/v1/pos/test/whoami', session, nonce }), 'replayed_nonce');
      const ttl = await ctx.redis.ttl(`${ctx.prefix}:pos:nonce:${a.id}:${nonce}`);
      expect(ttl).toBeGreaterThan(600);
      // The same captured request replayed verbatim is refused too.
      const key = randomUUID();
      const postNonce = newNonce();
      const before = await counts();
      expect((await signed({ path: '/v1/pos/test/calls', body: { n: 1 }, session, nonce: postNonce, key })).status).toBe(200);
      expectRefused(await signed({ path: '/v1/pos/test/calls', body: { n: 1 }, session, nonce: postNonce, key }), 'replayed_nonce');
      expect((await counts()).calls).toBe(before.calls + 1);
    });

    it('refuses an unknown terminal', async () => {
      expectRefused(await signed({ path: '/v1/pos/test/whoami', terminal: { id: 'NO-SUCH-TERMINAL', secret: a.secret } }), 'unknown_terminal');
    });

    it.each(['x-terminal-id', 'x-timestamp', 'x-nonce', 'x-signature'])('refuses a request without %s', async (name) => {
      expectRefused(await signed({ path: '/v1/pos/test/whoami', headers: { [name]: undefined } }), 'missing_header');
    });

    it.each([
      ['x-nonce', 'short'], ['x-nonce', 'has spaces in it, too many'], ['x-timestamp', '12.5'], ['x-signature', 'zz'],
    ])('refuses a malformed %s as missing_header', async (name, value) => {
      const result = await signed({ path: '/v1/pos/test/whoami', headers: { [name]: value } });
      expectRefused(result, 'missing_header');
      expect(result.body.message.toLowerCase()).toContain(name);
    });

    it('refuses a body that is not JSON, since only JSON bodies are kept byte for byte', async () => {
      const session = await sessionFor(CLERK);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const parts = { method: 'POST', pathWithQuery: '/v1/pos/test/calls', timestamp, nonce: newNonce(), body: 'amount=1' };
      const response = await ctx.app.inject({ method: 'POST', url: '/v1/pos/test/calls', payload: 'amount=1',
        headers: { ...signedHeaders(a.id, a.secret, parts), 'content-type': 'text/plain', 'x-staff-session': session, 'idempotency-key': randomUUID() } });
      expect(response.statusCode).toBe(415);
    });

    it('does nothing for a refused request: no handler, no idempotency row', async () => {
      const session = await sessionFor(CLERK);
      const before = await counts();
      const now = Math.floor(Date.now() / 1000);
      const nonce = newNonce();
      expect((await signed({ path: '/v1/pos/test/calls', body: { n: 0 }, session, nonce })).status).toBe(200);
      const attempts: SignedCall[] = [
        { path: '/v1/pos/test/calls', body: { n: 1 }, session, secret: b.secret },
        { path: '/v1/pos/test/calls', body: { n: 2 }, session, signedBody: '{"n":3}' },
        { path: '/v1/pos/test/calls', body: { n: 4 }, session, timestamp: now - 400 },
        { path: '/v1/pos/test/calls', body: { n: 5 }, session, timestamp: now + 400 },
        { path: '/v1/pos/test/calls', body: { n: 0 }, session, nonce },
        { path: '/v1/pos/test/calls', body: { n: 6 }, session, terminal: { id: 'GHOST-1', secret: a.secret } },
        { path: '/v1/pos/test/calls', body: { n: 7 }, session, headers: { 'x-signature': undefined } },
        { path: '/v1/pos/test/calls', body: { n: 8 } },
        { path: '/v1/pos/test/calls', body: { n: 9 }, session: 'A'.repeat(43) },
        { path: '/v1/pos/test/calls', body: { n: 10 }, session, headers: { 'idempotency-key': undefined } },
        { path: '/v1/pos/test/calls', body: { n: 11 }, session, headers: { 'idempotency-key': 'short' } },
      ];
      for (const attempt of attempts) expect((await signed(attempt)).status).toBeGreaterThanOrEqual(400);
      expect(await counts()).toEqual({ calls: before.calls + 1, keys: before.keys + 1 });
    });

    it('needs Idempotency-Key on POS POSTs, naming the header', async () => {
      const session = await sessionFor(CLERK);
      const missing = await signed({ path: '/v1/pos/test/calls', body: {}, session, headers: { 'idempotency-key': undefined } });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' });
      const bad = await signed({ path: '/v1/pos/test/calls', body: {}, session, key: 'has space' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID', field: 'Idempotency-Key' });
    });
  });

  describe('suspension', () => {
    it('refuses a suspended terminal even with a valid signature, from the very next request', async () => {
      const { body } = await call(ctx.app, 'POST', `/v1/ops/stores/${STORE}/terminals`, { id: 'AUTH01-S' });
      const s: Terminal = { id: body.terminal.id, secret: body.secret };
      const session = await sessionFor(CLERK, s);
      expect((await signed({ path: '/v1/pos/test/whoami', terminal: s, session })).status).toBe(200);

      expect((await call(ctx.app, 'POST', `/v1/ops/terminals/${s.id}/suspend`, { reason: '终端被盗' })).status).toBe(200);
      const before = await counts();
      expectRefused(await signed({ path: '/v1/pos/test/whoami', terminal: s, session }), 'terminal_suspended');
      expectRefused(await signed({ path: '/v1/pos/test/calls', body: {}, terminal: s, session }), 'terminal_suspended');
      expectRefused(await signIn(CLERK, s), 'terminal_suspended');
      expect(await counts()).toEqual(before);
      // A forger still learns nothing: a bad signature on a suspended terminal is a bad signature.
      expectRefused(await signed({ path: '/v1/pos/test/whoami', terminal: s, secret: a.secret }), 'bad_signature');

      expect((await call(ctx.app, 'POST', `/v1/ops/terminals/${s.id}/reactivate`, { reason: '已找回' })).status).toBe(200);
      // Sessions from before the suspension ended with it; staff sign in afresh.
      const stale = await signed({ path: '/v1/pos/test/whoami', terminal: s, session });
      expect(stale.status).toBe(401);
      expect(stale.body.code).toBe('STAFF_SESSION_INVALID');
      const fresh = await sessionFor(CLERK, s);
      expect((await signed({ path: '/v1/pos/test/whoami', terminal: s, session: fresh })).status).toBe(200);
    });
  });

  describe('staff sessions', () => {
    it('signs a clerk in with an 8-hour session bound to the terminal', async () => {
      const { status, body } = await signIn(CLERK);
      expect(status).toBe(201);
      expect(body).toEqual({ sessionToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), staffId: CLERK.id, role: 'clerk', expiresAt: expect.any(String) });
      const hours = (Date.parse(body.expiresAt) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(7.99);
      expect(hours).toBeLessThanOrEqual(8);
      // Redis holds the session under the token's digest, never the token itself.
      const keys = await ctx.redis.keys(`${ctx.prefix}:pos:session:*`);
      expect(keys.some((k) => k.includes(body.sessionToken))).toBe(false);
      const ttl = await ctx.redis.ttl(keys[0]!);
      expect(ttl).toBeGreaterThan(8 * 3600 - 60);
    });

    it('needs a session on every POS route but sign-in', async () => {
      const missing = await signed({ path: '/v1/pos/test/whoami' });
      expect(missing.status).toBe(401);
      expect(missing.body.code).toBe('STAFF_SESSION_REQUIRED');
      const forged = await signed({ path: '/v1/pos/test/whoami', session: randomBytes(32).toString('base64url') });
      expect(forged.body.code).toBe('STAFF_SESSION_INVALID');
    });

    it("does not accept terminal A's session on terminal B, even in the same store", async () => {
      const session = await sessionFor(CLERK, a);
      const onB = await signed({ path: '/v1/pos/test/whoami', terminal: b, session });
      expect(onB.status).toBe(401);
      expect(onB.body.code).toBe('STAFF_SESSION_INVALID');
      expect((await signed({ path: '/v1/pos/test/whoami', terminal: a, session })).status).toBe(200);
    });

    it("does not sign staff in on another store's terminal", async () => {
      const result = await signIn(OTHER_STORE_CLERK, a);
      expect(result.status).toBe(401);
      expect(result.body.code).toBe('STAFF_CREDENTIALS_INVALID');
      expect((await signIn(OTHER_STORE_CLERK, other)).status).toBe(201);
      const unknown = await signIn({ id: 'NOBODY1', pin: '480215' });
      expect(unknown.body).toEqual(result.body);
    });

    it('lets only a manager through requireRole("manager")', async () => {
      const clerk = await sessionFor(CLERK);
      const manager = await sessionFor(MANAGER);
      const refused = await signed({ path: '/v1/pos/test/manager-only', body: {}, session: clerk });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN');
      const allowed = await signed({ path: '/v1/pos/test/manager-only', body: {}, session: manager });
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ staffId: MANAGER.id });
      // The refusal left no idempotency row behind: the same key works for the manager.
      const key = randomUUID();
      expect((await signed({ path: '/v1/pos/test/manager-only', body: {}, session: clerk, key })).status).toBe(403);
      expect((await signed({ path: '/v1/pos/test/manager-only', body: {}, session: manager, key })).status).toBe(200);
    });

    it('locks a staff id out for 15 minutes after 5 wrong PINs, even for the right PIN', async () => {
      for (let i = 1; i <= PIN_FAILURES_MAX; i += 1) {
        const wrong = await signIn({ id: LOCKED_CLERK.id, pin: '000001' });
        expect(wrong.status).toBe(401);
        expect(wrong.body).toMatchObject({ code: 'STAFF_CREDENTIALS_INVALID', attemptsRemaining: PIN_FAILURES_MAX - i });
      }
      const locked = await signIn(LOCKED_CLERK);
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe('STAFF_LOCKED_OUT');
      const retryAfter = Number(locked.response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(14 * 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      // On every terminal of the store, not just the one that was guessed on.
      expect((await signIn(LOCKED_CLERK, b)).status).toBe(429);
      // Others are unaffected.
      expect((await signIn(CLERK)).status).toBe(201);
      // When the lock expires, the right PIN works and the count starts again.
      await ctx.redis.del(`${ctx.prefix}:pos:pin-failures:${LOCKED_CLERK.id}`);
      expect((await signIn(LOCKED_CLERK)).status).toBe(201);
      expect(await ctx.redis.exists(`${ctx.prefix}:pos:pin-failures:${LOCKED_CLERK.id}`)).toBe(0);
    });

    it('counts parallel guesses before checking them, so a burst gets no more than 5 tries', async () => {
      await call(ctx.app, 'POST', `/v1/ops/stores/${STORE}/staff`, { id: 'C1003', name: '员工', role: 'clerk', pin: '250913' });
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => signIn({ id: 'C1003', pin: String(100_000 + i * 7) })));
      expect(results.filter((r) => r.status === 401)).toHaveLength(PIN_FAILURES_MAX);
      expect(results.filter((r) => r.status === 429)).toHaveLength(12 - PIN_FAILURES_MAX);
      expect((await signIn({ id: 'C1003', pin: '250913' })).status).toBe(429);
    });

    it('a correct PIN clears earlier failures', async () => {
      await call(ctx.app, 'POST', `/v1/ops/stores/${STORE}/staff`, { id: 'C1004', name: '员工', role: 'clerk', pin: '582047' });
      for (let i = 0; i < PIN_FAILURES_MAX - 1; i += 1) expect((await signIn({ id: 'C1004', pin: '000001' })).status).toBe(401);
      expect((await signIn({ id: 'C1004', pin: '582047' })).status).toBe(201);
      const wrong = await signIn({ id: 'C1004', pin: '000001' });
      expect(wrong.body.attemptsRemaining).toBe(PIN_FAILURES_MAX - 1);
    });

    it('ends a session on sign-out and when the staff member is disabled', async () => {
      const session = await sessionFor(CLERK);
      const out = await signed({ method: 'DELETE', path: '/v1/pos/sessions', session });
      expect(out.status).toBe(204);
      expect((await signed({ path: '/v1/pos/test/whoami', session })).body.code).toBe('STAFF_SESSION_INVALID');

      await call(ctx.app, 'POST', `/v1/ops/stores/${STORE}/staff`, { id: 'C1005', name: '员工', role: 'clerk', pin: '691358' });
      const leaving = await sessionFor({ id: 'C1005', pin: '691358' });
      expect((await signed({ path: '/v1/pos/test/whoami', session: leaving })).status).toBe(200);
      await ctx.db.query(`UPDATE store_staff SET status = 'disabled' WHERE id = 'C1005'`);
      expect((await signed({ path: '/v1/pos/test/whoami', session: leaving })).body.code).toBe('STAFF_SESSION_INVALID');
      const again = await signIn({ id: 'C1005', pin: '691358' });
      expect(again.status).toBe(403);
      expect(again.body.code).toBe('STAFF_DISABLED');
    });
  });

  describe('the terminal client', () => {
    const injectFetch: FetchLike = async (url, init) => {
      const target = new URL(url);
      const response = await ctx.app.inject({
        method: init.method as InjectOptions['method'], url: target.pathname + target.search, headers: init.headers,
        ...(init.body === undefined ? {} : { payload: init.body }),
      });
      return {
        status: response.statusCode,
        headers: { get: (name: string) => { const v = response.headers[name.toLowerCase()]; return v === undefined ? null : String(v); } },
        text: async () => response.body,
      };
    };

    it('signs in, calls routes and signs out', async () => {
      const client = createTerminalClient({ baseUrl: 'http://pos.test', terminalId: a.id, secret: a.secret, fetch: injectFetch });
      const grant = await client.signIn(MANAGER.id, MANAGER.pin);
      expect(grant.role).toBe('manager');
      const who = await client.request<{ staffId: string }>('GET', '/v1/pos/test/whoami?q=%E6%B5%A6%E6%9D%91');
      expect(who).toMatchObject({ status: 200, body: { staffId: MANAGER.id }, replayed: false });
      const first = await client.request<{ id: number }>('POST', '/v1/pos/test/calls', { amountFen: 500, memo: '还款' }, { idempotencyKey: 'client-key-0001' });
      const again = await client.request<{ id: number }>('POST', '/v1/pos/test/calls', { amountFen: 500, memo: '还款' }, { idempotencyKey: 'client-key-0001' });
      expect(first.replayed).toBe(false);
      expect(again).toMatchObject({ status: 200, replayed: true, body: first.body });
      await client.signOut();
      expect(client.sessionToken).toBeUndefined();
    });

    it('reports a refused sign-in with the server code', async () => {
      const client = createTerminalClient({ baseUrl: 'http://pos.test', terminalId: a.id, secret: a.secret, fetch: injectFetch });
      await expect(client.signIn(CLERK.id, '999990')).rejects.toMatchObject({ status: 401, code: 'STAFF_CREDENTIALS_INVALID' });
    });

    it('corrects its clock from the server after a stale_timestamp refusal', async () => {
      const client = createTerminalClient({ baseUrl: 'http://pos.test', terminalId: a.id, secret: a.secret, fetch: injectFetch, nowMs: () => Date.now() - 3_600_000 });
      await client.signIn(CLERK.id, CLERK.pin);
      expect((await client.request('GET', '/v1/pos/test/whoami')).status).toBe(200);
    });
  });

  it('never logs terminal secrets, PINs or session tokens', () => {
    const log = logged.join('');
    expect(log).toContain('POS request refused');
    expect(log).toContain('staff sign-in refused');
    for (const secret of [a.secret, b.secret, other.secret]) expect(log).not.toContain(secret);
    // A PIN on its own, not six digits inside a timestamp or a response time.
    for (const pin of [CLERK.pin, MANAGER.pin, LOCKED_CLERK.pin, OTHER_STORE_CLERK.pin, '000001']) expect(log).not.toMatch(new RegExp(`(?<![0-9.])${pin}(?![0-9])`));
    expect(sessionTokens.size).toBeGreaterThan(5);
    for (const token of sessionTokens) expect(log).not.toContain(token);
  });
});
