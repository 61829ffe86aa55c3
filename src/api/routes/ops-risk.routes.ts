/** Risk operations: manual review, decisions and their replay, scorecards, red/black lists, consents. */
import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../core/domain-error.js';
import { lockApplication } from '../../applications/application-repository.js';
import { revokeConsent } from '../../risk/consents.js';
import { findDecision, overrideDecision, redecideApplication, replayDecision } from '../../risk/decide-application.js';
import { importCourtList } from '../../risk/import-court-list.js';
import { addListEntry, INTERNAL_LISTS, listEntries, removeListEntry } from '../../risk/risk-lists.js';
import { activateScorecard, addScorecard, findScorecard, listScorecards } from '../../risk/scorecard-repository.js';
import type { AppDeps } from '../app.js';
import { errorRef, IdParam, opsErrors, Reason } from '../schemas.js';

const COURT_FILE_BYTES_MAX = 64 * 1024 * 1024;
const DecisionSummary = Type.Object({
  id: Type.Integer(), applicationId: Type.Integer(), outcome: Type.String(), score: Type.Integer(), grade: Type.String(),
  creditLimitFen: Type.Integer(), scorecardVersion: Type.String(), decidedBy: Type.String(),
}, { additionalProperties: true });

export function opsRiskRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const actor = (request: { opsPrincipal?: { actor: string } }) => request.opsPrincipal!.actor;
  return async (app) => {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: COURT_FILE_BYTES_MAX }, (_request, body, done) => done(null, body));

    app.post('/v1/ops/applications/:id/review', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'risk'], summary: 'An officer decides an application in manual review; refusal reasons cannot be overridden',
        params: IdParam,
        body: Type.Object({ outcome: Type.Union([Type.Literal('approved'), Type.Literal('refused')]), reason: Reason }, { additionalProperties: false }),
        response: { 200: DecisionSummary, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => deps.db.transaction(async (tx) =>
      overrideDecision(tx, await lockApplication(tx, Number(request.params.id)), request.body.outcome, actor(request), request.body.reason)));

    app.post('/v1/ops/applications/:id/decisions', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'risk'], summary: 'Decide again with the data on file now, e.g. after a late home visit', params: IdParam,
        response: { 201: DecisionSummary, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(await deps.db.transaction(async (tx) =>
      redecideApplication(tx, await lockApplication(tx, Number(request.params.id)), new Date(), actor(request)))));

    app.get('/v1/ops/decisions/:id', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'risk'], summary: 'A decision with its exact inputs, scorecard version, consent and result', params: IdParam,
        response: { 200: DecisionSummary, 404: errorRef, ...opsErrors } },
    }, async (request) => {
      const decision = await findDecision(deps.db, Number(request.params.id));
      if (!decision) throw new DomainError('DECISION_NOT_FOUND', `no decision ${request.params.id}`, 'id');
      return decision;
    });

    app.post('/v1/ops/decisions/:id/replay', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'risk'], summary: 'Recompute a decision from its stored inputs and scorecard version and compare', params: IdParam,
        response: { 200: Type.Object({ decisionId: Type.Integer(), scorecardVersion: Type.String(), matches: Type.Boolean(),
          stored: Type.Object({}, { additionalProperties: true }), replayed: Type.Object({}, { additionalProperties: true }) }), 404: errorRef, ...opsErrors } },
    }, async (request) => replayDecision(deps.db, Number(request.params.id)));

    app.get('/v1/ops/scorecards', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'risk'], summary: 'Scorecard versions and which one is active',
        response: { 200: Type.Array(Type.Object({ version: Type.String(), active: Type.Boolean(), createdBy: Type.String(), createdAt: Type.String() })), ...opsErrors } },
    }, async () => listScorecards(deps.db));

    app.get('/v1/ops/scorecards/:version', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'risk'], summary: 'One scorecard version with its bands, points and grades',
        params: Type.Object({ version: Type.String({ maxLength: 32 }) }),
        response: { 200: Type.Object({}, { additionalProperties: true }), 404: errorRef, ...opsErrors } },
    }, async (request) => {
      const card = await findScorecard(deps.db, request.params.version);
      if (!card) throw new DomainError('SCORECARD_NOT_FOUND', `no scorecard version ${request.params.version}`, 'version');
      return card;
    });

    app.post('/v1/ops/scorecards', {
      onRequest: deps.auth.require('admin'),
      schema: { tags: ['ops', 'risk'], summary: 'Store a new scorecard version (inactive until activated); versions are immutable',
        body: Type.Object({}, { additionalProperties: true }),
        response: { 201: Type.Object({ version: Type.String(), active: Type.Boolean() }, { additionalProperties: true }), 409: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      const card = await addScorecard(deps.db, request.body, actor(request));
      return reply.status(201).send({ version: card.version, active: card.active });
    });

    app.post('/v1/ops/scorecards/:version/activate', {
      onRequest: deps.auth.require('admin'),
      schema: { tags: ['ops', 'risk'], summary: 'Make a scorecard version the one new decisions use',
        params: Type.Object({ version: Type.String({ maxLength: 32 }) }),
        response: { 200: Type.Object({ version: Type.String(), active: Type.Boolean() }), 404: errorRef, ...opsErrors } },
    }, async (request) => {
      await activateScorecard(deps.db, request.params.version);
      return { version: request.params.version, active: true };
    });

    app.get('/v1/ops/risk-lists/entries', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'risk'], summary: 'Entries in force on a list, newest first, ID numbers masked',
        querystring: Type.Object({
          list: Type.Union([...INTERNAL_LISTS, 'court_dishonest' as const].map((l) => Type.Literal(l))),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          beforeId: Type.Optional(Type.Integer({ minimum: 1, description: 'Page on: entries older than this id' })),
        }),
        response: { 200: Type.Array(Type.Object({ id: Type.Integer(), list: Type.String(), idNumberMasked: Type.String(), reason: Type.String(),
          caseNumber: Type.Union([Type.String(), Type.Null()]), createdBy: Type.String(), createdAt: Type.String() })), ...opsErrors } },
    }, async (request) => listEntries(deps.db, request.query.list, request.query.limit ?? 100, request.query.beforeId ?? null));

    app.post('/v1/ops/risk-lists/entries', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'risk'], summary: 'Put a person on the internal black or red list',
        body: Type.Object({ list: Type.Union(INTERNAL_LISTS.map((l) => Type.Literal(l))), idNumber: Type.String({ minLength: 18, maxLength: 18 }),
          name: Type.Optional(Type.String({ minLength: 2, maxLength: 50 })), reason: Reason }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.Integer() }), 409: errorRef, ...opsErrors } },
    }, async (request, reply) => reply.status(201).send(await addListEntry(deps.db, request.body, actor(request))));

    app.delete('/v1/ops/risk-lists/entries/:id', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'risk'], summary: 'Take an entry off a list (kept, marked removed, for the audit trail)', params: IdParam,
        response: { 204: Type.Null(), 404: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      await removeListEntry(deps.db, Number(request.params.id), actor(request));
      return reply.status(204).send(null);
    });

    app.post('/v1/ops/risk-lists/court-imports', {
      onRequest: deps.auth.require('operator'),
      bodyLimit: COURT_FILE_BYTES_MAX,
      schema: { tags: ['ops', 'risk'], summary: 'Import the court dishonest-debtor list file (CSV, adapters/court/FORMAT.md); all or nothing, a file counts once',
        querystring: Type.Object({ fileName: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' }),
          mode: Type.Union([Type.Literal('delta'), Type.Literal('full')], { description: 'full: entries missing from the file are taken off' }) }),
        consumes: ['text/csv'],
        response: { 201: Type.Object({ importId: Type.Integer(), rows: Type.Integer(), added: Type.Integer(), removed: Type.Integer(), duplicate: Type.Boolean() }),
          200: Type.Object({ importId: Type.Integer(), rows: Type.Integer(), added: Type.Integer(), removed: Type.Integer(), duplicate: Type.Boolean() }),
          413: errorRef, 415: errorRef, 422: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      if (typeof request.body !== 'string') throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send the list as text/csv', 'body');
      const result = await importCourtList(deps.db, { fileName: request.query.fileName, content: Readable.from([request.body]),
        mode: request.query.mode, actor: actor(request), reader: deps.courtListReader });
      return reply.status(result.duplicate ? 200 : 201).send(result);
    });

    app.post('/v1/ops/consents/:id/revoke', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops', 'risk'], summary: 'Record that a person withdrew a consent; no carrier data is read under it afterwards', params: IdParam,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 200: Type.Object({ id: Type.Integer(), revokedAt: Type.String() }), 404: errorRef, ...opsErrors } },
    }, async (request) => revokeConsent(deps.db, Number(request.params.id), actor(request), request.body.reason));
  };
}
