/**
 * Loan applications from every channel (store POS, web and app halls, call center,
 * installer referral, SMS reply), their offline forms, the callback result, and the offers.
 * Channel systems call these with an ops bearer token of role operator.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { APPLICATION_CHANNELS, CONSENT_METHODS } from '../../core/application-state.js';
import { AMOUNT_FEN_MAX } from '../../core/money.js';
import { REPAYMENT_CHANNELS } from '../../core/loan-accounting.js';
import { parseHomeVisit, parseInstallerSurvey } from '../../core/risk-features.js';
import { REPAYMENT_METHODS } from '../../core/schedule.js';
import { applicationView } from '../../applications/application-view.js';
import { attachForm } from '../../applications/attach-form.js';
import { acceptOffer, applicationOffers } from '../../applications/offers.js';
import { CALLBACK_RESULTS, recordCallbackResult } from '../../applications/record-callback-result.js';
import { CONSENT_PURPOSES, CONTACTS_MAX, submitApplication } from '../../applications/submit-application.js';
import type { AppDeps } from '../app.js';
import { errorRef, Fen, IdParam, opsErrors, RatePercent } from '../schemas.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Code = (description: string) => Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', description });
const Text = (max: number, description: string) => Type.String({ minLength: 1, maxLength: max, description });

const ApplicationBody = Type.Object({
  channel: literals(APPLICATION_CHANNELS),
  staffId: Code('The clerk, agent or installer who took the application'),
  storeCode: Type.Optional(Code('The carrier store, required for store_pos')),
  applicant: Type.Object({
    name: Text(50, 'Name as on the ID card'),
    idNumber: Type.String({ minLength: 18, maxLength: 18 }),
    mobile: Type.String({ minLength: 11, maxLength: 16 }),
    county: Text(50, 'County (县) of residence'),
    village: Text(50, 'Village (村) of residence, as the applicant states it'),
    contacts: Type.Optional(Type.Array(Type.String({ minLength: 11, maxLength: 16 }), { maxItems: CONTACTS_MAX, description: 'Contact persons\' mobiles (联系人)' })),
  }, { additionalProperties: false }),
  request: Type.Object({
    amountFen: Fen('Amount asked for'),
    termMonths: Type.Integer({ minimum: 1, maximum: 60 }),
    purpose: Text(200, 'What the money is for'),
    method: Type.Optional(literals(REPAYMENT_METHODS)),
    maxAnnualRatePercent: Type.Optional(RatePercent('Highest rate the applicant accepts')),
  }, { additionalProperties: false }),
  otherPlatformsDebt: Type.Object({
    amountFen: Type.Integer({ minimum: 0, maximum: AMOUNT_FEN_MAX, description: 'Owed on other lending platforms' }),
    source: Type.Union([Type.Literal('declared'), Type.Literal('bureau')], { description: 'Declared by the applicant or from a credit bureau' }),
  }, { additionalProperties: false }),
  consent: Type.Object({
    purposes: Type.Array(literals(CONSENT_PURPOSES), { minItems: 1, maxItems: 3, description: 'Must include credit_assessment' }),
    method: literals(CONSENT_METHODS),
    evidenceRef: Text(128, 'Where the signed form, SMS reply or call recording is kept'),
    grantedAt: Type.String({ format: 'date-time' }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

const Hit = Type.Object({ code: Type.String(), severity: Type.String(), evidence: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])) });

const ApplicationView = Type.Object({
  id: Type.Integer(), channel: Type.String(), staffId: Type.String(), storeCode: Type.Union([Type.String(), Type.Null()]), status: Type.String(),
  applicant: Type.Object({ name: Type.String(), idNumberMasked: Type.String(), mobileMasked: Type.String(), county: Type.String(), village: Type.String() }),
  request: Type.Object({ amountFen: Type.Integer(), termMonths: Type.Integer(), purpose: Type.String(), method: Type.Union([Type.String(), Type.Null()]) }),
  hits: Type.Array(Hit),
  crm: Type.Object({ attempts: Type.Integer(), lastError: Type.Union([Type.String(), Type.Null()]) }),
  callback: Type.Union([Type.Null(), Type.Object({ status: Type.String(), result: Type.Union([Type.String(), Type.Null()]), notReachableAttempts: Type.Integer() })]),
  decision: Type.Union([Type.Null(), Type.Object({
    id: Type.Integer(), outcome: Type.String(), score: Type.Integer(), grade: Type.String(), creditLimitFen: Type.Integer(),
    scorecardVersion: Type.String(), decidedBy: Type.String(),
    topReasons: Type.Array(Type.Object({ feature: Type.String(), reason: Type.String(), pointsBelowBest: Type.Number() })),
  })]),
  loanId: Type.Union([Type.Integer(), Type.Null()]),
});

const Offer = Type.Object({
  rank: Type.Integer(), productCode: Type.String(), productName: Type.String(), amountFen: Type.Integer(), annualRatePpm: Type.Integer(),
  termMonths: Type.Integer(), method: Type.String(), serviceFeeFen: Type.Integer(),
  distancePpm: Type.Integer({ description: 'Sum of the four indicator distances (amount, rate, term, method), each 0-1,000,000; smaller is closer' }),
  indicators: Type.Record(Type.String(), Type.Object({ distancePpm: Type.Integer(), reason: Type.String() })),
  schedule: Type.Array(Type.Object({ number: Type.Integer(), dueDate: Type.String(), principalFen: Type.Integer(), interestFen: Type.Integer(), totalFen: Type.Integer() })),
});

const applicationId = (params: { id: string }) => Number(params.id);

export function applicationRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const actor = (request: { opsPrincipal?: { actor: string } }) => request.opsPrincipal!.actor;
  return async (app) => {
    app.post('/v1/applications', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['applications'], summary: 'Receive a loan application from any channel, with the applicant\'s consent',
        body: ApplicationBody,
        response: { 201: Type.Object({ id: Type.Integer(), status: Type.String() }), 409: errorRef, 422: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(await submitApplication(deps.db, request.body, new Date())));

    app.get('/v1/applications/:id', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['applications'], summary: 'An application with its review hits, callback and latest decision', params: IdParam,
        response: { 200: ApplicationView, 404: errorRef, ...opsErrors } },
    }, async (request) => applicationView(deps.db, applicationId(request.params)));

    app.post('/v1/applications/:id/installer-survey', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['applications'], summary: 'Attach the installer\'s survey of the household (装维人员采集)', params: IdParam,
        body: Type.Object({}, { additionalProperties: true }),
        response: { 201: Type.Object({ formId: Type.Integer(), applicationId: Type.Integer(), kind: Type.String(), status: Type.String() }), 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(
      await attachForm(deps.db, applicationId(request.params), 'installer_survey', request.body, parseInstallerSurvey, actor(request))));

    app.post('/v1/applications/:id/home-visit', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['applications'], summary: 'Attach the credit officer\'s home visit (信贷专员家访)', params: IdParam,
        body: Type.Object({}, { additionalProperties: true }),
        response: { 201: Type.Object({ formId: Type.Integer(), applicationId: Type.Integer(), kind: Type.String(), status: Type.String() }), 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(
      await attachForm(deps.db, applicationId(request.params), 'home_visit', request.body, parseHomeVisit, actor(request))));

    app.post('/v1/applications/:id/callback-result', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['applications'], summary: 'The call center reports a callback verification call; a confirmed callback triggers the credit decision',
        params: IdParam,
        body: Type.Object({
          result: literals(CALLBACK_RESULTS), agentId: Code('The call center agent'), callId: Code('The call center\'s id of the call; repeats count once'),
          note: Type.Optional(Type.String({ maxLength: 500 })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ applicationId: Type.Integer(), status: Type.String(), duplicate: Type.Boolean(), notReachableAttempts: Type.Integer(),
          decisionId: Type.Union([Type.Integer(), Type.Null()]) }), 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => recordCallbackResult(deps.db, applicationId(request.params), request.body, new Date()));

    app.get('/v1/applications/:id/offers', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['applications'], summary: 'Products matched to an approved application, closest coverage first, with schedule previews',
        params: IdParam,
        response: { 200: Type.Object({ decisionId: Type.Integer(), grade: Type.String(), creditLimitFen: Type.Integer(), offers: Type.Array(Offer),
          excluded: Type.Array(Type.Object({ productCode: Type.String(), reason: Type.String() })) }), 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => applicationOffers(deps.db, applicationId(request.params), new Date(), deps.config.annualRateCeilingPpm));

    app.post('/v1/applications/:id/accept', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['applications'], summary: 'The applicant accepts an offer: the loan is created, approved, ready for funding and signing',
        params: IdParam,
        body: Type.Object({
          productCode: Type.String({ pattern: '^[A-Z][A-Z0-9]{2,15}$' }),
          amountFen: Type.Optional(Fen('At most the offered amount; the offered amount when left out')),
          repaymentChannels: Type.Array(literals(REPAYMENT_CHANNELS), { minItems: 1, maxItems: 3 }),
        }, { additionalProperties: false }),
        response: { 201: Type.Object({ applicationId: Type.Integer(), loanId: Type.Integer(), status: Type.String(), principalFen: Type.Integer() }),
          404: errorRef, 409: errorRef, 422: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      const { loan } = await acceptOffer(deps.db, applicationId(request.params), request.body, actor(request), new Date(), deps.config.annualRateCeilingPpm);
      return reply.status(201).send({ applicationId: applicationId(request.params), loanId: loan.id, status: loan.status, principalFen: loan.principalFen });
    });
  };
}
