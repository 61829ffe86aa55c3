import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from './domain-error.js';
import { yuan } from './money.js';
import { SEED_PRODUCTS, type ProductDefinition } from './product.js';
import { INDICATOR_DISTANCE_MAX_PPM, MATCH_INDICATORS, formatYuan, matchProducts, noProductFitsHit, type MatchInput } from './product-matching.js';
import { REPAYMENT_METHODS } from './schedule.js';

const ALL = ['X001', 'Y001', 'Z001'];
const CEILING = 150_000; // 4 x an LPR of 3.75%

function input(overrides: Partial<MatchInput> = {}): MatchInput {
  return {
    products: SEED_PRODUCTS, eligibleCodes: ALL, creditLimitFen: yuan(50_000),
    request: { amountFen: yuan(30_000), termMonths: 6, method: 'equal_principal' }, rateCeilingPpm: CEILING, startDate: '2026-03-20',
    ...overrides,
  };
}

describe('matchProducts with the seed library', () => {
  it('ranks 种植贷 Z001 first for CNY 30,000 over 6 months, equal principal', () => {
    const { offers, excluded } = matchProducts(input());
    expect(excluded).toEqual([]);
    expect(offers.map((o) => [o.rank, o.productCode, o.amountFen, o.distancePpm])).toEqual([
      [1, 'Z001', yuan(30_000), 0],
      // X001 is cheaper but lends at most 20,000: 1/3 short + |10-6|/6 + another method.
      [2, 'X001', yuan(20_000), 333_333 + 666_667 + 1_000_000],
      // Y001: full amount, but |12-6|/6 = 1 and another method.
      [3, 'Y001', yuan(30_000), 0 + 1_000_000 + 1_000_000],
    ]);
    const z = offers[0]!;
    expect(z).toMatchObject({ productName: '种植贷', annualRatePpm: 100_000, termMonths: 6, method: 'equal_principal', serviceFeeFen: 0 });
    expect(z.indicators.amount.reason).toBe('the full CNY 30,000.00 asked');
    expect(z.schedule).toHaveLength(6);
    expect(z.schedule[0]).toEqual({ number: 1, dueDate: '2026-04-20', principalFen: 500_000, interestFen: 25_000, totalFen: 525_000 });
    expect(offers[1]!.indicators.amount.reason).toBe('CNY 20,000.00 of the CNY 30,000.00 asked: the product lends at most CNY 20,000.00');
    expect(offers[1]!.indicators.method.reason).toBe('interest_monthly_principal_at_maturity instead of equal_principal');
  });

  it('breaks a distance tie on the lower rate: X001 (4%) before Y001 (10%) when the rate caps nothing', () => {
    const { offers } = matchProducts(input({ creditLimitFen: yuan(15_000), request: { amountFen: yuan(15_000), termMonths: 11 } }));
    // X001: |10-11|/11, Y001: |12-11|/11 -> equal term distance, Z001 further off.
    expect(offers.map((o) => [o.productCode, o.distancePpm])).toEqual([['X001', 90_909], ['Y001', 90_909], ['Z001', 454_545]]);
  });

  it('suits a livestock farmer asking 60,000 over a year to 养殖贷 Y001', () => {
    const { offers } = matchProducts(input({ creditLimitFen: yuan(80_000),
      request: { amountFen: yuan(60_000), termMonths: 12, method: 'interest_monthly_principal_at_maturity' } }));
    expect(offers[0]!.productCode).toBe('Y001');
    expect(offers[0]!.schedule.at(-1)!.principalFen).toBe(yuan(60_000));
  });

  it('counts a rate above the applicant\'s maximum relative to it', () => {
    const { offers } = matchProducts(input({ creditLimitFen: yuan(20_000),
      request: { amountFen: yuan(20_000), termMonths: 10, method: 'interest_monthly_principal_at_maturity', maxAnnualRatePpm: 80_000 } }));
    expect(offers[0]!.productCode).toBe('X001');
    expect(offers[0]!.indicators.rate).toEqual({ distancePpm: 0, reason: '4%, within the 8% asked' });
    const y = offers.find((o) => o.productCode === 'Y001')!;
    expect(y.indicators.rate).toEqual({ distancePpm: 250_000, reason: '10%, above the 8% asked' });
    const zeroMax = matchProducts(input({ request: { amountFen: yuan(20_000), termMonths: 10, maxAnnualRatePpm: 0 } }));
    for (const o of zeroMax.offers) expect(o.indicators.rate.distancePpm).toBe(INDICATOR_DISTANCE_MAX_PPM);
  });

  it('offers only what the grade allows and the credit limit covers', () => {
    const gradeC = matchProducts(input({ eligibleCodes: ['X001', 'Z001'], creditLimitFen: yuan(20_000) }));
    expect(gradeC.offers.map((o) => [o.productCode, o.amountFen])).toEqual([['Z001', yuan(20_000)], ['X001', yuan(20_000)]]);
    expect(gradeC.offers[0]!.indicators.amount.reason).toBe('CNY 20,000.00 of the CNY 30,000.00 asked: the credit limit is CNY 20,000.00');
    expect(gradeC.excluded).toEqual([{ productCode: 'Y001', reason: 'not offered to the applicant\'s grade' }]);
  });

  it('excludes a product whose minimum is above what can be lent, and reports no fit', () => {
    const r = matchProducts(input({ creditLimitFen: yuan(800) }));
    expect(r.offers).toEqual([]);
    expect(r.excluded.map((e) => e.productCode)).toEqual(ALL);
    expect(r.excluded[0]!.reason).toBe('at most CNY 800.00 can be lent, below the product minimum of CNY 1,000.00');
    expect(noProductFitsHit(r, yuan(800))).toEqual({ code: 'NO_PRODUCT_FITS', severity: 'refuse', evidence: { creditLimitFen: 80_000, productsExcluded: 3 } });
    expect(noProductFitsHit(matchProducts(input()), yuan(50_000))).toBeNull();
  });

  it('never offers a product above the rate ceiling, and explains a stale eligible code', () => {
    const r = matchProducts(input({ rateCeilingPpm: 90_000, eligibleCodes: [...ALL, 'W009'] }));
    expect(r.offers.map((o) => o.productCode)).toEqual(['X001']);
    expect(r.excluded).toEqual([
      { productCode: 'W009', reason: 'not an active product' },
      { productCode: 'Y001', reason: 'annual rate 10% is above the legal ceiling of 9%' },
      { productCode: 'Z001', reason: 'annual rate 10% is above the legal ceiling of 9%' },
    ]);
  });

  it('rejects a bad request with the field', () => {
    const field = (i: MatchInput) => { try { matchProducts(i); return null; } catch (e) { return (e as DomainError).field; } };
    expect(field(input({ request: { amountFen: 0, termMonths: 6 } }))).toBe('request.amountFen');
    expect(field(input({ request: { amountFen: 100, termMonths: 0 } }))).toBe('request.termMonths');
    expect(field(input({ request: { amountFen: 100, termMonths: 6, method: 'weekly' as never } }))).toBe('request.method');
    expect(field(input({ request: { amountFen: 100, termMonths: 6, maxAnnualRatePpm: -1 } }))).toBe('request.maxAnnualRatePpm');
    expect(field(input({ startDate: '2026-02-31' }))).toBe('startDate');
    expect(() => matchProducts(input({ products: [SEED_PRODUCTS[0]!, SEED_PRODUCTS[0]!] }))).toThrow(/unique/);
    expect(() => matchProducts(input({ creditLimitFen: -1 }))).toThrow(/Invariant/);
  });

  it('formats yuan amounts', () => {
    expect(formatYuan(123_456_789)).toBe('CNY 1,234,567.89');
    expect(formatYuan(5)).toBe('CNY 0.05');
  });
});

