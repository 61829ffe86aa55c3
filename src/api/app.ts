/**
 * The HTTP API: one fastify instance, routes per user group, one error shape. Built
 * without listening so tests use `app.inject()` and the OpenAPI writer needs no socket.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { QueueSet } from '../queue/queues.js';
import type { CourtListReaderFactory } from '../risk/import-court-list.js';
import { errorHandler, sendError } from './errors.js';
import { OpsAuthenticator } from './ops-auth.js';
import type { Redis } from 'ioredis';
import { POS_LOG_REDACT_PATHS, POS_REDIS_KEY_PREFIX, POS_SECURITY_SCHEMES, posSessionRoutes, type PosDeps } from './pos-plugin.js';
import { applicationRoutes } from './routes/applications.routes.js';
import { bankCallbackRoutes } from './routes/bank-callbacks.routes.js';
import { opsStoreRoutes } from './routes/ops-stores.routes.js';
import { posCounterRoutes } from './routes/pos.routes.js';
import { carrierBillingRoutes } from './routes/carrier-billing.routes.js';
import { carrierCrmRoutes } from './routes/carrier-crm.routes.js';
import { opsBillingRoutes } from './routes/ops-billing.routes.js';
import { opsCobRoutes } from './routes/ops-cob.routes.js';
import { opsLedgerRoutes } from './routes/ops-ledger.routes.js';
import { opsLoanRoutes } from './routes/ops-loans.routes.js';
import { opsProductRoutes } from './routes/ops-products.routes.js';
import { opsQueueRoutes } from './routes/ops-queues.routes.js';
import { opsRiskRoutes } from './routes/ops-risk.routes.js';
import { opsUserRoutes } from './routes/ops-users.routes.js';
import { publicRoutes } from './routes/public.routes.js';
import { INVESTOR_SECURITY_SCHEMES, investorRoutes } from './routes/investor.routes.js';
import { ErrorResponse } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received, for signature checks over exact bytes. */
    rawBody?: string;
  }
}

export const BODY_BYTES_MAX = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 120_000;
const JSON_NESTING_DEPTH_MAX = 32;

export interface AppDeps {
  db: Database;
  config: Config;
  queues: QueueSet;
  auth: OpsAuthenticator;
  /** Parses the court dishonest-debtor list file (adapters/court). */
  courtListReader: CourtListReaderFactory;
  /** Redis for POS nonces and staff sessions. */
  redis: Redis;
}

export interface BuildAppOptions {
  db: Database;
  config: Config;
  queues: QueueSet;
  courtListReader: CourtListReaderFactory;
  redis: Redis;
  /** Key prefix of POS state in Redis; tests give each file its own. */
  posRedisKeyPrefix?: string;
  /** Key prefix of investor state in Redis (login rate limit); tests give each file its own. */
  investorRedisKeyPrefix?: string;
  logger?: FastifyServerOptions['logger'];
  /** Routes only the sandbox serves (the simulators' controls), registered after the product's own. */
  sandboxRoutes?: readonly ((deps: AppDeps) => FastifyPluginAsyncTypebox)[];
}

/** Log redaction: credentials never reach the log; request bodies are not logged at all. */
export const LOG_REDACT_PATHS = ['req.headers.authorization', 'req.headers["x-signature"]', 'req.headers.cookie', ...POS_LOG_REDACT_PATHS];

function rejectDeepJson(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      depth += 1;
      if (depth > JSON_NESTING_DEPTH_MAX) throw Object.assign(new Error('JSON nested too deeply'), { statusCode: 400, code: 'JSON_TOO_DEEP' });
    } else if (c === '}' || c === ']') depth -= 1;
  }
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_BYTES_MAX,
    requestTimeout: REQUEST_TIMEOUT_MS,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      const text = body as string;
      request.rawBody = text;
      if (text.length === 0) return done(Object.assign(new Error('empty JSON body'), { statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }));
      rejectDeepJson(text);
      done(null, JSON.parse(text));
    } catch (error) {
      const e = error as Error & { statusCode?: number; code?: string };
      done(Object.assign(e, { statusCode: 400, code: e.code ?? 'FST_ERR_CTP_INVALID_JSON_BODY' }));
    }
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.addSchema(ErrorResponse);
  await app.register(fastifySwagger, {
    // Name shared schemas by their $id in the document instead of def-0, def-1, ...
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Carrier-channel lending API', version: '1.0.0',
        description: 'Lending core and carrier channels. Money is integer fen; dates are Asia/Shanghai calendar dates.' },
      components: { securitySchemes: { opsBearer: { type: 'http', scheme: 'bearer' }, ...POS_SECURITY_SCHEMES, ...INVESTOR_SECURITY_SCHEMES } },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/ops/') || route.url.startsWith('/v1/applications')) route.schema = { ...route.schema, security: [{ opsBearer: [] }] };
  });
  const deps: AppDeps = { ...options, auth: new OpsAuthenticator(options.db, options.config.opsToken) };
  await app.register(publicRoutes(deps));
  await app.register(opsProductRoutes(deps));
  await app.register(opsLoanRoutes(deps));
  await app.register(opsLedgerRoutes(deps));
  await app.register(opsCobRoutes(deps));
  await app.register(opsQueueRoutes(deps));
  await app.register(opsUserRoutes(deps));
  await app.register(opsBillingRoutes(deps));
  await app.register(carrierBillingRoutes(deps));
  await app.register(applicationRoutes(deps));
  await app.register(opsRiskRoutes(deps));
  await app.register(carrierCrmRoutes(deps));
  await app.register(bankCallbackRoutes(deps));
  await app.register(opsStoreRoutes(deps));
  const posDeps: PosDeps = { db: deps.db, redis: deps.redis, redisKeyPrefix: options.posRedisKeyPrefix ?? POS_REDIS_KEY_PREFIX };
  await app.register(posSessionRoutes(posDeps));
  await app.register(posCounterRoutes(deps, posDeps));
  await app.register(investorRoutes(deps, { redisKeyPrefix: options.investorRedisKeyPrefix ?? 'investor' }));
  for (const routes of options.sandboxRoutes ?? []) await app.register(routes(deps));
  await app.ready();
  return app;
}
