import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseCalendarDate } from '../../core/calendar-date.js';
import { assertRateWithinCeiling, parseRatePercent } from '../../core/rate.js';
import { buildSchedule, REPAYMENT_METHODS, TERM_MONTHS_MAX } from '../../core/schedule.js';
import { listProducts } from '../../products/product-repository.js';
import { CalendarDateString, errorRef, Fen, RatePercent } from '../schemas.js';
import type { AppDeps } from '../app.js';
import { productView, ProductView } from './product-view.js';

const PreviewBody = Type.Object({
  principalFen: Fen('Principal in fen'),
  annualRatePercent: RatePercent('Annual interest rate'),
  termMonths: Type.Integer({ minimum: 1, maximum: TERM_MONTHS_MAX }),
  method: Type.Union(REPAYMENT_METHODS.map((m) => Type.Literal(m))),
  startDate: CalendarDateString('Disbursement date; installments fall due on the same day of later months'),
}, { additionalProperties: false });

const PreviewResponse = Type.Object({
  installments: Type.Array(Type.Object({
    number: Type.Integer(),
    dueDate: Type.String(),
    principalFen: Type.Integer(),
    interestFen: Type.Integer(),
    totalFen: Type.Integer(),
  })),
  totalInterestFen: Type.Integer(),
});

export function publicRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/health', {
      schema: { tags: ['public'], summary: 'Liveness and database reachability', response: { 200: Type.Object({ status: Type.String() }) } },
    }, async () => {
      await deps.db.query('SELECT 1');
      return { status: 'ok' };
    });

    app.post('/v1/schedules/preview', {
      schema: {
        tags: ['public'], summary: 'Repayment schedule a borrower sees before signing',
        body: PreviewBody, response: { 200: PreviewResponse, 400: errorRef },
      },
    }, async (request) => {
      const body = request.body;
      const annualRatePpm = parseRatePercent(body.annualRatePercent, 'annualRatePercent');
      assertRateWithinCeiling(annualRatePpm, deps.config.annualRateCeilingPpm, 'annualRatePercent');
      const installments = buildSchedule({
        principalFen: body.principalFen, annualRatePpm, termMonths: body.termMonths, method: body.method,
        startDate: parseCalendarDate(body.startDate, 'startDate'),
      });
      return { installments, totalInterestFen: installments.reduce((sum, i) => sum + i.interestFen, 0) };
    });

    app.get('/v1/products', {
      schema: { tags: ['public'], summary: 'The product library on offer', response: { 200: Type.Object({ products: Type.Array(ProductView) }) } },
    }, async () => ({ products: (await listProducts(deps.db, true)).map(productView) }));
  };
}
