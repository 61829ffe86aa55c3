import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deductionRunStatus, startDeductionRun } from '../../billing/deduction-runs.js';
import { registerMandate, revokeMandate } from '../../billing/mandates.js';
import { listBillingBreaks, resolveBreak } from '../../billing/reconciliation.js';
import { requestRefund } from '../../billing/refunds.js';
import { parseCalendarDate } from '../../core/calendar-date.js';
import { QUEUE_BILLING_FILES } from '../../queue/queues.js';
import type { AppDeps } from '../app.js';
import { CalendarDateString, errorRef, Fen, IdParam, opsErrors, Reason } from '../schemas.js';

const RunLine = Type.Object({ count: Type.Integer(), dueFen: Type.Integer(), chargedFen: Type.Integer() });
const RunStatus = Type.Object({
  runId: Type.Integer(), businessDate: Type.String(), attempted: RunLine, charged: RunLine, partial: RunLine,
  insufficient: RunLine, failed: RunLine, pending: RunLine, collections: RunLine, cancelled: RunLine,
});
const StartedRun = Type.Object({ runId: Type.Integer(), businessDate: Type.String(), attemptsCreated: Type.Integer(), alreadyStarted: Type.Boolean() });
const LoanIdBody = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export function opsBillingRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const billing = deps.config.billing;
  return async (app) => {
    app.post('/v1/ops/billing/deduction-runs', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'billing'], summary: 'Start the phone-credit deduction cycle for a business date; a date runs once',
        body: Type.Object({
          businessDate: CalendarDateString('Business date of the cycle'),
          mode: Type.Optional(Type.Union([Type.Literal('realtime'), Type.Literal('batch')], { description: 'realtime (SOAP, default) or batch (SFTP file)' })),
        }, { additionalProperties: false }),
        response: { 201: StartedRun, 200: StartedRun, ...opsErrors } },
    }, async (request, reply) => {
      const run = await startDeductionRun(deps.db, {
        businessDate: request.body.businessDate, mode: request.body.mode ?? 'realtime', daysBefore: billing.deductionDaysBefore,
        attemptsMax: billing.attemptsPerInstallmentMax, actor: request.opsPrincipal!.actor,
      });
      return reply.status(run.alreadyStarted ? 200 : 201).send(run);
    });

    app.post('/v1/ops/billing/file-cycles', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'billing'], summary: 'Send waiting batch request files and collect the carrier\'s files now, without waiting for the schedule',
        response: { 202: Type.Object({ jobId: Type.String() }), ...opsErrors } },
    }, async (_request, reply) => {
      const job = await deps.queues.get(QUEUE_BILLING_FILES).add('file-cycle', {});
      return reply.status(202).send({ jobId: job.id ?? '' });
    });

    app.get('/v1/ops/billing/deduction-runs/:id', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'billing'], summary: 'Counts and amounts of a deduction run by outcome', params: IdParam,
        response: { 200: RunStatus, 404: errorRef, ...opsErrors } },
    }, async (request) => deductionRunStatus(deps.db, Number(request.params.id)));

    app.post('/v1/ops/billing/mandates', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'billing'], summary: 'Record a signed phone-credit deduction mandate for a loan',
        body: Type.Object({ loanId: LoanIdBody, plan: Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')]) }, { additionalProperties: false }),
        response: { 201: Type.Object({ loanId: Type.Integer(), msisdnMasked: Type.String(), plan: Type.String(), status: Type.String() }),
          404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(await registerMandate(deps.db, request.body.loanId, request.body.plan)));

    app.post('/v1/ops/billing/mandates/:id/revoke', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'billing'], summary: 'Stop phone-credit deductions for a loan', params: IdParam,
        response: { 204: Type.Null(), 404: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      await revokeMandate(deps.db, Number(request.params.id));
      return reply.status(204).send(null);
    });

    app.post('/v1/ops/billing/refunds', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'billing'], summary: 'Refund an over-deduction to the phone account (Parlay X refundAmount)',
        body: Type.Object({ originalReferenceCode: Type.String({ pattern: '^DED[0-9]+I[0-9]+A[0-9]+$' }), amountFen: Fen('Amount to give back'), reason: Reason },
          { additionalProperties: false }),
        response: { 202: Type.Object({ id: Type.Integer(), referenceCode: Type.String(), loanId: Type.Integer(), amountFen: Type.Integer(), status: Type.String() }),
          404: errorRef, 422: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(202).send(await requestRefund(deps.db, { ...request.body, actor: request.opsPrincipal!.actor })));

    app.get('/v1/ops/reconciliation/billing', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'billing'], summary: 'Billing reconciliation breaks of a date, and every break still open',
        querystring: Type.Object({ date: CalendarDateString('Business date') }, { additionalProperties: false }),
        response: { 200: Type.Object({ breaks: Type.Array(Type.Object({
          id: Type.Integer(), businessDate: Type.String(), kind: Type.String(), referenceCode: Type.String(),
          expectedFen: Type.Union([Type.Integer(), Type.Null()]), actualFen: Type.Union([Type.Integer(), Type.Null()]),
          detail: Type.String(), status: Type.String(), resolution: Type.Union([Type.String(), Type.Null()]),
          resolvedBy: Type.Union([Type.String(), Type.Null()]) })) }), ...opsErrors } },
    }, async (request) => ({ breaks: await listBillingBreaks(deps.db, parseCalendarDate(request.query.date, 'date')) }));

    app.post('/v1/ops/reconciliation/breaks/:id/resolve', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'billing'], summary: 'Resolve a reconciliation break with the reason', params: IdParam,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }), response: { 204: Type.Null(), 404: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      await resolveBreak(deps.db, Number(request.params.id), request.body.reason, request.opsPrincipal!.actor);
      return reply.status(204).send(null);
    });
  };
}
