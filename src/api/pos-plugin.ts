/**
 * The POS request pipeline as a fastify plugin. Route authors write plain handlers:
 *
 *   await app.register(posRoutes(posDeps, async (pos) => {
 *     pos.post('/v1/pos/repayments', { schema }, async (request) => { const who = posStaff(request); ... });
 *     pos.post('/v1/pos/day-close', { preValidation: requireRole('manager'), schema }, handler);
 *   }));
 *
 * and every route inside gets, in this order:
 *   onRequest      signed headers, timestamp, terminal lookup          (401 UNAUTHORIZED + reason)
 *   preValidation  signature over the raw body, suspension, nonce      (401 UNAUTHORIZED + reason)
 *                  staff session for this terminal → request.pos      (401 STAFF_SESSION_*)
 *                  Idempotency-Key present and well formed (POST)     (400 IDEMPOTENCY_KEY_*)
 *   [route preValidation, e.g. requireRole('manager')]                (403 FORBIDDEN)
 *   validation     the route's schema                                  (400 VALIDATION_FAILED)
 *   preHandler     idempotency claim: replay / 422 / 409 / run         (see pos/idempotency.ts)
 *   onSend         the answer is stored (or the key released on 5xx)
 *
 * A refused request runs no handler and writes no idempotency row. The plugin is not
 * wrapped with fastify-plugin on purpose: its hooks must stay inside its own routes.
 * Register several `posRoutes(...)` side by side if you like; each is its own scope.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyHooks, IdempotencyStore, parseIdempotencyKey, type IdempotencyOptions } from '../pos/idempotency.js';
import { STAFF_SESSION_HEADER, StaffSessions, staffSessionRoutes } from '../pos/staff-sessions.js';
import {
  NONCE_HEADER, SIGNATURE_HEADER, TerminalAuthenticator, TERMINAL_ID_HEADER, TIMESTAMP_HEADER,
  type PendingTerminalAuth, type TerminalRefusal,
} from '../pos/terminal-auth.js';
import { sendError } from './errors.js';

export interface PosDeps {
  db: Database;
  redis: Redis;
  /**
   * Prefix of every POS key in Redis (spent nonces, staff sessions, PIN failure counts).
   * Production: POS_REDIS_KEY_PREFIX; tests pass a unique one so files do not collide.
   */
  redisKeyPrefix: string;
  now?: () => Date;
  idempotency?: IdempotencyOptions;
}

export const POS_REDIS_KEY_PREFIX = 'lending:pos';
export const POS_ROUTE_PREFIX = '/v1/pos/';

/** For `components.securitySchemes` of the OpenAPI document (app.ts). */
export const POS_SECURITY_SCHEMES = {
  posSignature: {
    type: 'apiKey', in: 'header', name: 'X-Signature',
    description: 'Terminal request signature (adapters/pos/PROTOCOL.md). Send X-Terminal-Id, X-Timestamp (unix seconds, within 300 s), '
      + 'X-Nonce (16-64 of [A-Za-z0-9_-], never reused) and X-Signature = hex(HMAC-SHA256(base64url-decoded terminal secret, '
      + 'METHOD + "\\n" + path-with-query + "\\n" + timestamp + "\\n" + nonce + "\\n" + hex(SHA-256(raw body bytes, or empty)))). '
      + 'Refusals are 401 {code: "UNAUTHORIZED", reason: missing_header | unknown_terminal | bad_signature | stale_timestamp | replayed_nonce | terminal_suspended}.',
  },
  posStaffSession: {
    type: 'apiKey', in: 'header', name: 'X-Staff-Session',
    description: 'Staff session token from POST /v1/pos/sessions; valid 8 hours, only on the terminal it was issued on. '
      + 'Every POST except sign-in also needs Idempotency-Key (8-128 of [A-Za-z0-9_-]); a replayed answer carries Idempotent-Replay: true.',
  },
} as const;

/** Headers to add to the logger's redact paths (X-Signature is there already). */
export const POS_LOG_REDACT_PATHS = ['req.headers["x-staff-session"]'];

type RouteScope = Parameters<FastifyPluginAsyncTypebox>[0];
export type PosRouteRegistrar = (app: RouteScope) => void | Promise<void>;

function refuseTerminal(reply: FastifyReply, refusal: TerminalRefusal): FastifyReply {
  return sendError(reply, 401, { code: 'UNAUTHORIZED', reason: refusal.reason, message: refusal.message });
}

