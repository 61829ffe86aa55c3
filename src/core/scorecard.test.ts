import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from './domain-error.js';
import { DEFAULT_SCORECARD } from './default-scorecard.js';
import { SEED_PRODUCTS } from './product.js';
import { FEATURE_NAMES, type FeatureName, type FeatureVector } from './risk-features.js';
import { MISSING_LABEL, TOP_REASONS_MAX, parseScorecard, scoreApplicant, scorecardRange, type ScorecardDefinition } from './scorecard.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A deep copy through JSON: what the ops API and the config file hand to parseScorecard. */
function clone(): Mutable<ScorecardDefinition> {
  return JSON.parse(JSON.stringify(DEFAULT_SCORECARD)) as ScorecardDefinition;
}

function errorField(x: unknown): string | undefined {
  try { parseScorecard(x); } catch (e) { if (e instanceof DomainError) return e.field; throw e; }
  return undefined;
}

const TYPICAL: FeatureVector = {
  tenure_months: 40, avg_monthly_spend_fen: 6_000, spend_trend_pct: 5, recharge_months_6m: 6, call_active_days_30: 22,
  regular_contacts: 9, home_night_share_pct: 85, sim_age_days: 500, plan_postpaid: 0, installer_rating: null,
  income_to_installment_pct: null, red_listed: 0,
};

const featureValueArb = fc.option(fc.integer({ min: -200, max: 5_000 }), { nil: null });
const featuresArb: fc.Arbitrary<FeatureVector> = fc.tuple(...FEATURE_NAMES.map(() => featureValueArb))
  .map((values) => Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, values[i]!])) as Record<FeatureName, number | null>);

describe('the default scorecard', () => {
  it('passes its own validation and runs from 300 to 850', () => {
    expect(parseScorecard(DEFAULT_SCORECARD)).toEqual(DEFAULT_SCORECARD);
    expect(scorecardRange(DEFAULT_SCORECARD)).toEqual({ min: 300, max: 850 });
    expect(DEFAULT_SCORECARD.version).toBe('rural-2026.1');
    expect(DEFAULT_SCORECARD.features.map((f) => f.feature)).toEqual([...FEATURE_NAMES]);
  });

  it('grades A-E with the seed products and limits, E declining', () => {
    expect(DEFAULT_SCORECARD.grades.map((g) => [g.grade, g.creditLimitFen / 100, g.productCodes.join(',')])).toEqual([
      ['A', 80_000, 'X001,Y001,Z001'], ['B', 50_000, 'X001,Y001,Z001'], ['C', 20_000, 'X001,Z001'], ['D', 10_000, 'X001'], ['E', 0, ''],
    ]);
    const seedCodes = SEED_PRODUCTS.map((p) => p.code);
    for (const g of DEFAULT_SCORECARD.grades) for (const c of g.productCodes) expect(seedCodes).toContain(c);
  });

  it('scores a typical settled prepaid customer C and lifts them with field data', () => {
    const typical = scoreApplicant(DEFAULT_SCORECARD, TYPICAL);
    expect([typical.score, typical.grade, typical.creditLimitFen]).toEqual([625, 'C', 2_000_000]);
    const visited = scoreApplicant(DEFAULT_SCORECARD, { ...TYPICAL, installer_rating: 4, income_to_installment_pct: 320 });
    expect([visited.score, visited.grade]).toEqual([690, 'B']);
  });

  it('gives the same scores after a JSON round trip (property)', () => {
    const roundTripped = parseScorecard(JSON.parse(JSON.stringify(DEFAULT_SCORECARD)));
    fc.assert(fc.property(featuresArb, (features) => {
      expect(scoreApplicant(roundTripped, features)).toEqual(scoreApplicant(DEFAULT_SCORECARD, features));
    }));
  });

  it('rewards the directions a rural carrier scorecard takes (more is never worse)', () => {
    for (const feature of FEATURE_NAMES) {
      const f = DEFAULT_SCORECARD.features.find((x) => x.feature === feature)!;
      if (feature === 'spend_trend_pct') continue; // steady is best; both sharp falls and sharp jumps cost points
      const points = f.bands.map((b) => b.points);
      expect(points, feature).toEqual([...points].sort((a, b) => a - b));
    }
  });
});