describe('matchProducts properties', () => {
  const productArb: fc.Arbitrary<ProductDefinition> = fc.record({
    code: fc.stringMatching(/^[A-Z][0-9]{3}$/),
    name: fc.constant('产品'),
    minAmountFen: fc.integer({ min: 100, max: yuan(10_000) }),
    span: fc.integer({ min: 0, max: yuan(100_000) }),
    annualRatePpm: fc.integer({ min: 0, max: 240_000 }),
    termMonths: fc.integer({ min: 1, max: 36 }),
    method: fc.constantFrom(...REPAYMENT_METHODS),
  }).map(({ span, ...p }) => ({ ...p, maxAmountFen: p.minAmountFen + span, penaltyRatePpm: 0, serviceFeePpm: 10_000 }));

  const scenarioArb = fc.record({
    products: fc.uniqueArray(productArb, { selector: (p) => p.code, maxLength: 8 }),
    eligibleMask: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    creditLimitFen: fc.integer({ min: 0, max: yuan(120_000) }),
    amountFen: fc.integer({ min: 1, max: yuan(150_000) }),
    termMonths: fc.integer({ min: 1, max: 36 }),
    method: fc.option(fc.constantFrom(...REPAYMENT_METHODS), { nil: null }),
    maxAnnualRatePpm: fc.option(fc.integer({ min: 0, max: 240_000 }), { nil: null }),
    rateCeilingPpm: fc.integer({ min: 1, max: 240_000 }),
    seed: fc.integer(),
  });

  it('never offers more than the credit limit or the product maximum, ranks 1..n, and orders deterministically', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const eligibleCodes = s.products.filter((_, i) => s.eligibleMask[i]).map((p) => p.code);
      const base: MatchInput = { products: s.products, eligibleCodes, creditLimitFen: s.creditLimitFen, rateCeilingPpm: s.rateCeilingPpm,
        request: { amountFen: s.amountFen, termMonths: s.termMonths, method: s.method, maxAnnualRatePpm: s.maxAnnualRatePpm }, startDate: '2026-01-31' };
      const r = matchProducts(base);
      expect(r.offers.map((o) => o.rank)).toEqual(r.offers.map((_, i) => i + 1));
      expect(r.offers.length + r.excluded.length).toBe(s.products.length);
      for (const o of r.offers) {
        const p = s.products.find((x) => x.code === o.productCode)!;
        expect(eligibleCodes).toContain(o.productCode);
        expect(o.amountFen).toBeLessThanOrEqual(s.creditLimitFen);
        expect(o.amountFen).toBeLessThanOrEqual(p.maxAmountFen);
        expect(o.amountFen).toBeLessThanOrEqual(s.amountFen);
        expect(o.amountFen).toBeGreaterThanOrEqual(p.minAmountFen);
        expect(o.annualRatePpm).toBeLessThanOrEqual(s.rateCeilingPpm);
        expect(Number.isSafeInteger(o.distancePpm)).toBe(true);
        let sum = 0;
        for (const k of MATCH_INDICATORS) {
          const d = o.indicators[k].distancePpm;
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(INDICATOR_DISTANCE_MAX_PPM);
          sum += d;
        }
        expect(o.distancePpm).toBe(sum);
        expect(o.schedule.reduce((a, i) => a + i.principalFen, 0)).toBe(o.amountFen);
      }
      for (let i = 1; i < r.offers.length; i++) {
        const [a, b] = [r.offers[i - 1]!, r.offers[i]!];
        expect(a.distancePpm < b.distancePpm || (a.distancePpm === b.distancePpm
          && (a.annualRatePpm < b.annualRatePpm || (a.annualRatePpm === b.annualRatePpm && a.productCode < b.productCode)))).toBe(true);
      }
      // The same products in another order, with the eligible codes shuffled, give the same answer.
      const shuffled = [...s.products].sort((x, y) => ((hash(x.code, s.seed) - hash(y.code, s.seed)) || (x.code < y.code ? -1 : 1)));
      expect(matchProducts({ ...base, products: shuffled, eligibleCodes: [...eligibleCodes].reverse() })).toEqual(r);
    }));
  });
});

function hash(text: string, seed: number): number {
  let h = seed | 0;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16_777_619);
  return h;
}