interface Services {
  auth: TerminalAuthenticator;
  sessions: StaffSessions;
  idempotency: IdempotencyHooks;
}

const servicesByDeps = new WeakMap<PosDeps, Services>();

function servicesFor(deps: PosDeps): Services {
  let services = servicesByDeps.get(deps);
  if (!services) {
    const options = { db: deps.db, redis: deps.redis, redisKeyPrefix: deps.redisKeyPrefix, ...(deps.now ? { now: deps.now } : {}) };
    services = {
      auth: new TerminalAuthenticator(options),
      sessions: new StaffSessions(options),
      idempotency: new IdempotencyHooks(new IdempotencyStore(deps.db, deps.idempotency)),
    };
    servicesByDeps.set(deps, services);
  }
  return services;
}

/** The terminal row each request loaded in onRequest, for the later steps. */
const pendingByRequest = new WeakMap<FastifyRequest, PendingTerminalAuth>();

/** The body bytes the terminal signed: JSON as received, or nothing. */
function signedBody(request: FastifyRequest): string | undefined {
  if (request.rawBody !== undefined) return request.rawBody;
  return request.body === undefined ? '' : undefined;
}

/** Routes registered by `register` get terminal auth, staff session and idempotency. */
export function posRoutes(deps: PosDeps, register: PosRouteRegistrar): FastifyPluginAsyncTypebox {
  const { auth, sessions, idempotency } = servicesFor(deps);
  return async (app) => {
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith(POS_ROUTE_PREFIX)) throw new Error(`POS plugin routes live under ${POS_ROUTE_PREFIX}; got ${route.url}`);
      const security = route.config?.posStaffSession === false ? [{ posSignature: [] }] : [{ posSignature: [], posStaffSession: [] }];
      route.schema = { ...route.schema, security };
    });

    app.addHook('onRequest', async (request, reply) => {
      const pending = await auth.begin(request.headers);
      if (!pending.ok) return refuseTerminal(reply, pending);
      pendingByRequest.set(request, pending);
    });

    app.addHook('preValidation', async (request, reply) => {
      const pending = pendingByRequest.get(request)!;
      const body = signedBody(request);
      if (body === undefined) {
        return sendError(reply, 415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'POS request bodies are JSON (Content-Type: application/json)' });
      }
      const verdict = await auth.finish(pending, request.method, request.url, body);
      if (!verdict.ok) {
        request.log.warn({ terminalId: pending.terminal.id, reason: verdict.reason }, 'POS request refused');
        return refuseTerminal(reply, verdict);
      }
      request.pos = verdict.context;

      const config = request.routeOptions.config;
      if (config.posStaffSession !== false) {
        const session = await sessions.check(request.headers[STAFF_SESSION_HEADER], verdict.context, pending.terminal.epoch);
        if (!session.ok) return sendError(reply, 401, { code: session.code, message: session.message });
        request.pos = { ...verdict.context, staffId: session.staffId, role: session.role };
      }

      if (request.method === 'POST' && config.posIdempotent !== false) {
        const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
        if (!key.ok) return sendError(reply, 400, { code: key.code, message: key.message, field: 'Idempotency-Key' });
      }
    });

    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST' || request.routeOptions.config.posIdempotent === false) return;
      const key = request.headers[IDEMPOTENCY_KEY_HEADER] as string;
      return idempotency.claim(request, reply, request.pos!.terminalId, key, signedBody(request) ?? '');
    });

    app.addHook('onSend', async (request, reply, payload) => {
      await idempotency.settle(request, reply, payload);
      return payload;
    });

    app.addHook('onResponse', async (request) => {
      await idempotency.abandon(request);
    });

    await register(app);
  };
}

/** Staff sign-in (POST) and sign-out (DELETE) at /v1/pos/sessions; register once. */
export function posSessionRoutes(deps: PosDeps): FastifyPluginAsyncTypebox {
  const { sessions } = servicesFor(deps);
  return posRoutes(deps, staffSessionRoutes(sessions, (request) => pendingByRequest.get(request)!.terminal.epoch));
}

/** Header names, for CORS allow-lists or docs. */
export const POS_REQUEST_HEADERS = [TERMINAL_ID_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER, STAFF_SESSION_HEADER, IDEMPOTENCY_KEY_HEADER] as const;