describe('scoreApplicant', () => {
  it('places values on band boundaries in the band that starts there', () => {
    const at = (tenure: number) => scoreApplicant(DEFAULT_SCORECARD, { ...TYPICAL, tenure_months: tenure }).contributions[0]!;
    expect(at(5)).toMatchObject({ label: 'under 6 months', points: 0, bestPoints: 70 });
    expect(at(6)).toMatchObject({ label: '6-11 months', points: 15 });
    expect(at(60)).toMatchObject({ label: '5 years or more', points: 70 });
    expect(at(-3)).toMatchObject({ label: 'under 6 months', points: 0 });
  });

  it('scores missing features with missingPoints and labels them', () => {
    const r = scoreApplicant(DEFAULT_SCORECARD, TYPICAL);
    expect(r.contributions.find((c) => c.feature === 'installer_rating')).toEqual(
      { feature: 'installer_rating', value: null, label: MISSING_LABEL, points: 20, bestPoints: 60 });
  });

  it('explains with up to four features that cost the most, ties in definition order', () => {
    const r = scoreApplicant(DEFAULT_SCORECARD, TYPICAL);
    // Losses: income 60, installer 40, then tenure, spend, plan and red list at 20 each (definition order wins).
    expect(r.topReasons.map((t) => [t.feature, t.pointsBelowBest])).toEqual([
      ['income_to_installment_pct', 60], ['installer_rating', 40], ['tenure_months', 20], ['avg_monthly_spend_fen', 20],
    ]);
    expect(r.topReasons[2]!.reason).toBe('The mobile number has been held only a short time.');
  });

  it('gives no reasons to an applicant at the best band everywhere', () => {
    const best: FeatureVector = { tenure_months: 100, avg_monthly_spend_fen: 30_000, spend_trend_pct: 0, recharge_months_6m: 6,
      call_active_days_30: 30, regular_contacts: 20, home_night_share_pct: 95, sim_age_days: 2_000, plan_postpaid: 1,
      installer_rating: 5, income_to_installment_pct: 800, red_listed: 1 };
    const r = scoreApplicant(DEFAULT_SCORECARD, best);
    expect([r.score, r.grade, r.topReasons]).toEqual([850, 'A', []]);
  });

  it('declines in grade E', () => {
    const worst = { ...Object.fromEntries(FEATURE_NAMES.map((n) => [n, -1])), spend_trend_pct: -100 } as FeatureVector;
    const r = scoreApplicant(DEFAULT_SCORECARD, worst);
    expect([r.score, r.grade, r.creditLimitFen, r.productCodes]).toEqual([300, 'E', 0, []]);
    expect(r.topReasons).toHaveLength(TOP_REASONS_MAX);
  });

  it('adds up, stays in range and grades consistently (property)', () => {
    const range = scorecardRange(DEFAULT_SCORECARD);
    fc.assert(fc.property(featuresArb, (features) => {
      const r = scoreApplicant(DEFAULT_SCORECARD, features);
      expect(r.score).toBe(DEFAULT_SCORECARD.baseScore + r.contributions.reduce((a, c) => a + c.points, 0));
      expect(r.score).toBeGreaterThanOrEqual(range.min);
      expect(r.score).toBeLessThanOrEqual(range.max);
      const gradeIndex = DEFAULT_SCORECARD.grades.findIndex((g) => g.grade === r.grade);
      expect(r.score).toBeGreaterThanOrEqual(DEFAULT_SCORECARD.grades[gradeIndex]!.minScore);
      if (gradeIndex > 0) expect(r.score).toBeLessThan(DEFAULT_SCORECARD.grades[gradeIndex - 1]!.minScore);
      expect(r.topReasons.length).toBeLessThanOrEqual(TOP_REASONS_MAX);
      const losses = r.contributions.map((c) => c.bestPoints - c.points);
      for (const c of r.contributions) expect(c.points).toBeLessThanOrEqual(c.bestPoints);
      const listed = r.topReasons.map((t) => t.pointsBelowBest);
      expect(listed).toEqual([...listed].sort((a, b) => b - a));
      const positive = losses.filter((l) => l > 0).sort((a, b) => b - a);
      expect(listed).toEqual(positive.slice(0, TOP_REASONS_MAX));
    }));
  });

  it('treats a non-finite feature as a bug', () => {
    expect(() => scoreApplicant(DEFAULT_SCORECARD, { ...TYPICAL, tenure_months: Number.NaN })).toThrow(/Invariant/);
  });
});

