import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../../billing/carrier-webhook.js';
import { parseTransferResult, verifyBankCallback } from '../../bank/transfer-results.js';
import { applyTransferResult } from '../../pos/disbursement.js';
import type { AppDeps } from '../app.js';
import { sendError } from '../errors.js';
import { errorRef } from '../schemas.js';

/** The custody bank's signed results of the transfers we asked for (adapters/bank/API.md). */
export function bankCallbackRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/bank/transfer-results', {
      // The signature covers the raw body, so it is checked after parsing and before validation.
      preValidation: async (request, reply) => {
        const secret = deps.config.bank.webhookSecret;
        if (!secret) return sendError(reply, 503, { code: 'SERVICE_UNAVAILABLE', message: 'bank results are not configured (BANK_WEBHOOK_SECRET)' });
        const verdict = verifyBankCallback(secret, request.headers, request.rawBody ?? '', new Date());
        if (!verdict.ok) return sendError(reply, 401, { code: 'UNAUTHORIZED', message: verdict.reason });
      },
      schema: { tags: ['bank'], summary: 'The custody bank reports a transfer\'s result (signed); repeats and late arrivals count once',
        headers: Type.Object({ [WEBHOOK_TIMESTAMP_HEADER]: Type.String(), [WEBHOOK_SIGNATURE_HEADER]: Type.String() }),
        body: Type.Object({}, { additionalProperties: true }),
        response: { 200: Type.Object({ duplicate: Type.Boolean() }), 400: errorRef, 401: errorRef, 404: errorRef } },
    }, async (request) => applyTransferResult(deps.db, parseTransferResult(request.body), new Date()));
  };
}
