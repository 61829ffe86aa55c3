import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { verifyCarrierWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../../billing/carrier-webhook.js';
import { shanghaiDate } from '../../core/calendar-date.js';
import { CRM_CHANGE_TYPES, SUBSCRIBER_STATUSES } from '../../core/subscriber-profile.js';
import { parseCrmChangeEvent, recordCrmEvent } from '../../risk/crm-events.js';
import type { AppDeps } from '../app.js';
import { sendError } from '../errors.js';
import { errorRef } from '../schemas.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export function carrierCrmRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/carrier/crm/events', {
      // The signature covers the raw body, so it is checked after parsing and before validation.
      preValidation: async (request, reply) => {
        const secret = deps.config.crm.webhookSecret;
        if (!secret) return sendError(reply, 503, { code: 'SERVICE_UNAVAILABLE', message: 'CRM change events are not configured (CRM_WEBHOOK_SECRET)' });
        const verdict = verifyCarrierWebhook(secret, {
          timestamp: request.headers[WEBHOOK_TIMESTAMP_HEADER], signature: request.headers[WEBHOOK_SIGNATURE_HEADER],
        }, request.rawBody ?? '', new Date());
        if (!verdict.ok) return sendError(reply, 401, { code: 'UNAUTHORIZED', message: verdict.reason });
      },
      schema: { tags: ['carrier'], summary: 'The carrier CRM notifies a subscriber change (signed); each event counts once',
        headers: Type.Object({ [WEBHOOK_TIMESTAMP_HEADER]: Type.String(), [WEBHOOK_SIGNATURE_HEADER]: Type.String() }),
        body: Type.Object({
          eventId: Type.String({ minLength: 1, maxLength: 64 }), msisdn: Type.String({ minLength: 11, maxLength: 16 }),
          type: literals(CRM_CHANGE_TYPES), occurredAt: Type.String({ description: 'ISO 8601 time of the change' }),
          status: Type.Optional(literals(SUBSCRIBER_STATUSES)), simIssuedOn: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ eventId: Type.String(), duplicate: Type.Boolean(), monitored: Type.Boolean(), profileUpdated: Type.Boolean(), loansAffected: Type.Integer() }),
          400: errorRef, 401: errorRef } },
    }, async (request) => recordCrmEvent(deps.db, parseCrmChangeEvent(request.body), (iso) => shanghaiDate(new Date(iso))));
  };
}
