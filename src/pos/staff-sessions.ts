/**
 * Staff sign-in on a terminal. A clerk or manager signs in with staff id and 6-digit PIN
 * on a terminal of their own store and gets a session token for `X-Staff-Session`.
 *
 * - The token is 32 random bytes; Redis keeps the session under the token's SHA-256, so a
 *   Redis dump holds no usable token. It lives 8 hours (a shift) and is bound to the
 *   terminal it was issued on and to the terminal's status epoch: suspending (or
 *   reactivating) the terminal ends every session opened on it.
 * - Every request re-reads the staff row, so disabling someone takes effect at once and
 *   `request.pos.role` is the current role, not the one at sign-in.
 * - Wrong PINs are counted per staff id in Redis; the 5th within 15 minutes locks the id
 *   for 15 minutes. An attempt is counted *before* the PIN is checked, so a burst of
 *   parallel guesses cannot all slip in before the count reaches the limit; a correct
 *   PIN clears the count.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import { sendError } from '../api/errors.js';
import { errorRef } from '../api/schemas.js';
import { findStaffCredentials, PIN_PATTERN, STAFF_ID_PATTERN, STAFF_ROLES, type StaffRole } from './stores.js';
import { posRedis, type PosRequestContext } from './terminal-auth.js';

export const STAFF_SESSION_HEADER = 'x-staff-session';
export const SESSION_TTL_S = 8 * 60 * 60;
export const PIN_FAILURES_MAX = 5;
export const PIN_LOCKOUT_S = 15 * 60;
const SESSION_TOKEN_BYTES = 32;
const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface StaffSessionOptions {
  db: Database;
  redis: Redis;
  redisKeyPrefix: string;
  now?: () => Date;
}

export interface SessionGrant {
  sessionToken: string;
  staffId: string;
  role: StaffRole;
  expiresAt: string;
}

interface StoredSession {
  terminalId: string;
  storeCode: string;
  staffId: string;
  terminalEpoch: string;
  expiresAt: string;
}

export type SignInResult =
  | { ok: true; grant: SessionGrant }
  | { ok: false; status: 401; code: 'STAFF_CREDENTIALS_INVALID'; message: string; attemptsRemaining?: number }
  | { ok: false; status: 403; code: 'STAFF_DISABLED'; message: string }
  | { ok: false; status: 429; code: 'STAFF_LOCKED_OUT'; message: string; retryAfterS: number };

export type SessionCheck =
  | { ok: true; staffId: string; role: StaffRole }
  | { ok: false; code: 'STAFF_SESSION_REQUIRED' | 'STAFF_SESSION_INVALID'; message: string };

/**
 * Counts one attempt and says whether it may go ahead. The first attempt opens a 15-minute
 * window; the attempt that makes the count exceed the limit is refused with the lock's
 * remaining seconds. One script, so count and expiry cannot drift apart.
 */
