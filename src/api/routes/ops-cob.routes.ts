import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseCalendarDate } from '../../core/calendar-date.js';
import { DomainError } from '../../core/domain-error.js';
import { closeOfBusiness } from '../../jobs/close-of-business.js';
import type { AppDeps } from '../app.js';
import { CalendarDateString, errorRef, opsErrors } from '../schemas.js';

const CobSummary = Type.Object({
  businessDate: Type.String(), alreadyCompleted: Type.Boolean(),
  interestAccruedFen: Type.Integer(), loansAccrued: Type.Integer(),
  installmentsNewlyOverdue: Type.Integer(), loansNewlyOverdue: Type.Integer(),
  penaltyChargedFen: Type.Integer(), loansPenalised: Type.Integer(), entriesPosted: Type.Integer(),
  buckets: Type.Record(Type.String(), Type.Integer()),
});

export function opsCobRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/ops/cob', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Run close of business for a date; a completed date changes nothing',
        body: Type.Object({ businessDate: CalendarDateString('Business date to close') }, { additionalProperties: false }),
        response: { 200: CobSummary, 409: errorRef, ...opsErrors } },
    }, async (request) => closeOfBusiness(deps.db, parseCalendarDate(request.body.businessDate, 'businessDate')));

    app.get('/v1/ops/cob/:businessDate', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops'], summary: 'The state of a close-of-business run',
        params: Type.Object({ businessDate: CalendarDateString('Business date') }),
        response: { 200: Type.Object({ businessDate: Type.String(), status: Type.String(), startedAt: Type.String(),
          finishedAt: Type.Union([Type.String(), Type.Null()]), summary: Type.Union([CobSummary, Type.Null()]) }), 404: errorRef, ...opsErrors } },
    }, async (request) => {
      const date = parseCalendarDate(request.params.businessDate, 'businessDate');
      const [run] = await deps.db.query<{ status: string; started_at: Date; finished_at: Date | null; summary: null }>(
        `SELECT status, started_at, finished_at, summary FROM cob_runs WHERE business_date = $1`, [date]);
      if (!run) throw new DomainError('COB_RUN_NOT_FOUND', `close of business has not run for ${date}`, 'businessDate');
      return { businessDate: date, status: run.status, startedAt: run.started_at.toISOString(),
        finishedAt: run.finished_at?.toISOString() ?? null, summary: run.summary };
    });
  };
}
