import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseCalendarDate } from '../../core/calendar-date.js';
import { DomainError } from '../../core/domain-error.js';
import { DISBURSEMENT_CHANNELS, REPAYMENT_CHANNELS } from '../../core/loan-accounting.js';
import { applyForLoan } from '../../loans/apply-for-loan.js';
import { disburseLoan } from '../../loans/disburse-loan.js';
import { importLoanBook } from '../../loans/import-loan-book.js';
import { loanView } from '../../loans/loan-view.js';
import { postRepayment } from '../../loans/post-repayment.js';
import { MANUAL_TRANSITIONS, transitionLoan } from '../../loans/transition-loan.js';
import { writeOffLoan } from '../../loans/write-off-loan.js';
import type { AppDeps } from '../app.js';
import { CalendarDateString, errorRef, Fen, IdParam, opsErrors, Reason } from '../schemas.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Reference = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description });
const StoreCode = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'The carrier store, for cash at a store' });
const IMPORT_BODY_BYTES_MAX = 64 * 1024 * 1024;

const LoanSummary = Type.Object({
  id: Type.Integer(), status: Type.String(), principalFen: Type.Integer(), termMonths: Type.Integer(), method: Type.String(),
  startDate: Type.Union([Type.String(), Type.Null()]), daysPastDue: Type.Integer(), bucket: Type.String(),
}, { additionalProperties: true });

const ApplyBody = Type.Object({
  borrowerName: Type.String({ minLength: 1, maxLength: 50 }),
  idNumber: Type.String({ minLength: 18, maxLength: 18 }),
  mobile: Type.String({ minLength: 11, maxLength: 16 }),
  productCode: Type.String({ pattern: '^[A-Z][A-Z0-9]{2,15}$' }),
  principalFen: Fen('Requested principal'),
  repaymentChannels: Type.Array(literals(REPAYMENT_CHANNELS), { minItems: 1, maxItems: 3 }),
}, { additionalProperties: false });

const RepaymentBody = Type.Object({
  amountFen: Fen('Amount received'),
  channel: literals(REPAYMENT_CHANNELS),
  externalRef: Reference('The channel\'s reference; a repeated reference is not posted twice'),
  businessDate: CalendarDateString('Business date the money arrived'),
  storeCode: Type.Optional(StoreCode),
}, { additionalProperties: false });

const RepaymentResponse = Type.Object({
  repaymentId: Type.Integer(), loanId: Type.Integer(), amountFen: Type.Integer(), loanStatus: Type.String(), duplicate: Type.Boolean(),
  allocation: Type.Object({
    lines: Type.Array(Type.Object({ installment: Type.Integer(), component: Type.String(), amountFen: Type.Integer() })),
    creditFen: Type.Integer(),
  }),
});

function loanId(params: { id: string }): number {
  return Number(params.id);
}

export function opsLoanRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const actor = (request: { opsPrincipal?: { actor: string } }) => request.opsPrincipal!.actor;

    app.post('/v1/ops/loans', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Record a loan application', body: ApplyBody,
        response: { 201: LoanSummary, 404: errorRef, 409: errorRef, 422: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(await applyForLoan(deps.db, request.body, actor(request))));

    app.get('/v1/ops/loans/:id', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops'], summary: 'A loan with its schedule, transitions and ledger balances', params: IdParam,
        response: { 200: LoanSummary, 404: errorRef, ...opsErrors } },
    }, async (request) => {
      const view = await loanView(deps.db, loanId(request.params));
      if (!view) throw new DomainError('LOAN_NOT_FOUND', `no loan ${request.params.id}`, 'id');
      return view;
    });

    app.post('/v1/ops/loans/:id/transitions', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Approve, reject, contract or cancel a loan', params: IdParam,
        body: Type.Object({ to: literals(MANUAL_TRANSITIONS), reason: Reason }, { additionalProperties: false }),
        response: { 200: LoanSummary, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => transitionLoan(deps.db, loanId(request.params), request.body.to, actor(request), request.body.reason));

    app.post('/v1/ops/loans/:id/disbursement', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Pay out a contracted loan', params: IdParam,
        body: Type.Object({
          channel: literals(DISBURSEMENT_CHANNELS), storeCode: Type.Optional(StoreCode),
          businessDate: CalendarDateString('Disbursement date; the schedule starts here'),
          reference: Reference('Bank transfer, cash receipt or supplier payment reference'),
        }, { additionalProperties: false }),
        response: { 200: LoanSummary, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => disburseLoan(deps.db, loanId(request.params), {
      ...request.body, businessDate: parseCalendarDate(request.body.businessDate, 'businessDate'),
    }, actor(request)));

    app.post('/v1/ops/loans/:id/repayments', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Post a repayment received on any channel', params: IdParam, body: RepaymentBody,
        response: { 200: RepaymentResponse, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => postRepayment(deps.db, loanId(request.params), {
      ...request.body, businessDate: parseCalendarDate(request.body.businessDate, 'businessDate'),
    }));

    app.post('/v1/ops/loans/:id/write-off', {
      onRequest: deps.auth.require('admin'),
      schema: { tags: ['ops'], summary: 'Write off an overdue loan', params: IdParam,
        body: Type.Object({ businessDate: CalendarDateString('Business date of the write-off'), reason: Reason }, { additionalProperties: false }),
        response: { 200: LoanSummary, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => writeOffLoan(deps.db, loanId(request.params),
      parseCalendarDate(request.body.businessDate, 'businessDate'), actor(request), request.body.reason));

    app.post('/v1/ops/loans/import', {
      onRequest: deps.auth.require('admin'),
      bodyLimit: IMPORT_BODY_BYTES_MAX,
      schema: { tags: ['ops'], summary: 'Import an existing loan book (JSON lines), all or nothing',
        description: 'One JSON object per line: borrowerName, idNumber, mobile, productCode, principalFen, startDate, repaymentChannels, optional externalRef. Send as application/x-ndjson.',
        consumes: ['application/x-ndjson'],
        body: Type.String({ description: 'JSON lines' }),
        response: {
          201: Type.Object({ imported: Type.Integer(), loanIds: Type.Array(Type.Integer()) }),
          422: Type.Object({ code: Type.String(), message: Type.String(), totalErrors: Type.Integer(),
            errors: Type.Array(Type.Object({ line: Type.Integer(), field: Type.String(), code: Type.String(), message: Type.String() })) }),
          ...opsErrors,
        } },
    }, async (request, reply) => {
      return reply.status(201).send(await importLoanBook(deps.db, request.body, actor(request)));
    });
  };
}
