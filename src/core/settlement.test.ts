import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import { distributeRepayment, splitByLargestRemainder, type Holding, type RepaymentParts } from './settlement.js';

const FEN_MAX = 1_000_000_000;

/** Unique funder ids with holdings in 1..1e9 fen. */
const holdingsArb = fc.uniqueArray(
  fc.record({ funderId: fc.string({ minLength: 1, maxLength: 8 }), principalFen: fc.integer({ min: 1, max: FEN_MAX }) }),
  { minLength: 1, maxLength: 1000, selector: (h) => h.funderId },
);
const partsArb = fc.record({
  principalFen: fc.integer({ min: 0, max: FEN_MAX }),
  interestFen: fc.integer({ min: 0, max: FEN_MAX }),
  penaltyFen: fc.integer({ min: 0, max: FEN_MAX }),
  feeFen: fc.integer({ min: 0, max: FEN_MAX }),
});
const ppmArb = fc.oneof(fc.constant(0), fc.constant(1_000_000), fc.integer({ min: 0, max: 1_000_000 }));

/** Exact rational share as (numerator, denominator) compared without floats. */
function withinOneFen(share: number, total: number, weight: number, weightSum: number): boolean {
  const err = BigInt(share) * BigInt(weightSum) - BigInt(total) * BigInt(weight);
  return err < BigInt(weightSum) && -err < BigInt(weightSum);
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

describe('splitByLargestRemainder', () => {
  it('100 fen among 3 equal holders: 34/33/33, the odd fen to the lowest key on a full tie', () => {
    // Remainders tie (1/3 each) and weights tie, so funderId ascending decides: 'a' gets it.
    const m = splitByLargestRemainder(100, [{ key: 'c', weight: 1 }, { key: 'a', weight: 1 }, { key: 'b', weight: 1 }]);
    expect(Object.fromEntries(m)).toEqual({ a: 34, b: 33, c: 33 });
  });

  it('largest remainder wins before weight', () => {
    // 10 fen by 1:2:7 -> exact 1, 2, 7: no leftover.
    expect(Object.fromEntries(splitByLargestRemainder(10, [{ key: 'x', weight: 1 }, { key: 'y', weight: 2 }, { key: 'z', weight: 7 }])))
      .toEqual({ x: 1, y: 2, z: 7 });
    // 5 fen by 1:1:2 -> exact 1.25, 1.25, 2.5: floors 1,1,2 leave 1; z has the largest remainder (.5).
    expect(Object.fromEntries(splitByLargestRemainder(5, [{ key: 'x', weight: 1 }, { key: 'y', weight: 1 }, { key: 'z', weight: 2 }])))
      .toEqual({ x: 1, y: 1, z: 3 });
  });

  it('on equal remainders the larger weight wins before the key', () => {
    // 2 fen over a=1, b=3, z=4 (W=8): exact .25, .75, 1 -> floors 0, 0, 1; b has the larger remainder.
    expect(Object.fromEntries(splitByLargestRemainder(2, [{ key: 'a', weight: 1 }, { key: 'b', weight: 3 }, { key: 'z', weight: 4 }])))
      .toEqual({ a: 0, b: 1, z: 1 });
    // Equal remainders with different weights:
    // 2 fen over a=1, z=3 (W=4): exact .5 and 1.5 -> remainders .5 and .5, floors 0 and 1, leftover 1:
    // z has the larger weight, so z gets it although 'a' sorts first.
    expect(Object.fromEntries(splitByLargestRemainder(2, [{ key: 'a', weight: 1 }, { key: 'z', weight: 3 }])))
      .toEqual({ a: 0, z: 2 });
  });

  it('accepts bigint weights and keeps zero-weight keys at zero', () => {
    const m = splitByLargestRemainder(7, [{ key: 'a', weight: 10n ** 30n }, { key: 'b', weight: 0n }, { key: 'c', weight: 10n ** 30n }]);
    expect(Object.fromEntries(m)).toEqual({ a: 4, b: 0, c: 3 });
  });

  it('rejects bad input', () => {
    expect(() => splitByLargestRemainder(-1, [{ key: 'a', weight: 1 }])).toThrow(DomainError);
    expect(() => splitByLargestRemainder(1.5, [{ key: 'a', weight: 1 }])).toThrow(DomainError);
    expect(() => splitByLargestRemainder(1, [])).toThrow(DomainError);
    expect(() => splitByLargestRemainder(1, [{ key: 'a', weight: 1 }, { key: 'a', weight: 2 }])).toThrow(DomainError);
    expect(() => splitByLargestRemainder(1, [{ key: 'a', weight: -1 }])).toThrow(DomainError);
    expect(() => splitByLargestRemainder(1, [{ key: 'a', weight: 0.5 }])).toThrow(DomainError);
    expect(() => splitByLargestRemainder(1, [{ key: 'a', weight: 0 }])).toThrow(DomainError);
    expect(Object.fromEntries(splitByLargestRemainder(0, [{ key: 'a', weight: 0 }]))).toEqual({ a: 0 });
  });

  it('sums exactly and stays within 1 fen of exact (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 100_000_000_000_000 }),
      fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1, maxLength: 6 }), weight: fc.integer({ min: 0, max: FEN_MAX }) }), { minLength: 1, maxLength: 200, selector: (w) => w.key }),
      (total, weights) => {
        const W = sum(weights.map((w) => w.weight));
        fc.pre(W > 0);
        const m = splitByLargestRemainder(total, weights);
        expect(sum([...m.values()])).toBe(total);
        for (const w of weights) {
          const share = m.get(w.key)!;
          expect(share).toBeGreaterThanOrEqual(0);
          expect(withinOneFen(share, total, w.weight, W)).toBe(true);
        }
      },
    ));
  });
});

