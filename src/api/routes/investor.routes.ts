/**
 * The investor portal's accounts: registration, sessions, profile, questionnaire. Routes
 * under /v1/investor/me act only on the investor named by the access token: no investor id
 * ever appears in a path, so there is no one else's resource to ask for.
 */
import rateLimit from '@fastify/rate-limit';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/domain-error.js';
import { parseMobile } from '../../core/identity.js';
import { verifyAccessToken } from '../../investors/access-tokens.js';
import { confirmRegistration, investorProfile, PASSWORD_LENGTH_MAX, QUESTIONNAIRE_QUESTIONS, recordQuestionnaire, startRegistration } from '../../investors/accounts.js';
import { InvestorSessions } from '../../investors/sessions.js';
import type { AppDeps } from '../app.js';
import { sendError } from '../errors.js';
import { errorRef } from '../schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The investor of a valid access token; set by the investor routes' auth hook. */
    investorId?: number;
  }
}

export const INVESTOR_SECURITY_SCHEMES = { investorBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'investor access token' } } as const;
export const LOGIN_ATTEMPTS_PER_MINUTE = 5;
const bearerSecurity = [{ investorBearer: [] }];

export interface InvestorRouteOptions {
  /** Redis key prefix of the login rate limit; tests give each file its own. */
  redisKeyPrefix: string;
  now?: () => Date;
}

const TokenPairSchema = Type.Object({
  accessToken: Type.String({ description: 'Send as "Authorization: Bearer <token>"; valid expiresIn seconds' }),
  refreshToken: Type.String({ description: 'Single use: POST /v1/investor/sessions/refresh returns a new pair' }),
  expiresIn: Type.Integer({ description: 'Seconds the access token is valid' }),
});
const ProfileSchema = Type.Object({
  id: Type.Integer(), name: Type.String(),
  idNumber: Type.String({ description: 'Masked: 110105********123X' }),
  mobile: Type.String({ description: 'Masked: 138****5678' }),
  bankCard: Type.Object({ bankName: Type.String(), accountNumber: Type.String({ description: 'Masked: ****1234' }) }),
  riskLevel: Type.Union([Type.Integer({ minimum: 1, maximum: 5 }), Type.Null()], { description: 'Null until the questionnaire is answered' }),
  status: Type.String(), createdAt: Type.String({ description: 'ISO 8601' }),
});
const Registrant = {
  name: Type.String({ maxLength: 50 }), idNumber: Type.String({ maxLength: 18 }), mobile: Type.String({ maxLength: 20 }),
};
const RefreshBody = Type.Object({ refreshToken: Type.String({ maxLength: 100 }) }, { additionalProperties: false });

function normalisedMobile(value: unknown): string {
  try {
    return parseMobile(value, 'mobile');
  } catch {
    return String(value);
  }
}

