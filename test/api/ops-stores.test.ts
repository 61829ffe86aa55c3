/**
 * The ops registry of stores, terminals and staff through the real app: validation names
 * the field, duplicates are 409, a terminal secret is shown once and never again, PINs are
 * stored as argon2id hashes only, and writes need the operator role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, call, createApiApp, createOpsUserToken, type ApiTestContext } from '../support/api-app.js';

const store = (code: string, overrides: Record<string, unknown> = {}) => ({
  code, name: '清远连江口营业厅', region: '广东省清远市', county: '英德市', villages: ['连江口村', '浦村', '黎洞村'], ...overrides,
});

describe('ops stores, terminals and staff', () => {
  let ctx: ApiTestContext;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;

  beforeAll(async () => {
    ctx = await createApiApp();
    viewer = bearer(await createOpsUserToken(ctx.app, 'viewer'));
    operator = bearer(await createOpsUserToken(ctx.app, 'operator'));
  });
  afterAll(async () => { await ctx?.close(); });

  it('registers a store and refuses the same code again', async () => {
    const created = await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0001'), operator);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'QY-0001', status: 'active', villages: ['连江口村', '浦村', '黎洞村'], terminals: [], staff: [] });
    const again = await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0001'), operator);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'STORE_EXISTS', field: 'code' });
  });

  it.each([
    [{ code: 'qy 1' }, 'code'],
    [{ name: '' }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ region: undefined }, 'region'],
    [{ villages: [] }, 'villages'],
    [{ villages: ['浦村', '浦村'] }, 'villages.1'],
    [{ extra: 1 }, 'extra'],
  ])('names the field at fault: %j', async (override, field) => {
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0002', override), operator);
    expect(status).toBe(400);
    expect(body.field).toBe(field);
  });

  it('shows a terminal secret once, in the 201, and never again', async () => {
    await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0003'), operator);
    const created = await call(ctx.app, 'POST', '/v1/ops/stores/QY-0003/terminals', {}, operator);
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.body.terminal).toMatchObject({ storeCode: 'QY-0003', status: 'active', statusReason: null });
    expect(created.body.terminal.id).toMatch(/^QY-0003-T[0-9A-F]{6}$/);

    const named = await call(ctx.app, 'POST', '/v1/ops/stores/QY-0003/terminals', { id: 'QY3-POS-2' }, operator);
    expect(named.status).toBe(201);
    expect(named.body.secret).not.toBe(secret);
    expect((await call(ctx.app, 'POST', '/v1/ops/stores/QY-0003/terminals', { id: 'QY3-POS-2' }, operator)).body.code).toBe('TERMINAL_EXISTS');

    const read = await call(ctx.app, 'GET', '/v1/ops/stores/QY-0003', undefined, viewer);
    expect(read.status).toBe(200);
    expect(read.body.terminals.map((t: { id: string }) => t.id).sort()).toEqual([created.body.terminal.id, 'QY3-POS-2'].sort());
    expect(read.response.body).not.toContain(secret);
    expect(read.response.body).not.toContain(named.body.secret);
    expect(read.response.body).not.toMatch(/secret/i);

    const suspended = await call(ctx.app, 'POST', `/v1/ops/terminals/${created.body.terminal.id}/suspend`, { reason: '终端遗失' }, operator);
    expect(suspended.status).toBe(200);
    expect(suspended.response.body).not.toContain(secret);
  });

  it('refuses terminals and staff for an unknown store', async () => {
    expect((await call(ctx.app, 'POST', '/v1/ops/stores/NOPE-1/terminals', {}, operator)).body.code).toBe('STORE_NOT_FOUND');
    const staff = await call(ctx.app, 'POST', '/v1/ops/stores/NOPE-1/staff', { id: 'E1001', name: '李四', role: 'clerk', pin: '480215' }, operator);
    expect(staff.status).toBe(404);
    expect((await call(ctx.app, 'GET', '/v1/ops/stores/NOPE-1', undefined, viewer)).status).toBe(404);
  });

  it('suspends and reactivates a terminal with a reason; repeating a change is a 409', async () => {
    await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0004'), operator);
    const { body } = await call(ctx.app, 'POST', '/v1/ops/stores/QY-0004/terminals', { id: 'QY4-POS-1' }, operator);
    const suspended = await call(ctx.app, 'POST', '/v1/ops/terminals/QY4-POS-1/suspend', { reason: '门店纠纷' }, operator);
    expect(suspended.body).toMatchObject({ id: 'QY4-POS-1', status: 'suspended', statusReason: '门店纠纷' });
    expect(Date.parse(suspended.body.updatedAt)).toBeGreaterThan(Date.parse(body.terminal.updatedAt));
    const twice = await call(ctx.app, 'POST', '/v1/ops/terminals/QY4-POS-1/suspend', { reason: '再次' }, operator);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('TERMINAL_STATUS_UNCHANGED');
    const noReason = await call(ctx.app, 'POST', '/v1/ops/terminals/QY4-POS-1/reactivate', {}, operator);
    expect(noReason.status).toBe(400);
    expect(noReason.body.field).toBe('reason');
    const back = await call(ctx.app, 'POST', '/v1/ops/terminals/QY4-POS-1/reactivate', { reason: '已找回' }, operator);
    expect(back.body).toMatchObject({ status: 'active', statusReason: '已找回' });
    expect((await call(ctx.app, 'POST', '/v1/ops/terminals/QY9-NONE/suspend', { reason: 'x' }, operator)).status).toBe(404);
  });

  it('adds staff with an argon2id PIN hash that no response shows', async () => {
    await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0005'), operator);
    const created = await call(ctx.app, 'POST', '/v1/ops/stores/QY-0005/staff', { id: 'E2001', name: '王五', role: 'manager', pin: '480215' }, operator);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'E2001', storeCode: 'QY-0005', name: '王五', role: 'manager', status: 'active', createdAt: expect.any(String) });
    const [row] = await ctx.db.query<{ pin_hash: string }>(`SELECT pin_hash FROM store_staff WHERE id = 'E2001'`);
    expect(row!.pin_hash).toMatch(/^\$argon2id\$/);
    expect(row!.pin_hash).not.toContain('480215');
    const read = await call(ctx.app, 'GET', '/v1/ops/stores/QY-0005', undefined, viewer);
    expect(read.body.staff).toEqual([created.body]);
    expect(read.response.body).not.toContain('argon2');
    expect(read.response.body).not.toContain('480215');
    const again = await call(ctx.app, 'POST', '/v1/ops/stores/QY-0005/staff', { id: 'E2001', name: '王五', role: 'clerk', pin: '480215' }, operator);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('STAFF_EXISTS');
  });

  it.each([
    [{ pin: '12345' }, 'pin'],
    [{ pin: '12345a' }, 'pin'],
    [{ pin: '111111' }, 'pin'],
    [{ pin: '123456' }, 'pin'],
    [{ pin: '987654' }, 'pin'],
    [{ role: 'owner' }, 'role'],
    [{ id: '13912345678' }, 'id'],
    [{ name: ' ' }, 'name'],
  ])('refuses bad staff input, naming the field: %j', async (override, field) => {
    await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0006'), operator);
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/stores/QY-0006/staff', { id: 'E3001', name: '赵六', role: 'clerk', pin: '480215', ...override }, operator);
    expect(status).toBe(400);
    expect(body.field).toBe(field);
    expect(JSON.stringify(body)).not.toContain('480215');
  });

  it('needs operator to write and viewer to read', async () => {
    await call(ctx.app, 'POST', '/v1/ops/stores', store('QY-0007'), operator);
    const writes: [string, unknown][] = [
      ['/v1/ops/stores', store('QY-0008')],
      ['/v1/ops/stores/QY-0007/terminals', {}],
      ['/v1/ops/stores/QY-0007/staff', { id: 'E4001', name: '钱七', role: 'clerk', pin: '480215' }],
      ['/v1/ops/terminals/QY-0007-T000000/suspend', { reason: 'x' }],
      ['/v1/ops/terminals/QY-0007-T000000/reactivate', { reason: 'x' }],
    ];
    for (const [url, payload] of writes) {
      expect((await call(ctx.app, 'POST', url, payload, viewer)).status, url).toBe(403);
      expect((await call(ctx.app, 'POST', url, payload, {})).status, url).toBe(401);
    }
    expect((await call(ctx.app, 'GET', '/v1/ops/stores/QY-0007', undefined, {})).status).toBe(401);
    expect((await call(ctx.app, 'GET', '/v1/ops/stores/QY-0007', undefined, viewer)).status).toBe(200);
    expect((await call(ctx.app, 'GET', '/v1/ops/stores/QY-0007')).status).toBe(200);
    // Nothing was written by the refused calls.
    const [counts] = await ctx.db.query<{ stores: number; terminals: number; staff: number }>(
      `SELECT (SELECT count(*) FROM stores WHERE code = 'QY-0008')::int AS stores,
              (SELECT count(*) FROM terminals WHERE store_code = 'QY-0007')::int AS terminals,
              (SELECT count(*) FROM store_staff WHERE store_code = 'QY-0007')::int AS staff`);
    expect(counts).toEqual({ stores: 0, terminals: 0, staff: 0 });
  });
});
