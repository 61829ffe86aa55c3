import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, call, createActiveLoan, createApiApp, createOpsUserToken, type ApiTestContext } from '../support/api-app.js';

type Role = 'viewer' | 'operator' | 'admin';
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Every ops route and the least role it needs. A new ops route must be added here (checked below). */
const OPS_ROUTES: { method: Method; path: string; role: Role }[] = [
  { method: 'GET', path: '/v1/ops/products', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/products', role: 'operator' },
  { method: 'PUT', path: '/v1/ops/products/{code}', role: 'operator' },
  { method: 'POST', path: '/v1/ops/products/{code}/retire', role: 'operator' },
  { method: 'POST', path: '/v1/ops/loans', role: 'operator' },
  { method: 'GET', path: '/v1/ops/loans/{id}', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/loans/{id}/transitions', role: 'operator' },
  { method: 'POST', path: '/v1/ops/loans/{id}/disbursement', role: 'operator' },
  { method: 'POST', path: '/v1/ops/loans/{id}/repayments', role: 'operator' },
  { method: 'POST', path: '/v1/ops/loans/{id}/write-off', role: 'admin' },
  { method: 'POST', path: '/v1/ops/loans/import', role: 'admin' },
  { method: 'GET', path: '/v1/ops/ledger/trial-balance', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/cob', role: 'operator' },
  { method: 'GET', path: '/v1/ops/cob/{businessDate}', role: 'viewer' },
  { method: 'GET', path: '/v1/ops/dead-letters', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/dead-letters/{id}/replay', role: 'operator' },
  { method: 'POST', path: '/v1/ops/users', role: 'admin' },
  { method: 'POST', path: '/v1/ops/billing/deduction-runs', role: 'operator' },
  { method: 'POST', path: '/v1/ops/billing/file-cycles', role: 'operator' },
  { method: 'GET', path: '/v1/ops/billing/deduction-runs/{id}', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/billing/mandates', role: 'operator' },
  { method: 'POST', path: '/v1/ops/billing/mandates/{id}/revoke', role: 'operator' },
  { method: 'POST', path: '/v1/ops/billing/refunds', role: 'operator' },
  { method: 'GET', path: '/v1/ops/reconciliation/billing', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/reconciliation/breaks/{id}/resolve', role: 'operator' },
  { method: 'POST', path: '/v1/applications', role: 'operator' },
  { method: 'GET', path: '/v1/applications/{id}', role: 'viewer' },
  { method: 'POST', path: '/v1/applications/{id}/installer-survey', role: 'operator' },
  { method: 'POST', path: '/v1/applications/{id}/home-visit', role: 'operator' },
  { method: 'POST', path: '/v1/applications/{id}/callback-result', role: 'operator' },
  { method: 'GET', path: '/v1/applications/{id}/offers', role: 'viewer' },
  { method: 'POST', path: '/v1/applications/{id}/accept', role: 'operator' },
  { method: 'POST', path: '/v1/ops/applications/{id}/review', role: 'operator' },
  { method: 'POST', path: '/v1/ops/applications/{id}/decisions', role: 'operator' },
  { method: 'GET', path: '/v1/ops/decisions/{id}', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/decisions/{id}/replay', role: 'viewer' },
  { method: 'GET', path: '/v1/ops/scorecards', role: 'viewer' },
  { method: 'GET', path: '/v1/ops/scorecards/{version}', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/scorecards', role: 'admin' },
  { method: 'POST', path: '/v1/ops/scorecards/{version}/activate', role: 'admin' },
  { method: 'GET', path: '/v1/ops/risk-lists/entries', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/risk-lists/entries', role: 'operator' },
  { method: 'DELETE', path: '/v1/ops/risk-lists/entries/{id}', role: 'operator' },
  { method: 'POST', path: '/v1/ops/risk-lists/court-imports', role: 'operator' },
  { method: 'POST', path: '/v1/ops/consents/{id}/revoke', role: 'operator' },
  { method: 'POST', path: '/v1/ops/stores', role: 'operator' },
  { method: 'GET', path: '/v1/ops/stores/{code}', role: 'viewer' },
  { method: 'POST', path: '/v1/ops/stores/{code}/terminals', role: 'operator' },
  { method: 'POST', path: '/v1/ops/stores/{code}/staff', role: 'operator' },
  { method: 'POST', path: '/v1/ops/terminals/{id}/suspend', role: 'operator' },
  { method: 'POST', path: '/v1/ops/terminals/{id}/reactivate', role: 'operator' },
];

/** Routes behind ops tokens: the ops API and the channel-facing applications API. */
const isOpsAuthenticated = (path: string) => path.startsWith('/v1/ops/') || path.startsWith('/v1/applications');

const PARAMS: Record<string, string> = { code: 'X001', id: '1', businessDate: '2026-01-15', version: 'rural-2026.1' };
const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' && path.includes('dead-letters') ? 'domain-events:1' : PARAMS[name]!));
/** "METHOD /v1/ops/..." for every ops route in fastify's printRoutes tree (HEAD left out). */
function routedOpsRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([^)]*)\))?$/u.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) {
      if (isOpsAuthenticated(path)) routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

describe('ops authentication and roles', () => {
  let ctx: ApiTestContext;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    ctx = await createApiApp();
    tokens.viewer = await createOpsUserToken(ctx.app, 'viewer');
    tokens.operator = await createOpsUserToken(ctx.app, 'operator');
    tokens.admin = await createOpsUserToken(ctx.app, 'admin');
  });
  afterAll(async () => { await ctx?.close(); });

  it('the route table covers every /v1/ops route the app serves', () => {
    const document = ctx.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths)
      .filter(([path]) => isOpsAuthenticated(path))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served).toEqual(OPS_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    // The router agrees (a route hidden from the OpenAPI document would still be served).
    expect(routedOpsRoutes(ctx.app.printRoutes({ commonPrefix: false }))).toEqual(served);
  });

  const unauthenticated: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong token', bearer('not-the-token')],
    ['the admin token with a suffix', bearer(`${ADMIN_TOKEN}x`)],
    ['a Basic header', { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` }],
    ['a lower-case scheme', { authorization: `bearer ${ADMIN_TOKEN}` }],
    ['a bare token', { authorization: ADMIN_TOKEN }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['an over-long token', bearer('x'.repeat(5_000))],
  ];

  describe.each(unauthenticated)('with %s', (_name, headers) => {
    it.each(OPS_ROUTES)('$method $path -> 401 UNAUTHORIZED, before the body is looked at', async ({ method, path }) => {
      // No body at all: authentication must come before validation, so this is 401, not 400.
      const response = await ctx.app.inject({ method, url: concrete(path), headers });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(typeof response.json().message).toBe('string');
    });
  });

  it('the HEAD twin of every GET ops route is protected too', async () => {
    for (const { path } of OPS_ROUTES.filter((r) => r.method === 'GET')) {
      const response = await ctx.app.inject({ method: 'HEAD', url: concrete(path) });
      expect(response.statusCode, `HEAD ${path}`).toBe(401);
    }
  });

  it('an unauthenticated client cannot make the server read a large import body', async () => {
    const response = await ctx.app.inject({
      method: 'POST', url: '/v1/ops/loans/import', headers: { 'content-type': 'application/x-ndjson' },
      payload: `${'{"x":1}\n'.repeat(300_000)}`,
    });
    expect(response.statusCode).toBe(401);
  });

  for (const role of ['viewer', 'operator'] as const) {
    it(`a ${role} token gets 403 FORBIDDEN on every route that needs more`, async () => {
      const refused = OPS_ROUTES.filter((r) => RANK[r.role] > RANK[role]);
      expect(refused.length).toBeGreaterThan(0);
      for (const { method, path } of refused) {
        const response = await ctx.app.inject({ method, url: concrete(path), headers: bearer(tokens[role]) });
        expect(response.statusCode, `${method} ${path}`).toBe(403);
        expect(response.json(), `${method} ${path}`).toMatchObject({ code: 'FORBIDDEN' });
      }
    });
  }

  it('a token of enough rank passes authentication on every route (whatever the route then says)', async () => {
    for (const { method, path, role } of OPS_ROUTES) {
      for (const holder of ['viewer', 'operator', 'admin'] as const) {
        if (RANK[holder] < RANK[role]) continue;
        const response = await ctx.app.inject({ method, url: concrete(path), headers: bearer(tokens[holder]) });
        expect([401, 403], `${holder} on ${method} ${path}`).not.toContain(response.statusCode);
      }
    }
  });

  it('a viewer can read the trial balance, products, loans, close-of-business runs and dead letters', async () => {
    const headers = bearer(tokens.viewer);
    const trial = await call(ctx.app, 'GET', '/v1/ops/ledger/trial-balance', undefined, headers);
    expect(trial.status).toBe(200);
    expect(trial.body).toMatchObject({ totalFen: 0, mismatchedAccounts: [] });
    expect((await call(ctx.app, 'GET', '/v1/ops/products', undefined, headers)).status).toBe(200);
    expect((await call(ctx.app, 'GET', '/v1/ops/dead-letters', undefined, headers)).status).toBe(200);
  });

  it('a viewer cannot create a loan; an operator can', async () => {
    const application = { borrowerName: '李四', idNumber: '11010519800101001X', mobile: '13800000001', productCode: 'Z001',
      principalFen: 500_000, repaymentChannels: ['passbook'] };
    const refused = await call(ctx.app, 'POST', '/v1/ops/loans', application, bearer(tokens.viewer));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN' });
    expect((await ctx.db.query('SELECT id FROM loans'))).toHaveLength(0);
  });

  it('an operator cannot write a loan off (admin only); the admin token can reach it', async () => {
    const loanId = await createActiveLoan(ctx.app);
    const body = { businessDate: '2026-12-31', reason: 'uncollectable' };
    const refused = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/write-off`, body, bearer(tokens.operator));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN' });
    // The admin passes the role check; an active (not overdue) loan cannot be written off.
    const asAdmin = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/write-off`, body);
    expect(asAdmin.status).toBe(409);
    expect(asAdmin.body).toMatchObject({ code: 'LOAN_ILLEGAL_TRANSITION' });
  });

  it('OPS_TOKEN is an admin: it creates users of every role; a created admin can too', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const created = await call(ctx.app, 'POST', '/v1/ops/users', { name: `made-${role}`, role });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ role, token: expect.stringMatching(/^ops_[A-Za-z0-9_-]{40,}$/) });
    }
    const byAdminUser = await call(ctx.app, 'POST', '/v1/ops/users', { name: 'made-by-admin-user', role: 'viewer' }, bearer(tokens.admin));
    expect(byAdminUser.status).toBe(201);
  });

  it('records the acting principal on what an ops user does', async () => {
    const loanId = await createActiveLoan(ctx.app);
    const view = await call(ctx.app, 'GET', `/v1/ops/loans/${loanId}`, undefined, bearer(tokens.viewer));
    expect(view.status).toBe(200);
    expect(view.body.transitions.map((t: { actor: string }) => t.actor)).toEqual(
      ['ops:admin-token', 'ops:admin-token', 'ops:admin-token', 'ops:admin-token']);
  });

  it('tokens are stored as digests, never in clear', async () => {
    const rows = await ctx.db.query<{ token_sha256: string }>('SELECT token_sha256 FROM ops_users');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.token_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.values(tokens)).not.toContain(row.token_sha256);
    }
  });
});