describe('parseScorecard', () => {
  it('rejects a bad version, unknown fields and unknown features', () => {
    expect(errorField({ ...clone(), version: 'Rural 2026' })).toBe('scorecard.version');
    expect(errorField({ ...clone(), version: 'x'.repeat(33) })).toBe('scorecard.version');
    expect(errorField({ ...clone(), owner: 'risk' })).toBe('scorecard.owner');
    const d = clone();
    (d.features[3] as { feature: string }).feature = 'shoe_size';
    expect(errorField(d)).toBe('scorecard.features[3].feature');
    const dup = clone();
    dup.features[2]!.feature = 'tenure_months';
    expect(errorField(dup)).toBe('scorecard.features[2].feature');
    expect(errorField([])).toBe('scorecard');
  });

  it('rejects bands with a gap, an overlap, an open middle or unsorted bounds', () => {
    const gap = clone();
    gap.features[0]!.bands[2]!.min = 13;
    expect(errorField(gap)).toBe('scorecard.features[0].bands[2].min');
    const overlap = clone();
    overlap.features[0]!.bands[1]!.max = 30;
    expect(errorField(overlap)).toBe('scorecard.features[0].bands[2].min');
    const closedStart = clone();
    closedStart.features[1]!.bands[0]!.min = 0;
    expect(errorField(closedStart)).toBe('scorecard.features[1].bands[0].min');
    const closedEnd = clone();
    closedEnd.features[1]!.bands[4]!.max = 1_000_000;
    expect(errorField(closedEnd)).toBe('scorecard.features[1].bands[4].max');
    const reversed = clone();
    reversed.features[0]!.bands = [{ min: null, max: 10, points: 0, label: 'a' }, { min: 10, max: 5, points: 1, label: 'b' },
      { min: 5, max: null, points: 2, label: 'c' }];
    expect(errorField(reversed)).toBe('scorecard.features[0].bands[1].max');
    const empty = clone();
    empty.features[0]!.bands = [];
    expect(errorField(empty)).toBe('scorecard.features[0].bands');
    const fractional = clone();
    fractional.features[0]!.bands[0]!.points = 1.5;
    expect(errorField(fractional)).toBe('scorecard.features[0].bands[0].points');
  });

  it('accepts a single band covering everything', () => {
    const one = clone();
    one.features = [{ feature: 'red_listed', reason: 'x', missingPoints: 0, bands: [{ min: null, max: null, points: 5, label: 'all' }] }];
    one.grades = [{ grade: 'A', minScore: 0, creditLimitFen: 100_000, productCodes: ['X001'] }];
    expect(scoreApplicant(parseScorecard(one), TYPICAL).score).toBe(305);
  });

  it('rejects grades out of order, with bad limits, or leaving scores ungraded', () => {
    const order = clone();
    order.grades[2]!.minScore = 700;
    expect(errorField(order)).toBe('scorecard.grades[2].minScore');
    const lowest = clone();
    lowest.grades[4]!.minScore = 301;
    expect(errorField(lowest)).toBe('scorecard.grades[4].minScore');
    const negative = clone();
    negative.grades[4]!.creditLimitFen = -1;
    expect(errorField(negative)).toBe('scorecard.grades[4].creditLimitFen');
    const fractional = clone();
    fractional.grades[0]!.creditLimitFen = 100.5;
    expect(errorField(fractional)).toBe('scorecard.grades[0].creditLimitFen');
    const inverted = clone();
    inverted.grades[1]!.creditLimitFen = 9_000_000;
    expect(errorField(inverted)).toBe('scorecard.grades[1].creditLimitFen');
    const declineWithProducts = clone();
    declineWithProducts.grades[4]!.productCodes = ['X001'];
    expect(errorField(declineWithProducts)).toBe('scorecard.grades[4].productCodes');
    const lendWithout = clone();
    lendWithout.grades[3]!.productCodes = [];
    expect(errorField(lendWithout)).toBe('scorecard.grades[3].productCodes');
    const badCode = clone();
    badCode.grades[0]!.productCodes = ['x001'];
    expect(errorField(badCode)).toBe('scorecard.grades[0].productCodes[0]');
    const dupGrade = clone();
    dupGrade.grades[1]!.grade = 'A';
    expect(errorField(dupGrade)).toBe('scorecard.grades[1].grade');
  });
});

describe('the default scorecard object', () => {
  it('is frozen, so one request cannot change it for the others', () => {
    expect(Object.isFrozen(DEFAULT_SCORECARD)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SCORECARD.features[0]!.bands[0])).toBe(true);
    expect(Object.isFrozen(DEFAULT_SCORECARD.grades[0]!.productCodes)).toBe(true);
    const parsed = parseScorecard(DEFAULT_SCORECARD);
    expect(Object.isFrozen(parsed.grades[0]!.productCodes)).toBe(false);
    const result = scoreApplicant(DEFAULT_SCORECARD, TYPICAL);
    result.productCodes.push('W001');
    expect(DEFAULT_SCORECARD.grades[2]!.productCodes).toEqual(['X001', 'Z001']);
  });
});
