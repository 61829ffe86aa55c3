import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createApiApp, loanApplication, type ApiTestContext } from '../support/api-app.js';

type ProductView = { code: string; version: number; status: string; name: string; annualRatePercent: string; [k: string]: unknown };

const NEW_PRODUCT = {
  code: 'W001', name: '农机贷', minAmountFen: 100_000, maxAmountFen: 3_000_000, annualRatePercent: '8.5', termMonths: 12,
  method: 'equal_installment', penaltyRatePercent: '11.25', serviceFeePercent: '1.5',
};
const changeOf = ({ code: _code, ...fields }: typeof NEW_PRODUCT) => fields;

describe('ops products', () => {
  let ctx: ApiTestContext;
  beforeAll(async () => { ctx = await createApiApp(); });
  afterAll(async () => { await ctx?.close(); });

  const opsList = async (): Promise<ProductView[]> => {
    const { status, body } = await call(ctx.app, 'GET', '/v1/ops/products');
    expect(status).toBe(200);
    return body.products;
  };
  const versions = async (code: string) => (await opsList()).filter((p) => p.code === code).map((p) => [p.version, p.status]);

  it('lists the seed library with exact rates', async () => {
    const products = await opsList();
    expect(products).toEqual([
      { code: 'X001', version: 1, name: '助学贷', status: 'active', minAmountFen: 100_000, maxAmountFen: 2_000_000,
        annualRatePercent: '4', termMonths: 10, method: 'interest_monthly_principal_at_maturity', penaltyRatePercent: '6', serviceFeePercent: '0' },
      { code: 'Y001', version: 1, name: '养殖贷', status: 'active', minAmountFen: 100_000, maxAmountFen: 8_000_000,
        annualRatePercent: '10', termMonths: 12, method: 'interest_monthly_principal_at_maturity', penaltyRatePercent: '12', serviceFeePercent: '0' },
      { code: 'Z001', version: 1, name: '种植贷', status: 'active', minAmountFen: 100_000, maxAmountFen: 5_000_000,
        annualRatePercent: '10', termMonths: 6, method: 'equal_principal', penaltyRatePercent: '12', serviceFeePercent: '0' },
    ]);
  });

  it('creates a product (201) and reads its rates back exactly', async () => {
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/products', NEW_PRODUCT);
    expect(status).toBe(201);
    expect(body).toEqual({ ...NEW_PRODUCT, version: 1, status: 'active' });
    expect(await versions('W001')).toEqual([[1, 'active']]);
  });

  it('a duplicate code is 409 PRODUCT_EXISTS and changes nothing', async () => {
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/products', { ...NEW_PRODUCT, name: 'other' });
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: 'PRODUCT_EXISTS', field: 'code' });
    expect((await opsList()).find((p) => p.code === 'W001')?.name).toBe('农机贷');
  });

  it('changing a product no loan uses edits it in place (versioned false)', async () => {
    const { status, body } = await call(ctx.app, 'PUT', '/v1/ops/products/W001', { ...changeOf(NEW_PRODUCT), annualRatePercent: '9', name: '农机贷二' });
    expect(status).toBe(200);
    expect(body).toEqual({ versioned: false, product: { ...NEW_PRODUCT, annualRatePercent: '9', name: '农机贷二', version: 1, status: 'active' } });
    expect(await versions('W001')).toEqual([[1, 'active']]);
  });

  it('changing a product a loan uses retires that version and creates version 2; the loan keeps version 1', async () => {
    const loan = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ productCode: 'Z001', principalFen: 1_000_000 }));
    expect(loan.status).toBe(201);
    const change = { name: '种植贷', minAmountFen: 100_000, maxAmountFen: 6_000_000, annualRatePercent: '9.5', termMonths: 6,
      method: 'equal_principal', penaltyRatePercent: '12', serviceFeePercent: '0' };
    const { status, body } = await call(ctx.app, 'PUT', '/v1/ops/products/Z001', change);
    expect(status).toBe(200);
    expect(body).toEqual({ versioned: true, product: { code: 'Z001', ...change, version: 2, status: 'active' } });
    expect(await versions('Z001')).toEqual([[1, 'retired'], [2, 'active']]);
    const view = await call(ctx.app, 'GET', `/v1/ops/loans/${loan.body.id}`);
    expect(view.body).toMatchObject({ productCode: 'Z001', productVersion: 1, annualRatePpm: 100_000 });
    // A new application takes the new version's terms.
    const next = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ productCode: 'Z001', principalFen: 5_500_000 }));
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({ annualRatePpm: 95_000 });
    const nextView = await call(ctx.app, 'GET', `/v1/ops/loans/${next.body.id}`);
    expect(nextView.body.productVersion).toBe(2);
  });

  it('a rate above the ceiling is 400 naming annualRatePercent, on create and on change', async () => {
    const created = await call(ctx.app, 'POST', '/v1/ops/products', { ...NEW_PRODUCT, code: 'V001', annualRatePercent: '12.5' });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ code: 'RATE_ABOVE_CEILING', field: 'annualRatePercent' });
    const changed = await call(ctx.app, 'PUT', '/v1/ops/products/W001', { ...changeOf(NEW_PRODUCT), annualRatePercent: '24' });
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ code: 'RATE_ABOVE_CEILING', field: 'annualRatePercent' });
    const penalty = await call(ctx.app, 'POST', '/v1/ops/products', { ...NEW_PRODUCT, code: 'V001', penaltyRatePercent: '36' });
    expect(penalty.status).toBe(400);
    expect(penalty.body).toMatchObject({ code: 'RATE_ABOVE_CEILING', field: 'penaltyRatePercent' });
    const malformed = await call(ctx.app, 'POST', '/v1/ops/products', { ...NEW_PRODUCT, code: 'V001', annualRatePercent: '8.12345' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ field: 'annualRatePercent' });
    expect((await opsList()).some((p) => p.code === 'V001')).toBe(false);
    expect((await opsList()).find((p) => p.code === 'W001')?.annualRatePercent).toBe('9');
  });

  it('other invalid definitions are 400 naming their field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...NEW_PRODUCT, code: 'V001', minAmountFen: 5_000_000 }, 'minAmountFen'],
      [{ ...NEW_PRODUCT, code: 'V001', serviceFeePercent: '10.5' }, 'serviceFeePercent'],
      [{ ...NEW_PRODUCT, code: 'v001' }, 'code'],
      [{ ...NEW_PRODUCT, code: 'V001', termMonths: 0 }, 'termMonths'],
      [{ ...NEW_PRODUCT, code: 'V001', method: 'balloon' }, 'method'],
      [{ ...NEW_PRODUCT, code: 'V001', name: '' }, 'name'],
    ];
    for (const [payload, field] of cases) {
      const { status, body } = await call(ctx.app, 'POST', '/v1/ops/products', payload);
      expect(status, field).toBe(400);
      expect(body.field, field).toBe(field);
    }
    expect((await opsList()).some((p) => p.code === 'V001')).toBe(false);
  });

  it('retires a product; retiring again or changing it is 409 PRODUCT_RETIRED; no new loans on it', async () => {
    const { status, body } = await call(ctx.app, 'POST', '/v1/ops/products/W001/retire');
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 'W001', version: 1, status: 'retired' });
    expect(await versions('W001')).toEqual([[1, 'retired']]);
    const again = await call(ctx.app, 'POST', '/v1/ops/products/W001/retire');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'PRODUCT_RETIRED' });
    const change = await call(ctx.app, 'PUT', '/v1/ops/products/W001', changeOf(NEW_PRODUCT));
    expect(change.status).toBe(409);
    expect(change.body).toMatchObject({ code: 'PRODUCT_RETIRED' });
    const loan = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ productCode: 'W001', principalFen: 1_000_000 }));
    expect(loan.status).toBe(409);
    expect(loan.body).toMatchObject({ code: 'PRODUCT_RETIRED', field: 'productCode' });
  });

  it('unknown codes are 404 PRODUCT_NOT_FOUND; malformed codes 400', async () => {
    const retire = await call(ctx.app, 'POST', '/v1/ops/products/Q999/retire');
    expect(retire.status).toBe(404);
    expect(retire.body).toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
    const change = await call(ctx.app, 'PUT', '/v1/ops/products/Q999', changeOf(NEW_PRODUCT));
    expect(change.status).toBe(404);
    expect(change.body).toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
    const malformed = await call(ctx.app, 'POST', '/v1/ops/products/x%27;--/retire');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ field: 'code' });
  });

  it('GET /v1/products (public, no token) shows only active versions', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/v1/products' });
    expect(response.statusCode).toBe(200);
    const products = (response.json() as { products: ProductView[] }).products;
    expect(products.map((p) => [p.code, p.version, p.status])).toEqual([
      ['X001', 1, 'active'], ['Y001', 1, 'active'], ['Z001', 2, 'active'],
    ]);
    expect(products.find((p) => p.code === 'Z001')?.annualRatePercent).toBe('9.5');
    // The ops list still has every version.
    expect((await opsList()).map((p) => [p.code, p.version, p.status])).toEqual([
      ['W001', 1, 'retired'], ['X001', 1, 'active'], ['Y001', 1, 'active'], ['Z001', 1, 'retired'], ['Z001', 2, 'active'],
    ]);
  });
});
