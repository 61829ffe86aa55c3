import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEAD_LETTER_LIST_MAX, listDeadLetters, replayDeadLetter } from '../../queue/dead-letters.js';
import { QUEUE_NAMES } from '../../queue/queues.js';
import type { AppDeps } from '../app.js';
import { errorRef, opsErrors } from '../schemas.js';

const DeadLetter = Type.Object({
  id: Type.String({ description: '<queue>:<jobId>' }), queue: Type.String(), jobId: Type.String(), name: Type.String(),
  data: Type.Unknown(), failedReason: Type.String(), attemptsMade: Type.Integer(), failedAt: Type.String(),
});

export function opsQueueRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/v1/ops/dead-letters', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops'], summary: 'Jobs that exhausted their retries, newest first',
        querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ deadLetters: Type.Array(DeadLetter) }), ...opsErrors } },
    }, async (request) => {
      const limit = Math.min(Number(request.query.limit ?? 100), DEAD_LETTER_LIST_MAX);
      return { deadLetters: await listDeadLetters(deps.queues, QUEUE_NAMES, limit) };
    });

    app.post('/v1/ops/dead-letters/:id/replay', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Put a dead letter back on its queue',
        params: Type.Object({ id: Type.String({ maxLength: 200 }) }),
        response: { 200: DeadLetter, 404: errorRef, ...opsErrors } },
    }, async (request) => replayDeadLetter(deps.queues, request.params.id));
  };
}