describe('distributeRepayment', () => {
  it('worked example: three funders, 10% service fee', () => {
    // Holdings 5000 : 3000 : 2000 (fen). Repayment: principal 1000, interest 101, penalty 9, fee 50.
    // Service fee = round-half-up(10% x (101 + 9)) = 11, split by 101:9 -> exact 10.1 / 0.9 ->
    //   floors 10 / 0, leftover 1 to penalty (remainder .9 > .1): interest 10, penalty 1.
    // Net interest 91 by 5:3:2 -> 45.5 / 27.3 / 18.2 -> floors 45/27/18, leftover 1 -> a (.5).
    // Net penalty 8 by 5:3:2 -> 4 / 2.4 / 1.6 -> floors 4/2/1, leftover 1 -> c (.6).
    const holdings: Holding[] = [{ funderId: 'c', principalFen: 2000 }, { funderId: 'a', principalFen: 5000 }, { funderId: 'b', principalFen: 3000 }];
    const s = distributeRepayment(holdings, { principalFen: 1000, interestFen: 101, penaltyFen: 9, feeFen: 50 }, { platformServiceFeePpm: 100_000 });
    expect(s).toEqual({
      shares: [
        { funderId: 'a', principalFen: 500, interestFen: 46, penaltyFen: 4 },
        { funderId: 'b', principalFen: 300, interestFen: 27, penaltyFen: 2 },
        { funderId: 'c', principalFen: 200, interestFen: 18, penaltyFen: 2 },
      ],
      platformFeeFen: 50,
      platformServiceFeeFen: 11,
      platformServiceFeeByComponent: { interestFen: 10, penaltyFen: 1 },
    });
  });

  it('service fee rounds half-up once on interest + penalty', () => {
    // 5% of 10 + 0 = 0.5 -> 1 (half-up); per-component rounding of 5 + 5 would give 0.25 + 0.25 -> 0.
    const h = [{ funderId: 'a', principalFen: 1 }];
    expect(distributeRepayment(h, { principalFen: 0, interestFen: 10, penaltyFen: 0, feeFen: 0 }, { platformServiceFeePpm: 50_000 }).platformServiceFeeFen).toBe(1);
    expect(distributeRepayment(h, { principalFen: 0, interestFen: 5, penaltyFen: 5, feeFen: 0 }, { platformServiceFeePpm: 50_000 }).platformServiceFeeFen).toBe(1);
    expect(distributeRepayment(h, { principalFen: 0, interestFen: 9, penaltyFen: 0, feeFen: 0 }, { platformServiceFeePpm: 50_000 }).platformServiceFeeFen).toBe(0);
  });

  it('100 fen of principal among 3 equal holders -> 34/33/33 (funderId ascending breaks the tie)', () => {
    const holdings = ['f-3', 'f-1', 'f-2'].map((funderId) => ({ funderId, principalFen: 1_000 }));
    const s = distributeRepayment(holdings, { principalFen: 100, interestFen: 0, penaltyFen: 0, feeFen: 0 }, { platformServiceFeePpm: 0 });
    expect(s.shares.map((x) => [x.funderId, x.principalFen])).toEqual([['f-1', 34], ['f-2', 33], ['f-3', 33]]);
  });

  it('rejects bad input with DomainError', () => {
    const parts: RepaymentParts = { principalFen: 1, interestFen: 1, penaltyFen: 1, feeFen: 1 };
    const terms = { platformServiceFeePpm: 0 };
    expect(() => distributeRepayment([], parts, terms)).toThrow(DomainError);
    expect(() => distributeRepayment([{ funderId: 'a', principalFen: 0 }], parts, terms)).toThrow(DomainError);
    expect(() => distributeRepayment([{ funderId: 'a', principalFen: 1 }, { funderId: 'a', principalFen: 2 }], parts, terms)).toThrow(DomainError);
    expect(() => distributeRepayment([{ funderId: 'a', principalFen: 1 }], { ...parts, interestFen: -1 }, terms)).toThrow(DomainError);
    expect(() => distributeRepayment([{ funderId: 'a', principalFen: 1 }], { ...parts, penaltyFen: 0.5 }, terms)).toThrow(DomainError);
    expect(() => distributeRepayment([{ funderId: 'a', principalFen: 1 }], parts, { platformServiceFeePpm: 1_000_001 })).toThrow(DomainError);
    expect(() => distributeRepayment([{ funderId: 'a', principalFen: 1 }], parts, { platformServiceFeePpm: 0.5 })).toThrow(DomainError);
  });

  it('parts sum exactly, no negative share, each within 1 fen of exact (property)', () => {
    fc.assert(fc.property(holdingsArb, partsArb, ppmArb, (holdings, parts, ppm) => {
      const s = distributeRepayment(holdings, parts, { platformServiceFeePpm: ppm });
      const fee = s.platformServiceFeeByComponent;
      expect(fee.interestFen + fee.penaltyFen).toBe(s.platformServiceFeeFen);
      expect(s.platformFeeFen).toBe(parts.feeFen);
      expect(sum(s.shares.map((x) => x.principalFen))).toBe(parts.principalFen);
      expect(sum(s.shares.map((x) => x.interestFen)) + fee.interestFen).toBe(parts.interestFen);
      expect(sum(s.shares.map((x) => x.penaltyFen)) + fee.penaltyFen).toBe(parts.penaltyFen);

      const W = sum(holdings.map((h) => h.principalFen));
      const byId = new Map(s.shares.map((x) => [x.funderId, x]));
      expect(byId.size).toBe(holdings.length);
      for (const h of holdings) {
        const x = byId.get(h.funderId)!;
        for (const v of [x.principalFen, x.interestFen, x.penaltyFen]) expect(v).toBeGreaterThanOrEqual(0);
        expect(withinOneFen(x.principalFen, parts.principalFen, h.principalFen, W)).toBe(true);
        expect(withinOneFen(x.interestFen, parts.interestFen - fee.interestFen, h.principalFen, W)).toBe(true);
        expect(withinOneFen(x.penaltyFen, parts.penaltyFen - fee.penaltyFen, h.principalFen, W)).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('sums exactly at full scale: 900..1000 funders (property)', () => {
    // fast-check keeps generated arrays small by default; this forces the upper end of the range.
    const many = fc.tuple(fc.integer({ min: 900, max: 1000 }), fc.array(fc.integer({ min: 1, max: FEN_MAX }), { minLength: 1000, maxLength: 1000 }))
      .map(([n, amounts]) => amounts.slice(0, n).map((principalFen, i) => ({ funderId: `inv-${i}`, principalFen })));
    fc.assert(fc.property(many, partsArb, ppmArb, (holdings, parts, ppm) => {
      const s = distributeRepayment(holdings, parts, { platformServiceFeePpm: ppm });
      const fee = s.platformServiceFeeByComponent;
      expect(s.shares).toHaveLength(holdings.length);
      expect(sum(s.shares.map((x) => x.principalFen))).toBe(parts.principalFen);
      expect(sum(s.shares.map((x) => x.interestFen)) + fee.interestFen).toBe(parts.interestFen);
      expect(sum(s.shares.map((x) => x.penaltyFen)) + fee.penaltyFen).toBe(parts.penaltyFen);
    }), { numRuns: 20 });
  });

  it('service fee is the half-up ppm of interest + penalty (property)', () => {
    fc.assert(fc.property(partsArb, ppmArb, (parts, ppm) => {
      const s = distributeRepayment([{ funderId: 'a', principalFen: 1 }], parts, { platformServiceFeePpm: ppm });
      const exactTimes1e6 = BigInt(parts.interestFen + parts.penaltyFen) * BigInt(ppm);
      // fee * 1e6 is within half a fen (x1e6) of exact, with .5 going up.
      const diff = BigInt(s.platformServiceFeeFen) * 1_000_000n - exactTimes1e6;
      expect(diff > -500_000n && diff <= 500_000n).toBe(true);
    }));
  });

  it('is deterministic: shuffling holdings gives the same result (property)', () => {
    fc.assert(fc.property(
      holdingsArb.chain((h) => fc.tuple(fc.constant(h), fc.shuffledSubarray(h, { minLength: h.length, maxLength: h.length }))),
      partsArb, ppmArb,
      ([holdings, shuffled], parts, ppm) => {
        const a = distributeRepayment(holdings, parts, { platformServiceFeePpm: ppm });
        const b = distributeRepayment(shuffled, parts, { platformServiceFeePpm: ppm });
        expect(b).toEqual(a);
      },
    ), { numRuns: 50 });
  });

  it('ties resolve by larger holding, then funderId (property: equal holders differ by at most 1 fen, lower id never less)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 1, max: FEN_MAX }), fc.integer({ min: 0, max: FEN_MAX }), (n, each, principal) => {
      const holdings = Array.from({ length: n }, (_, i) => ({ funderId: `f${String(i).padStart(3, '0')}`, principalFen: each }));
      const s = distributeRepayment(holdings, { principalFen: principal, interestFen: 0, penaltyFen: 0, feeFen: 0 }, { platformServiceFeePpm: 0 });
      const values = s.shares.map((x) => x.principalFen);
      for (let i = 1; i < values.length; i += 1) expect(values[i - 1]! - values[i]!).toBeGreaterThanOrEqual(0);
      expect(values[0]! - values[values.length - 1]!).toBeLessThanOrEqual(1);
    }));
  });

  it('a single funder gets everything minus the service fee (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: FEN_MAX }), partsArb, ppmArb, (held, parts, ppm) => {
      const s = distributeRepayment([{ funderId: 'solo', principalFen: held }], parts, { platformServiceFeePpm: ppm });
      expect(s.shares).toEqual([{
        funderId: 'solo',
        principalFen: parts.principalFen,
        interestFen: parts.interestFen - s.platformServiceFeeByComponent.interestFen,
        penaltyFen: parts.penaltyFen - s.platformServiceFeeByComponent.penaltyFen,
      }]);
    }));
  });

  it('zero parts give zero shares (property)', () => {
    fc.assert(fc.property(holdingsArb, ppmArb, (holdings, ppm) => {
      const s = distributeRepayment(holdings, { principalFen: 0, interestFen: 0, penaltyFen: 0, feeFen: 0 }, { platformServiceFeePpm: ppm });
      expect(s.platformServiceFeeFen).toBe(0);
      expect(s.platformFeeFen).toBe(0);
      for (const x of s.shares) expect([x.principalFen, x.interestFen, x.penaltyFen]).toEqual([0, 0, 0]);
    }), { numRuns: 50 });
  });
});
