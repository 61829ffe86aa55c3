/**
 * The store counter (`/v1/pos/*`): every route is signed by the terminal, run by a signed-in
 * staff member, and every POST is idempotent (api/pos-plugin.ts). A terminal sees only its
 * own store's customers.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { shanghaiDate } from '../../core/calendar-date.js';
import { AMOUNT_FEN_MAX } from '../../core/money.js';
import { takeCashRepayment } from '../../pos/cash-repayment.js';
import { confirmSigning, prepareSigning, signedDocuments } from '../../pos/contract-signing.js';
import { lookupCustomer } from '../../pos/customer-lookup.js';
import { confirmCashReceipt, startDisbursement, storeDisbursements } from '../../pos/disbursement.js';
import { closeStoreDay, storeDaySummary } from '../../pos/end-of-day.js';
import { posStaff, requireRole } from '../../pos/staff-sessions.js';
import type { AppDeps } from '../app.js';
import { posRoutes, type PosDeps } from '../pos-plugin.js';
import { CalendarDateString, errorRef, Fen, IdParam } from '../schemas.js';

const posErrors = { 400: errorRef, 401: errorRef, 403: errorRef, 404: errorRef, 409: errorRef, 422: errorRef };
const Account = Type.Object({
  name: Type.String({ minLength: 2, maxLength: 50, description: 'Account holder as the bank has it' }),
  accountNumber: Type.String({ minLength: 12, maxLength: 40, description: 'Passbook or card account number' }),
  bankName: Type.String({ minLength: 2, maxLength: 60 }),
}, { additionalProperties: false });
const Otp = Type.Object({ challengeId: Type.Integer({ minimum: 1 }), expiresAt: Type.String() });
const OtpAnswer = { challengeId: Type.Integer({ minimum: 1 }), code: Type.String({ pattern: '^[0-9]{6}$', description: 'The code the borrower received by SMS' }) };
const Allocation = Type.Object({
  lines: Type.Array(Type.Object({ installment: Type.Integer(), component: Type.String(), amountFen: Type.Integer() })), creditFen: Type.Integer(),
});
const Order = Type.Object({
  orderId: Type.Integer(), loanId: Type.Integer(), channel: Type.String(), amountFen: Type.Integer(), status: Type.String(), reference: Type.String(),
  bankReference: Type.Union([Type.String(), Type.Null()]), failureReason: Type.Union([Type.String(), Type.Null()]),
  payee: Type.Union([Type.Null(), Type.Object({ name: Type.String(), bankName: Type.String(), accountNumberMasked: Type.String() })]),
  otp: Type.Optional(Otp), receiptNo: Type.Optional(Type.String()),
});
const DocumentSummary = Type.Object({ kind: Type.String(), title: Type.String(), templateVersion: Type.String(), sha256: Type.String() });
const Document = Type.Object({ kind: Type.String(), title: Type.String(), templateVersion: Type.String(), sha256: Type.String(), content: Type.String() });
const DaySummary = Type.Object({
  storeCode: Type.String(), businessDate: Type.String(), cashInFen: Type.Integer(), cashOutFen: Type.Integer(), expectedDrawerFen: Type.Integer(),
  terminals: Type.Array(Type.Object({ terminalId: Type.String(), cashInFen: Type.Integer(), cashOutFen: Type.Integer(), repayments: Type.Integer(), payouts: Type.Integer() })),
  closed: Type.Union([Type.Null(), Type.Object({ countedCashFen: Type.Integer(), depositedFen: Type.Integer(), depositSlipRef: Type.String(), closedBy: Type.String(), closedAt: Type.String() })]),
  breaks: Type.Optional(Type.Array(Type.Object({ kind: Type.String(), expectedFen: Type.Integer(), actualFen: Type.Integer() }))),
});
const loanIdOf = (params: { id: string }) => Number(params.id);

export function posCounterRoutes(deps: AppDeps, posDeps: PosDeps): FastifyPluginAsyncTypebox {
  const now = posDeps.now ?? (() => new Date());
  return posRoutes(posDeps, async (app) => {
    app.post('/v1/pos/customer-lookups', {
      schema: { tags: ['pos'], summary: 'Find a customer of this store by mobile, ID number or loan; what is due today and the payoff per loan',
        body: Type.Object({
          mobile: Type.Optional(Type.String({ minLength: 11, maxLength: 16 })), idNumber: Type.Optional(Type.String({ minLength: 18, maxLength: 18 })),
          loanId: Type.Optional(Type.Integer({ minimum: 1 })),
        }, { additionalProperties: false, description: 'Exactly one of the three; sent in the body so no personal number lands in a request log' }),
        response: { 200: Type.Object({ borrower: Type.Object({ name: Type.String(), mobileMasked: Type.String(), idNumberMasked: Type.String() }),
          loans: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...posErrors } },
    }, async (request) => lookupCustomer(deps.db, posStaff(request), request.body, shanghaiDate(now())));

    app.post('/v1/pos/loans/:id/signing', {
      schema: { tags: ['pos'], summary: 'Render the five contract documents for printing and send the borrower the signing code', params: IdParam,
        body: Type.Object({ passbook: Type.Optional(Account) }, { additionalProperties: false }),
        response: { 201: Type.Object({ loanId: Type.Integer(), signingDate: Type.String(), documents: Type.Array(Document), otp: Otp }), ...posErrors } },
    }, async (request, reply) => reply.status(201).send(
      await prepareSigning(deps.db, deps.config, posStaff(request), loanIdOf(request.params), request.body, now())));

    app.post('/v1/pos/loans/:id/signing/confirm', {
      schema: { tags: ['pos'], summary: 'The borrower signs with the SMS code; the printed documents\' hashes must match', params: IdParam,
        body: Type.Object({ ...OtpAnswer, documentHashes: Type.Array(Type.String({ pattern: '^[0-9a-f]{64}$' }), { minItems: 1, maxItems: 10 }),
          passbook: Type.Optional(Account) }, { additionalProperties: false }),
        response: { 201: Type.Object({ signingId: Type.Integer(), loanId: Type.Integer(), loanStatus: Type.String(), signedAt: Type.String(),
          storeCode: Type.String(), terminalId: Type.String(), staffId: Type.String(), documents: Type.Array(DocumentSummary) }), ...posErrors } },
    }, async (request, reply) => reply.status(201).send(
      await confirmSigning(deps.db, deps.config, posStaff(request), loanIdOf(request.params), request.body, now())));

    app.get('/v1/pos/loans/:id/contract', {
      schema: { tags: ['pos'], summary: 'The signed documents again, with the signing evidence (the borrower\'s store only)', params: IdParam,
        response: { 200: Type.Object({ loanId: Type.Integer(), signingId: Type.Integer(), signedAt: Type.String(), storeCode: Type.String(),
          terminalId: Type.String(), staffId: Type.String(), otpVerifiedAt: Type.String(), documents: Type.Array(Document) }), ...posErrors } },
    }, async (request) => signedDocuments(deps.db, posStaff(request), loanIdOf(request.params)));

    app.post('/v1/pos/loans/:id/disbursements', {
      schema: { tags: ['pos'], summary: 'Pay out a signed loan: to the borrower\'s passbook, to a supplier, or in cash at the counter', params: IdParam,
        body: Type.Object({ channel: Type.Union([Type.Literal('passbook'), Type.Literal('supplier'), Type.Literal('store_cash')]),
          payee: Type.Optional(Account) }, { additionalProperties: false }),
        response: { 201: Order, ...posErrors } },
    }, async (request, reply) => reply.status(201).send(
      await startDisbursement(deps.db, posStaff(request), loanIdOf(request.params), request.body, now())));

    app.get('/v1/pos/loans/:id/disbursements', {
      schema: { tags: ['pos'], summary: 'The loan\'s disbursement orders at this store, with bank results and failure reasons', params: IdParam,
        response: { 200: Type.Array(Order), ...posErrors } },
    }, async (request) => storeDisbursements(deps.db, posStaff(request), loanIdOf(request.params)));

    app.post('/v1/pos/disbursements/:id/receipt', {
      schema: { tags: ['pos'], summary: 'The borrower confirms receiving the cash with the SMS code; the loan is paid out', params: IdParam,
        body: Type.Object(OtpAnswer, { additionalProperties: false }), response: { 201: Order, ...posErrors } },
    }, async (request, reply) => reply.status(201).send(
      await confirmCashReceipt(deps.db, posStaff(request), Number(request.params.id), request.body, now())));

    app.post('/v1/pos/loans/:id/cash-repayments', {
      schema: { tags: ['pos'], summary: 'Take cash: allocated in the house order (or an early full repayment); receipt and SMS receipt', params: IdParam,
        body: Type.Object({ amountFen: Fen('Cash taken'), payoff: Type.Optional(Type.Boolean({ description: 'Early full repayment: unaccrued interest waived' })) },
          { additionalProperties: false }),
        response: { 201: Type.Object({ receiptNo: Type.String(), loanId: Type.Integer(), amountFen: Type.Integer(), businessDate: Type.String(),
          allocation: Allocation, remainingFen: Type.Integer(), loanStatus: Type.String(), storeCode: Type.String(), terminalId: Type.String(),
          staffId: Type.String() }), ...posErrors } },
    }, async (request, reply) => reply.status(201).send(
      await takeCashRepayment(deps.db, posStaff(request), loanIdOf(request.params), request.body, now())));

    app.get('/v1/pos/days/:businessDate', {
      schema: { tags: ['pos'], summary: 'The store\'s cash for a business date, per terminal, and the expected drawer',
        params: Type.Object({ businessDate: CalendarDateString('Business date') }), response: { 200: DaySummary, ...posErrors } },
    }, async (request) => storeDaySummary(deps.db, posStaff(request).storeCode, request.params.businessDate));

    app.post('/v1/pos/days/:businessDate/close', {
      preValidation: requireRole('manager'),
      schema: { tags: ['pos'], summary: 'The manager closes the day with counted cash and the deposit slip; differences become breaks',
        params: Type.Object({ businessDate: CalendarDateString('Business date') }),
        body: Type.Object({
          countedCashFen: Type.Integer({ minimum: -AMOUNT_FEN_MAX, maximum: AMOUNT_FEN_MAX, description: 'Loan cash counted: takings minus payouts' }),
          depositedFen: Type.Integer({ minimum: 0, maximum: AMOUNT_FEN_MAX }),
          depositSlipRef: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }),
        }, { additionalProperties: false }),
        response: { 201: DaySummary, ...posErrors } },
    }, async (request, reply) => reply.status(201).send(
      await closeStoreDay(deps.db, posStaff(request), { businessDate: request.params.businessDate, ...request.body }, now())));
  });
}
