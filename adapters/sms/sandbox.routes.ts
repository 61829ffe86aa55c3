/**
 * Controls of the sandbox's simulated SMS gateway, for demos and partner testing: read what a
 * phone received, e.g. the one-time code of a contract signing. Served only in sandbox mode;
 * the phones are simulated.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../src/api/app.js';
import { opsErrors } from '../../src/api/schemas.js';
import { maskMobile, parseMobile } from '../../src/core/identity.js';
import type { SmsSimulator } from './simulator.js';

const InboxMessage = Type.Object({
  text: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()], { description: 'Our reference the message was sent under (the Parlay X correlator)' }),
  receivedAt: Type.String({ format: 'date-time' }),
  segments: Type.Integer({ minimum: 1 }),
});

export function smsSandboxRoutes(simulator: Pick<SmsSimulator, 'inbox'>) {
  return (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
    // The number travels in the body, never in the path: request logs carry paths.
    app.post('/v1/sandbox/sms/inbox', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['sandbox'], summary: 'What a simulated phone received from the SMS gateway, oldest first',
        body: Type.Object({ msisdn: Type.String({ minLength: 11, maxLength: 16 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ msisdnMasked: Type.String(), messages: Type.Array(InboxMessage) }), ...opsErrors } },
    }, async (request) => {
      const msisdn = parseMobile(request.body.msisdn, 'msisdn');
      const messages = simulator.inbox(msisdn).map((m) => ({ text: m.text, reference: m.reference, receivedAt: m.receivedAt.toISOString(), segments: m.segments }));
      return { msisdnMasked: maskMobile(msisdn), messages };
    });
  };
}
