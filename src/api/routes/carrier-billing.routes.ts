import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { verifyCarrierWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../../billing/carrier-webhook.js';
import { parseRechargeEvent, recordRecharge } from '../../billing/recharges.js';
import type { AppDeps } from '../app.js';
import { errorRef, Fen } from '../schemas.js';
import { sendError } from '../errors.js';

export function carrierBillingRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/carrier/billing/recharges', {
      // The signature covers the raw body, so it is checked after parsing and before validation.
      preValidation: async (request, reply) => {
        const secret = deps.config.billing.webhookSecret;
        if (!secret) return sendError(reply, 503, { code: 'SERVICE_UNAVAILABLE', message: 'recharge notifications are not configured (BILLING_WEBHOOK_SECRET)' });
        const verdict = verifyCarrierWebhook(secret, {
          timestamp: request.headers[WEBHOOK_TIMESTAMP_HEADER], signature: request.headers[WEBHOOK_SIGNATURE_HEADER],
        }, request.rawBody ?? '', new Date());
        if (!verdict.ok) return sendError(reply, 401, { code: 'UNAUTHORIZED', message: verdict.reason });
      },
      schema: { tags: ['carrier'], summary: 'The carrier notifies a prepaid recharge (signed); each event counts once',
        headers: Type.Object({ [WEBHOOK_TIMESTAMP_HEADER]: Type.String(), [WEBHOOK_SIGNATURE_HEADER]: Type.String() }),
        body: Type.Object({ eventId: Type.String({ minLength: 1, maxLength: 64 }), msisdn: Type.String({ minLength: 11, maxLength: 16 }),
          amountFen: Fen('Recharged amount'), rechargedAt: Type.String({ description: 'ISO 8601 time of the top-up' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ eventId: Type.String(), duplicate: Type.Boolean(), attemptsTriggered: Type.Integer() }), 400: errorRef, 401: errorRef } },
    }, async (request) => recordRecharge(deps.db, parseRechargeEvent(request.body), 'webhook', deps.config.billing.attemptsPerInstallmentMax));
  };
}
