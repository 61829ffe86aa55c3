/**
 * Controls of the sandbox's simulated carrier billing, for demos and partner testing:
 * set up a subscriber, top one up (the carrier then notifies the recharge, signed, like the
 * real one), and have the carrier send its settlement file. Served only in sandbox mode.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../src/api/app.js';
import { CalendarDateString, errorRef, Fen, opsErrors } from '../../src/api/schemas.js';
import { parseCalendarDate } from '../../src/core/calendar-date.js';
import { DomainError } from '../../src/core/domain-error.js';
import { maskMobile, parseMobile } from '../../src/core/identity.js';
import type { BillingSftpSimulator } from './sftp-simulator.js';
import type { SubscriberBook } from './subscriber-book.js';

const Subscriber = Type.Object({
  msisdn: Type.String({ minLength: 11, maxLength: 16 }),
  plan: Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')]),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
  balanceFen: Type.Integer({ minimum: 0 }),
  billFen: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });

export function billingSandboxRoutes(book: SubscriberBook, sftp: BillingSftpSimulator | undefined) {
  return (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
    // The number travels in the body, never in the path: request logs carry paths.
    app.post('/v1/sandbox/billing/subscribers', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['sandbox'], summary: 'Set a simulated subscriber\'s plan, status, credit and bill',
        body: Subscriber, response: { 200: Subscriber, ...opsErrors } },
    }, async (request) => {
      const msisdn = parseMobile(request.body.msisdn, 'msisdn');
      book.set({ ...request.body, msisdn });
      return book.get(msisdn)!;
    });

    app.post('/v1/sandbox/billing/recharges', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['sandbox'], summary: 'Top up a simulated subscriber; the carrier notifies the recharge',
        body: Type.Object({ msisdn: Type.String({ minLength: 11, maxLength: 16 }), amountFen: Fen('Top-up amount') }, { additionalProperties: false }),
        response: { 202: Type.Object({ eventId: Type.String(), balanceFen: Type.Integer() }), 404: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      const msisdn = parseMobile(request.body.msisdn, 'msisdn');
      if (!book.get(msisdn)) throw new DomainError('SUBSCRIBER_NOT_FOUND', `no simulated subscriber ${maskMobile(msisdn)}`, 'msisdn');
      const event = book.recharge(msisdn, request.body.amountFen, new Date());
      return reply.status(202).send({ eventId: event.eventId, balanceFen: book.get(msisdn)!.balanceFen });
    });

    app.post('/v1/sandbox/billing/settlements', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['sandbox'], summary: 'Have the simulated carrier write its settlement file for what it charged',
        body: Type.Object({ businessDate: CalendarDateString('Settlement date') }, { additionalProperties: false }),
        response: { 202: Type.Object({ fileName: Type.String() }), 409: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      if (!sftp) throw new DomainError('NOT_SIMULATED', 'BILLING_SFTP_URL points at a real carrier; there is no simulator to drive');
      return reply.status(202).send({ fileName: await sftp.produceSettlementFile(parseCalendarDate(request.body.businessDate, 'businessDate')) });
    });
  };
}
