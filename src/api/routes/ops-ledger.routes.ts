import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { trialBalance } from '../../ledger/trial-balance.js';
import type { AppDeps } from '../app.js';
import { opsErrors } from '../schemas.js';

const TrialBalanceResponse = Type.Object({
  totalFen: Type.Integer({ description: 'Sum of every account; must be zero' }),
  mismatchedAccounts: Type.Array(Type.String(), { description: 'Accounts whose running balance disagrees with their postings' }),
  byPurpose: Type.Array(Type.Object({ purpose: Type.String(), balanceFen: Type.Integer(), accounts: Type.Integer() })),
  accounts: Type.Array(Type.Object({
    code: Type.String(), ownerType: Type.String(), ownerId: Type.String(), purpose: Type.String(), balanceFen: Type.Integer(),
  })),
});

export function opsLedgerRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/v1/ops/ledger/trial-balance', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops'], summary: 'Every account balance, derived from postings; the total must be zero',
        response: { 200: TrialBalanceResponse, ...opsErrors } },
    }, async () => trialBalance(deps.db));
  };
}
