import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app.js';
import { createOpsUser, OPS_ROLES } from '../ops-auth.js';
import { opsErrors } from '../schemas.js';

export function opsUserRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/ops/users', {
      onRequest: deps.auth.require('admin'),
      schema: { tags: ['ops'], summary: 'Create an ops user; the token is shown once',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: Type.Union(OPS_ROLES.map((r) => Type.Literal(r))) },
          { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.Integer(), role: Type.String(), token: Type.String() }), ...opsErrors } },
    }, async (request, reply) => {
      const user = await createOpsUser(deps.db, request.body.name, request.body.role);
      return reply.status(201).send({ id: user.id, role: request.body.role, token: user.token });
    });
  };
}
