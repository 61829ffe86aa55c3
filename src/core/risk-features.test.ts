import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from './domain-error.js';
import {
  FEATURE_NAMES,
  deriveFeatures,
  fieldDataReview,
  parseHomeVisit,
  parseInstallerSurvey,
  wholeMonthsBetween,
  type FeatureInput,
  type HomeVisit,
  type InstallerSurvey,
} from './risk-features.js';
import type { SubscriberProfile } from './subscriber-profile.js';

const PROFILE: SubscriberProfile = {
  msisdn: '13800138000',
  identity: { name: '张三', idNumber: '11010519491231002X' },
  status: { status: 'active', since: '2015-03-01' },
  plan: { plan: 'prepaid', activatedOn: '2015-03-20' },
  usage: {
    monthlySpendFen: [3000, 3200, 2800, 3500, 3600, 3900],
    recharges: [
      { date: '2025-09-10', amountFen: 5000 }, { date: '2025-10-02', amountFen: 3000 }, { date: '2025-10-28', amountFen: 3000 },
      { date: '2025-12-05', amountFen: 5000 }, { date: '2026-01-09', amountFen: 5000 }, { date: '2026-02-11', amountFen: 5000 },
    ],
  },
  address: { installedAddress: '墩头村12号', county: '连州市', village: '墩头村', villagesSeen: ['墩头村'], homeNightSharePercent: 92 },
  device: { deviceId: 'dev-1', deviceSince: '2021-01-01', simIssuedOn: '2024-03-15', lastSimSwapOn: null },
  behaviour: { callActiveDays30: 27, outgoingCalls30: 140, smsSent30: 12, regularContacts: 11 },
};

const SURVEY: InstallerSurvey = {
  installerId: 'INST-042', villagesCovered: ['墩头村', '石角村', '西岸村'], knowsHousehold: true, householdRating: 4, livesInStatedVillage: true,
};

const VISIT: HomeVisit = {
  officerId: 'LO-7', visitedOn: '2026-03-12', purposeConfirmed: true, purposeNotes: '扩建猪舍', householdSize: 5, dependants: 2,
  monthlyIncomeFen: 600_000, incomeSources: ['生猪养殖', '外出务工'],
  assets: [{ kind: 'house', estimatedValueFen: 15_000_000 }, { kind: 'livestock', estimatedValueFen: 4_000_000, note: '母猪20头' }],
  existingDebtFen: 0,
};

function input(overrides: Partial<FeatureInput> = {}): FeatureInput {
  return { profile: PROFILE, asOf: '2026-03-15', requestedAmountFen: 3_000_000, termMonths: 12, redListed: false, ...overrides };
}

