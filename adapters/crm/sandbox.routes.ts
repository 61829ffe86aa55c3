/**
 * Controls of the sandbox's simulated CRM, for demos and partner testing: read a synthetic
 * subscriber to apply as, register a subscriber with chosen features, and make a change at
 * the carrier (suspension, SIM swap, cancellation, port-out), which the carrier then
 * notifies, signed, like the real one. Served only in sandbox mode; the data is synthetic.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../src/api/app.js';
import { errorRef, opsErrors } from '../../src/api/schemas.js';
import { DomainError } from '../../src/core/domain-error.js';
import { maskMobile, parseIdNumber, parseMobile } from '../../src/core/identity.js';
import { CRM_CHANGE_TYPES, SUBSCRIBER_STATUSES, type SubscriberProfile } from '../../src/core/subscriber-profile.js';
import { populationMsisdn, type PopulationBook } from './population.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });
// What the wire contract carries (adapters/crm/wsdl): plain text, and a salted handset hash, never a raw IMEI.
const Place = Type.String({ minLength: 1, maxLength: 50, pattern: '^[^<>\\u0000-\\u001f]+$' });

const Profile = Type.Object({
  msisdn: Type.String({ minLength: 11, maxLength: 16 }),
  identity: Type.Object({ name: Type.String({ minLength: 2, maxLength: 50, pattern: '^[^<>\\u0000-\\u001f]+$' }), idNumber: Type.String({ minLength: 18, maxLength: 18 }) }),
  status: Type.Object({ status: literals(SUBSCRIBER_STATUSES), since: Day }),
  plan: Type.Object({ plan: Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')]), activatedOn: Day }),
  usage: Type.Object({ monthlySpendFen: Type.Array(Count, { minItems: 6, maxItems: 6 }),
    recharges: Type.Array(Type.Object({ date: Day, amountFen: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }), { maxItems: 500, description: 'Oldest first' }) }),
  address: Type.Object({ installedAddress: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^<>\\u0000-\\u001f]+$' }), county: Place, village: Place,
    villagesSeen: Type.Array(Place, { maxItems: 100 }), homeNightSharePercent: Type.Integer({ minimum: 0, maximum: 100 }) }),
  device: Type.Object({ deviceId: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9+/=_-]+$', description: 'Salted hash of the IMEI' }), deviceSince: Day, simIssuedOn: Day,
    lastSimSwapOn: Type.Union([Day, Type.Null()]) }),
  behaviour: Type.Object({ callActiveDays30: Type.Integer({ minimum: 0, maximum: 30 }), outgoingCalls30: Count, smsSent30: Count, regularContacts: Count }),
}, { additionalProperties: false });

export function crmSandboxRoutes(book: PopulationBook) {
  return (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
    app.get('/v1/sandbox/crm/population/:index', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['sandbox'], summary: 'A synthetic subscriber of the simulated CRM by position (0, 1, …), to apply as in demos',
        params: Type.Object({ index: Type.String({ pattern: '^[0-9]{1,9}$' }) }),
        response: { 200: Profile, 404: errorRef, ...opsErrors } },
    }, async (request) => {
      const profile = book.get(populationMsisdn(Number(request.params.index)));
      if (!profile) throw new DomainError('SUBSCRIBER_NOT_FOUND', `the simulated population has no subscriber ${request.params.index}`, 'index');
      return profile;
    });

    // The number travels in the body, never in the path: request logs carry paths.
    app.post('/v1/sandbox/crm/subscribers', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['sandbox'], summary: 'Register or replace a simulated subscriber with chosen carrier data',
        body: Profile, response: { 200: Type.Object({ msisdnMasked: Type.String() }), ...opsErrors } },
    }, async (request) => {
      const msisdn = parseMobile(request.body.msisdn, 'msisdn');
      parseIdNumber(request.body.identity.idNumber, 'identity.idNumber');
      book.upsert({ ...request.body, msisdn } as SubscriberProfile);
      return { msisdnMasked: maskMobile(msisdn) };
    });

    app.post('/v1/sandbox/crm/changes', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['sandbox'], summary: 'Make a change at the simulated carrier; it notifies the change, signed',
        body: Type.Object({ msisdn: Type.String({ minLength: 11, maxLength: 16 }), type: literals(CRM_CHANGE_TYPES),
          status: Type.Optional(literals(SUBSCRIBER_STATUSES)), simIssuedOn: Type.Optional(Day) }, { additionalProperties: false }),
        response: { 202: Type.Object({ eventId: Type.String() }), 404: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      const msisdn = parseMobile(request.body.msisdn, 'msisdn');
      if (!book.has(msisdn)) throw new DomainError('SUBSCRIBER_NOT_FOUND', `no simulated subscriber ${maskMobile(msisdn)}`, 'msisdn');
      const event = book.applyChange({ ...request.body, msisdn });
      return reply.status(202).send({ eventId: event.eventId });
    });
  };
}