export function investorRoutes(deps: AppDeps, options: InvestorRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    const now = options.now ?? (() => new Date());
    const secret = deps.config.investorTokenSecret;
    const sessions = secret ? new InvestorSessions(deps.db, secret, now) : undefined;
    const needSessions = (): InvestorSessions => {
      // Only a deployment without INVESTOR_TOKEN_SECRET gets here (loadConfig refuses that in production).
      if (!sessions) throw new DomainError('SERVICE_UNAVAILABLE', 'investor sign-in is not configured (INVESTOR_TOKEN_SECRET)');
      return sessions;
    };

    // Redis-backed, so the limit holds across every API process. Not global: only the
    // routes that name `config.rateLimit` are limited.
    await app.register(rateLimit, {
      global: false, redis: deps.redis, nameSpace: `${options.redisKeyPrefix}:login-rate:`, skipOnError: false,
      errorResponseBuilder: (_request, context) => new DomainError('RATE_LIMITED', `too many sign-in attempts; try again in ${Math.ceil(context.ttl / 1000)} seconds`),
    });

    const requireInvestor = async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization;
      const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
      const investorId = token && secret ? verifyAccessToken(secret, token, now()) : undefined;
      // Same answer for missing, tampered, expired, or of a disabled investor: nothing to learn from it.
      const profile = investorId === undefined ? undefined : await investorProfile(deps.db, investorId);
      if (!profile || profile.status !== 'active') return sendError(reply, 401, { code: 'UNAUTHORIZED', message: 'a valid investor access token is required' });
      request.investorId = investorId;
    };

    app.post('/v1/investor/registrations', {
      schema: {
        tags: ['investor'], summary: 'Start registering: sends an SMS code to the mobile',
        body: Type.Object(Registrant, { additionalProperties: false }),
        response: { 201: Type.Object({ challengeId: Type.Integer(), expiresAt: Type.String() }), 400: errorRef },
      },
    }, async (request, reply) => {
      const challenge = await startRegistration(deps.db, request.body, now());
      return reply.status(201).send(challenge);
    });

    app.post('/v1/investor/registrations/confirm', {
      schema: {
        tags: ['investor'], summary: 'Finish registering with the SMS code: creates the investor',
        body: Type.Object({
          ...Registrant,
          challengeId: Type.Integer({ minimum: 1 }), code: Type.String({ maxLength: 10 }),
          password: Type.String({ maxLength: PASSWORD_LENGTH_MAX, description: 'At least 10 characters, not all digits' }),
          bankCard: Type.Object({ bankName: Type.String({ maxLength: 50 }), accountNumber: Type.String({ maxLength: 30 }) }, { additionalProperties: false }),
        }, { additionalProperties: false }),
        response: { 201: Type.Object({ investorId: Type.Integer() }), 400: errorRef, 404: errorRef, 409: errorRef, 422: errorRef },
      },
    }, async (request, reply) => reply.status(201).send(await confirmRegistration(deps.db, request.body, now())));

    app.post('/v1/investor/sessions', {
      config: {
        // Per mobile and address: one attacker cannot lock a victim out from everywhere, and
        // one address cannot try a mobile more than five times a minute. preHandler, so the body is parsed.
        rateLimit: {
          max: LOGIN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000, hook: 'preHandler',
          // Normalised, so "+86 138..." and "138..." share one count.
          keyGenerator: (request) => `${normalisedMobile((request.body as { mobile?: unknown } | undefined)?.mobile)}|${request.ip}`,
        },
      },
      schema: {
        tags: ['investor'], summary: 'Sign in with mobile and password',
        body: Type.Object({ mobile: Type.String({ maxLength: 20 }), password: Type.String({ maxLength: PASSWORD_LENGTH_MAX }) }, { additionalProperties: false }),
        response: { 201: TokenPairSchema, 400: errorRef, 401: errorRef, 429: errorRef },
      },
    }, async (request, reply) => {
      const mobile = parseMobile(request.body.mobile, 'mobile');
      const pair = await needSessions().signIn(mobile, request.body.password);
      if (!pair) return sendError(reply, 401, { code: 'INVESTOR_CREDENTIALS_INVALID', message: 'mobile or password is wrong' });
      return reply.status(201).send(pair);
    });

    app.post('/v1/investor/sessions/refresh', {
      schema: {
        tags: ['investor'], summary: 'Trade a refresh token (once) for a new token pair',
        body: RefreshBody, response: { 201: TokenPairSchema, 400: errorRef, 401: errorRef },
      },
    }, async (request, reply) => {
      const pair = await needSessions().refresh(request.body.refreshToken);
      if (!pair) return sendError(reply, 401, { code: 'UNAUTHORIZED', message: 'the refresh token is unknown, used, revoked or expired; sign in again' });
      return reply.status(201).send(pair);
    });

    app.delete('/v1/investor/sessions', {
      preValidation: requireInvestor,
      schema: { tags: ['investor'], security: bearerSecurity, summary: 'Sign out: revokes the refresh token', body: RefreshBody, response: { 204: Type.Null(), 400: errorRef, 401: errorRef } },
    }, async (request, reply) => {
      await needSessions().signOut(request.investorId!, request.body.refreshToken);
      return reply.status(204).send(null);
    });

    app.get('/v1/investor/me', {
      preValidation: requireInvestor,
      schema: { tags: ['investor'], security: bearerSecurity, summary: 'The signed-in investor, with ID, mobile and account masked', response: { 200: ProfileSchema, 401: errorRef } },
    }, async (request) => (await investorProfile(deps.db, request.investorId!))!);

    app.post('/v1/investor/me/questionnaire', {
      preValidation: requireInvestor,
      schema: {
        tags: ['investor'], security: bearerSecurity, summary: 'Answer the risk questionnaire: five answers, 1 (cautious) to 5 (risk-taking); sets the risk level',
        body: Type.Object({ answers: Type.Array(Type.Integer({ minimum: 1, maximum: 5 }), { minItems: QUESTIONNAIRE_QUESTIONS, maxItems: QUESTIONNAIRE_QUESTIONS }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ riskLevel: Type.Integer({ minimum: 1, maximum: 5 }) }), 400: errorRef, 401: errorRef },
      },
    }, async (request) => ({ riskLevel: await recordQuestionnaire(deps.db, request.investorId!, request.body.answers) }));
  };
}