describe('deriveFeatures', () => {
  it('computes every feature from a full credit_assessment profile and field data', () => {
    const f = deriveFeatures(input({ installerSurvey: SURVEY, homeVisit: VISIT }));
    expect(Object.keys(f)).toEqual([...FEATURE_NAMES]);
    expect(f).toEqual({
      tenure_months: 131, // 2015-03-20 .. 2026-02-20 is 131 months; 2026-03-20 is after asOf
      avg_monthly_spend_fen: 3333, // 20,000 / 6
      spend_trend_pct: 22, // (11,000 - 9,000) / 9,000 = 22.2%
      recharge_months_6m: 4, // Oct, Dec, Jan, Feb: Sep 10 is outside (2025-09-15, 2026-03-15], Oct counts once
      call_active_days_30: 27,
      regular_contacts: 11,
      home_night_share_pct: 92,
      sim_age_days: 730,
      plan_postpaid: 0,
      installer_rating: 4,
      income_to_installment_pct: 240, // 6,000 / (30,000 / 12)
      red_listed: 0,
    });
    expect(Object.isFrozen(f)).toBe(true);
  });

  it('gives nulls, not errors, for a thin file', () => {
    const thin: SubscriberProfile = { ...PROFILE, usage: { monthlySpendFen: [1200, 1500], recharges: [] } };
    const f = deriveFeatures(input({ profile: thin }));
    expect(f.avg_monthly_spend_fen).toBe(1350);
    expect(f.spend_trend_pct).toBeNull();
    expect(f.recharge_months_6m).toBe(0);
    expect(f.installer_rating).toBeNull();
    expect(f.income_to_installment_pct).toBeNull();
    const none = deriveFeatures(input({ profile: { ...PROFILE, usage: { monthlySpendFen: [], recharges: [] } } }));
    expect(none.avg_monthly_spend_fen).toBeNull();
  });

  it('handles a zero spend base and falling spend', () => {
    const trend = (monthlySpendFen: number[]) =>
      deriveFeatures(input({ profile: { ...PROFILE, usage: { monthlySpendFen, recharges: [] } } })).spend_trend_pct;
    expect(trend([0, 0, 0, 0, 0, 0])).toBe(0);
    expect(trend([0, 0, 0, 100, 0, 0])).toBeNull();
    expect(trend([1000, 1000, 1000, 500, 500, 500])).toBe(-50);
    expect(trend([3, 0, 0, 1, 0, 0])).toBe(-67); // -66.7 rounds away from zero
    expect(trend([999, 5, 2000, 2000, 2000, 2000, 2000, 2000])).toBe(0); // only the last six months count
  });

  it('counts a postpaid line as recharging every month', () => {
    const postpaid = { ...PROFILE, plan: { plan: 'postpaid' as const, activatedOn: '2015-03-20' }, usage: { ...PROFILE.usage!, recharges: [] } };
    const f = deriveFeatures(input({ profile: postpaid, redListed: true }));
    expect(f.recharge_months_6m).toBe(6);
    expect(f.plan_postpaid).toBe(1);
    expect(f.red_listed).toBe(1);
  });

  it('ignores the rating of an installer who does not know the household', () => {
    expect(deriveFeatures(input({ installerSurvey: { ...SURVEY, knowsHousehold: false } })).installer_rating).toBeNull();
  });

  it('needs the credit_assessment groups and valid request terms', () => {
    const { behaviour: _omit, ...noBehaviour } = PROFILE;
    expect(() => deriveFeatures(input({ profile: noBehaviour }))).toThrow(/credit_assessment/);
    expect(() => deriveFeatures(input({ requestedAmountFen: 0 }))).toThrow(DomainError);
    expect(() => deriveFeatures(input({ termMonths: 0 }))).toThrow(DomainError);
    expect(() => deriveFeatures(input({ asOf: '2026-02-30' }))).toThrow(DomainError);
  });

  it('computes whole months with month-end clamping', () => {
    expect(wholeMonthsBetween('2026-01-31', '2026-02-28')).toBe(1);
    expect(wholeMonthsBetween('2026-01-31', '2026-02-27')).toBe(0);
    expect(wholeMonthsBetween('2026-03-15', '2026-03-14')).toBe(0);
    expect(wholeMonthsBetween('2020-02-29', '2021-02-28')).toBe(12);
  });

  it('income to installment is exact and monotone in income (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }),
      fc.integer({ min: 100_000, max: 20_000_000 }), fc.integer({ min: 1, max: 60 }),
      (a, b, requested, term) => {
        const pct = (income: number) => deriveFeatures(input({ requestedAmountFen: requested, termMonths: term,
          homeVisit: { ...VISIT, monthlyIncomeFen: income } })).income_to_installment_pct!;
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(pct(lo)).toBeLessThanOrEqual(pct(hi));
        expect(Number.isInteger(pct(a))).toBe(true);
        expect(Math.abs(pct(a) - (a * 100 * term) / requested)).toBeLessThanOrEqual(0.5);
      }));
  });
});