const RESERVE_ATTEMPT_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return {n, redis.call('TTL', KEYS[1])} end
return {n, -1}`;

const tokenDigest = (token: string) => createHash('sha256').update(token).digest('hex');

export class StaffSessions {
  private readonly now: () => Date;
  /** A hash to verify against when the staff id is unknown, so timing does not tell. */
  private decoyHash: Promise<string> | undefined;

  constructor(private readonly options: StaffSessionOptions) {
    this.now = options.now ?? (() => new Date());
  }

  sessionKey(token: string): string {
    return `${this.options.redisKeyPrefix}:session:${tokenDigest(token)}`;
  }

  pinFailuresKey(staffId: string): string {
    return `${this.options.redisKeyPrefix}:pin-failures:${staffId}`;
  }

  private async burnTime(pin: string): Promise<void> {
    this.decoyHash ??= hash(randomBytes(16).toString('hex'));
    await verify(await this.decoyHash, pin).catch(() => false);
  }

  async signIn(terminal: PosRequestContext, terminalEpoch: string, staffId: string, pin: string): Promise<SignInResult> {
    const wrong = { ok: false, status: 401, code: 'STAFF_CREDENTIALS_INVALID', message: 'staff id or PIN is wrong' } as const;
    const staff = await findStaffCredentials(this.options.db, staffId);
    // Someone of another store (or no one) gets the same answer as a wrong PIN, after the
    // same work, and is not counted: their PIN was never tried.
    if (!staff || staff.storeCode !== terminal.storeCode) {
      await this.burnTime(pin);
      return wrong;
    }
    const key = this.pinFailuresKey(staffId);
    const [count, ttl] = (await posRedis(this.options.redis.eval(RESERVE_ATTEMPT_LUA, 1, key, PIN_FAILURES_MAX, PIN_LOCKOUT_S))) as [number, number];
    if (count > PIN_FAILURES_MAX) {
      const retryAfterS = Math.max(ttl, 1);
      return { ok: false, status: 429, code: 'STAFF_LOCKED_OUT', message: `too many wrong PINs; try again in ${Math.ceil(retryAfterS / 60)} minutes`, retryAfterS };
    }
    const pinOk = await verify(staff.pinHash, pin).catch(() => false);
    if (!pinOk) {
      // The lock runs 15 minutes from the failure that reached the limit.
      if (count === PIN_FAILURES_MAX) await posRedis(this.options.redis.expire(key, PIN_LOCKOUT_S));
      return { ...wrong, attemptsRemaining: PIN_FAILURES_MAX - count };
    }
    await posRedis(this.options.redis.del(key));
    if (!staff.active) return { ok: false, status: 403, code: 'STAFF_DISABLED', message: 'this staff member is disabled' };

    const sessionToken = randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + SESSION_TTL_S * 1000).toISOString();
    const session: StoredSession = { terminalId: terminal.terminalId, storeCode: terminal.storeCode, staffId, terminalEpoch, expiresAt };
    await posRedis(this.options.redis.set(this.sessionKey(sessionToken), JSON.stringify(session), 'EX', SESSION_TTL_S));
    return { ok: true, grant: { sessionToken, staffId, role: staff.role, expiresAt } };
  }

  /** Checks `X-Staff-Session` for this terminal (and its current status epoch). */
  async check(headerValue: unknown, terminal: PosRequestContext, terminalEpoch: string): Promise<SessionCheck> {
    if (typeof headerValue !== 'string' || headerValue.length === 0) {
      return { ok: false, code: 'STAFF_SESSION_REQUIRED', message: 'X-Staff-Session is required; sign in with POST /v1/pos/sessions' };
    }
    const invalid = { ok: false, code: 'STAFF_SESSION_INVALID', message: 'the staff session has ended or belongs elsewhere; sign in again' } as const;
    if (!SESSION_TOKEN_PATTERN.test(headerValue)) return invalid;
    const stored = await posRedis(this.options.redis.get(this.sessionKey(headerValue)));
    if (!stored) return invalid;
    const session = JSON.parse(stored) as StoredSession;
    if (session.terminalId !== terminal.terminalId || session.terminalEpoch !== terminalEpoch) return invalid;
    const staff = await findStaffCredentials(this.options.db, session.staffId);
    if (!staff || !staff.active || staff.storeCode !== terminal.storeCode) return invalid;
    return { ok: true, staffId: staff.id, role: staff.role };
  }

  /** Ends the session named by the header, if it is this terminal's; true when one ended. */
  async signOut(headerValue: string, terminal: PosRequestContext): Promise<boolean> {
    if (!SESSION_TOKEN_PATTERN.test(headerValue)) return false;
    const key = this.sessionKey(headerValue);
    const stored = await posRedis(this.options.redis.get(key));
    if (!stored || (JSON.parse(stored) as StoredSession).terminalId !== terminal.terminalId) return false;
    return (await posRedis(this.options.redis.del(key))) === 1;
  }
}

const ROLE_RANK: Record<StaffRole, number> = { clerk: 1, manager: 2 };

/**
 * Route-level hook: `{ preValidation: requireRole('manager') }`. Route hooks run after the
 * POS plugin's own preValidation (signature, session), and before the idempotency claim,
 * so a refused role leaves no idempotency row behind.
 */
export function requireRole(role: StaffRole): preValidationAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const current = request.pos?.role;
    if (!current) return sendError(reply, 401, { code: 'STAFF_SESSION_REQUIRED', message: 'this action needs a staff session' });
    if (ROLE_RANK[current] < ROLE_RANK[role]) {
      return sendError(reply, 403, { code: 'FORBIDDEN', message: `this action needs the store ${role} role; the signed-in staff member is a ${current}` });
    }
  };
}

/** The signed-in staff member of a POS request; for handlers behind the POS plugin. */
export function posStaff(request: FastifyRequest): Required<PosRequestContext> {
  const pos = request.pos;
  if (!pos?.staffId || !pos.role) throw new Error('posStaff() used on a route outside the POS plugin or one without a staff session');
  return { terminalId: pos.terminalId, storeCode: pos.storeCode, staffId: pos.staffId, role: pos.role };
}

const SessionGrantSchema = Type.Object({
  sessionToken: Type.String({ description: 'Send as X-Staff-Session on every other /v1/pos request' }),
  staffId: Type.String(), role: Type.Union([Type.Literal(STAFF_ROLES[0]), Type.Literal(STAFF_ROLES[1])]), expiresAt: Type.String({ description: 'ISO 8601' }),
});

/**
 * The sign-in and sign-out routes. They must be registered inside the POS plugin
 * (`posSessionRoutes` in api/pos-plugin.ts does that); the plugin passes `epochOf` because
 * only it knows the terminal row it loaded for the signature check.
 */
export function staffSessionRoutes(sessions: StaffSessions, epochOf: (request: FastifyRequest) => string): (app: Parameters<FastifyPluginAsyncTypebox>[0]) => Promise<void> {
  return async (app) => {
    app.post('/v1/pos/sessions', {
      // Sign-in is the one POS route without a staff session, and a retry of it must check
      // the PIN again (and count), so it is not replayed from an idempotency record either.
      config: { posStaffSession: false, posIdempotent: false },
      schema: {
        tags: ['pos'], summary: 'Staff sign-in on this terminal with staff id and PIN',
        body: Type.Object({ staffId: Type.String({ pattern: STAFF_ID_PATTERN }), pin: Type.String({ pattern: PIN_PATTERN }) }, { additionalProperties: false }),
        response: { 201: SessionGrantSchema, 400: errorRef, 401: errorRef, 403: errorRef, 429: errorRef },
      },
    }, async (request, reply) => {
      const result = await sessions.signIn(request.pos!, epochOf(request), request.body.staffId, request.body.pin);
      if (result.ok) {
        request.log.info({ terminalId: request.pos!.terminalId, staffId: result.grant.staffId }, 'staff signed in');
        return reply.status(201).send(result.grant);
      }
      request.log.warn({ terminalId: request.pos!.terminalId, staffId: request.body.staffId, code: result.code }, 'staff sign-in refused');
      const { ok: _ok, status, ...body } = result;
      if (body.code === 'STAFF_LOCKED_OUT') {
        const { retryAfterS, ...rest } = body;
        return sendError(reply.header('retry-after', String(retryAfterS)), status, { ...rest, retryAfterS });
      }
      return sendError(reply, status, body);
    });

    app.delete('/v1/pos/sessions', {
      schema: { tags: ['pos'], summary: 'Sign the staff member of X-Staff-Session out', response: { 204: Type.Null(), 401: errorRef } },
    }, async (request, reply) => {
      await sessions.signOut(String(request.headers[STAFF_SESSION_HEADER]), request.pos!);
      request.log.info({ terminalId: request.pos!.terminalId, staffId: request.pos!.staffId }, 'staff signed out');
      return reply.status(204).send(null);
    });
  };
}