describe('field data forms', () => {
  const errorField = (f: () => unknown): string | undefined => {
    try { f(); } catch (e) { if (e instanceof DomainError) return e.field; throw e; }
    return undefined;
  };

  it('parses an installer survey and a home visit', () => {
    expect(parseInstallerSurvey({ ...SURVEY, notes: ' 老实本分 ' })).toEqual({ ...SURVEY, notes: '老实本分' });
    expect(parseHomeVisit(JSON.parse(JSON.stringify(VISIT)))).toEqual(VISIT);
    expect(parseHomeVisit({ ...VISIT, purposeNotes: undefined })).not.toHaveProperty('purposeNotes');
  });

  it('names the installer survey field at fault', () => {
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, villagesCovered: [] }))).toBe('installerSurvey.villagesCovered');
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, villagesCovered: ['a', 'b', 'c', 'd', 'e'] }))).toBe('installerSurvey.villagesCovered');
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, villagesCovered: ['墩头村', ' '] }))).toBe('installerSurvey.villagesCovered[1]');
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, villagesCovered: ['墩头村', '墩头村'] }))).toBe('installerSurvey.villagesCovered[1]');
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, householdRating: 6 }))).toBe('installerSurvey.householdRating');
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, knowsHousehold: 'yes' }))).toBe('installerSurvey.knowsHousehold');
    expect(errorField(() => parseInstallerSurvey({ ...SURVEY, rating: 3 }))).toBe('installerSurvey.rating');
    expect(errorField(() => parseInstallerSurvey('x'))).toBe('installerSurvey');
  });

  it('names the home visit field at fault, down to the asset', () => {
    const assets = [...VISIT.assets, { kind: 'land', estimatedValueFen: -1 }];
    expect(errorField(() => parseHomeVisit({ ...VISIT, assets }))).toBe('homeVisit.assets[2].estimatedValueFen');
    expect(errorField(() => parseHomeVisit({ ...VISIT, assets: [{ kind: 'boat', estimatedValueFen: 1 }] }))).toBe('homeVisit.assets[0].kind');
    expect(errorField(() => parseHomeVisit({ ...VISIT, monthlyIncomeFen: 12.5 }))).toBe('homeVisit.monthlyIncomeFen');
    expect(errorField(() => parseHomeVisit({ ...VISIT, visitedOn: '2026-13-01' }))).toBe('homeVisit.visitedOn');
    expect(errorField(() => parseHomeVisit({ ...VISIT, dependants: 6 }))).toBe('homeVisit.dependants');
    expect(errorField(() => parseHomeVisit({ ...VISIT, householdSize: 0 }))).toBe('homeVisit.householdSize');
    expect(errorField(() => parseHomeVisit({ ...VISIT, officerId: '' }))).toBe('homeVisit.officerId');
    expect(errorField(() => parseHomeVisit({ ...VISIT, incomeSources: 'farming' }))).toBe('homeVisit.incomeSources');
    expect(errorField(() => parseHomeVisit({ ...VISIT, existingDebtFen: undefined }))).toBe('homeVisit.existingDebtFen');
    expect(errorField(() => parseHomeVisit(VISIT, 'application.homeVisit'))).toBeUndefined();
    expect(errorField(() => parseHomeVisit({ ...VISIT, dependants: -1 }, 'application.homeVisit'))).toBe('application.homeVisit.dependants');
  });

  it('flags what the people on the ground disputed', () => {
    expect(fieldDataReview({ installerSurvey: SURVEY, homeVisit: VISIT })).toEqual([]);
    expect(fieldDataReview({}).length).toBe(0);
    expect(fieldDataReview({ installerSurvey: { ...SURVEY, livesInStatedVillage: false }, homeVisit: { ...VISIT, purposeConfirmed: false } }))
      .toEqual([
        { code: 'INSTALLER_VILLAGE_DISPUTED', severity: 'review', evidence: { installerId: 'INST-042' } },
        { code: 'PURPOSE_NOT_CONFIRMED', severity: 'review', evidence: { officerId: 'LO-7', visitedOn: '2026-03-12' } },
      ]);
    expect(fieldDataReview({ installerSurvey: { ...SURVEY, knowsHousehold: false, livesInStatedVillage: false } })).toEqual([]);
  });
});
