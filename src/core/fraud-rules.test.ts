import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import { DEFAULT_FRAUD_LIMITS, fraudChecks, normaliseVillage, parseFraudLimits, type FraudContext } from './fraud-rules.js';
import { REASON_CODES } from './reason-codes.js';
import type { SubscriberProfile } from './subscriber-profile.js';

const PROFILE: SubscriberProfile = {
  msisdn: '13800138000',
  device: { deviceId: 'dev-9f2c', deviceSince: '2022-05-01', simIssuedOn: '2019-04-10', lastSimSwapOn: null },
  address: {
    installedAddress: '广东省清远市连州市西岸镇墩头村12号', county: '连州市', village: '墩头村',
    villagesSeen: ['墩头村', '西岸镇'], homeNightSharePercent: 88,
  },
};

function ctx(overrides: Partial<FraudContext> = {}): FraudContext {
  return {
    asOf: '2026-03-15', statedVillage: '墩头村', profile: PROFILE, otherPersonsOnDevice: 0, otherPersonsSharingContacts: 0,
    storeApplicationsToday: 3, staffApplicationsToday: 2, limits: { ...DEFAULT_FRAUD_LIMITS }, ...overrides,
  };
}

function withDevice(device: Partial<NonNullable<SubscriberProfile['device']>>): SubscriberProfile {
  return { ...PROFILE, device: { ...PROFILE.device!, ...device } };
}

const codes = (c: FraudContext) => fraudChecks(c).map((h) => h.code);

describe('fraudChecks', () => {
  it('finds nothing on an ordinary application', () => {
    expect(fraudChecks(ctx())).toEqual([]);
  });

  it('flags a SIM younger than 90 days, at the boundary exactly', () => {
    expect(codes(ctx({ profile: withDevice({ simIssuedOn: '2025-12-15' }) }))).toEqual([]); // 90 days
    const hits = fraudChecks(ctx({ profile: withDevice({ simIssuedOn: '2025-12-16' }) })); // 89 days
    expect(hits).toEqual([{ code: 'SIM_TOO_NEW', severity: 'review', evidence: { simAgeDays: 89, simAgeDaysMin: 90, issuedBySwap: false } }]);
  });

  it('flags a swap within 30 days and says when a young SIM came from that swap', () => {
    const hits = fraudChecks(ctx({ profile: withDevice({ simIssuedOn: '2026-02-20', lastSimSwapOn: '2026-02-20' }) }));
    expect(hits).toEqual([
      { code: 'SIM_TOO_NEW', severity: 'review', evidence: { simAgeDays: 23, simAgeDaysMin: 90, issuedBySwap: true } },
      { code: 'SIM_SWAPPED_RECENTLY', severity: 'review', evidence: { swappedOn: '2026-02-20', daysSinceSwap: 23, windowDays: 30 } },
    ]);
    expect(codes(ctx({ profile: withDevice({ lastSimSwapOn: '2026-02-13' }) }))).toEqual(['SIM_SWAPPED_RECENTLY']); // 30 days
    expect(codes(ctx({ profile: withDevice({ lastSimSwapOn: '2026-02-12' }) }))).toEqual([]); // 31 days
  });

  it('treats carrier dates after asOf as today', () => {
    expect(fraudChecks(ctx({ profile: withDevice({ simIssuedOn: '2026-03-16', lastSimSwapOn: '2026-03-16' }) })).map((h) => h.evidence))
      .toEqual([{ simAgeDays: 0, simAgeDaysMin: 90, issuedBySwap: true }, { swappedOn: '2026-03-16', daysSinceSwap: 0, windowDays: 30 }]);
  });

  it('flags shared handsets and shared contacts with counts only', () => {
    const hits = fraudChecks(ctx({ otherPersonsOnDevice: 2, otherPersonsSharingContacts: 1 }));
    expect(hits).toEqual([
      { code: 'SHARED_DEVICE', severity: 'review', evidence: { count: 2 } },
      { code: 'SHARED_CONTACTS', severity: 'review', evidence: { count: 1 } },
    ]);
    expect(JSON.stringify(hits)).not.toContain('dev-9f2c');
  });

  it('checks the stated village against where the handset spends nights', () => {
    expect(codes(ctx({ statedVillage: '墩头' }))).toEqual([]);
    expect(codes(ctx({ statedVillage: ' 西岸镇 ' }))).toEqual([]);
    expect(fraudChecks(ctx({ statedVillage: '石角村' }))).toEqual([{ code: 'VILLAGE_NOT_SEEN', severity: 'review',
      evidence: { statedVillage: '石角村', villagesSeenCount: 2, registeredVillageMatches: false } }]);
  });

  it('falls back to the registered village when there is no location history', () => {
    const noHistory = { ...PROFILE, address: { ...PROFILE.address!, villagesSeen: [] } };
    expect(codes(ctx({ profile: noHistory }))).toEqual([]);
    expect(fraudChecks(ctx({ profile: noHistory, statedVillage: '石角村' }))[0]!.evidence)
      .toEqual({ statedVillage: '石角村', villagesSeenCount: 0, registeredVillageMatches: false });
  });

  it('flags store and staff bursts above the daily limits, counting this application', () => {
    expect(codes(ctx({ storeApplicationsToday: 20, staffApplicationsToday: 10 }))).toEqual([]);
    expect(fraudChecks(ctx({ storeApplicationsToday: 21, staffApplicationsToday: 11 }))).toEqual([
      { code: 'STORE_VELOCITY', severity: 'review', evidence: { count: 21, max: 20 } },
      { code: 'STAFF_VELOCITY', severity: 'review', evidence: { count: 11, max: 10 } },
    ]);
    expect(codes(ctx({ storeApplicationsToday: null, staffApplicationsToday: null }))).toEqual([]);
  });

  it('never refuses on its own', () => {
    const hits = fraudChecks(ctx({
      statedVillage: '石角村', otherPersonsOnDevice: 5, otherPersonsSharingContacts: 5, storeApplicationsToday: 99, staffApplicationsToday: 99,
      profile: withDevice({ simIssuedOn: '2026-03-10', lastSimSwapOn: '2026-03-10' }),
    }));
    expect(hits).toHaveLength(7);
    for (const h of hits) expect(REASON_CODES[h.code].severity).toBe('review');
  });

  it('needs the device and address groups and sane counts', () => {
    expect(() => fraudChecks(ctx({ profile: { msisdn: '13800138000', address: PROFILE.address! } }))).toThrow(/device group/);
    expect(() => fraudChecks(ctx({ profile: { msisdn: '13800138000', device: PROFILE.device! } }))).toThrow(/address group/);
    expect(() => fraudChecks(ctx({ otherPersonsOnDevice: -1 }))).toThrow(/Invariant/);
    expect(() => fraudChecks(ctx({ statedVillage: '  ' }))).toThrow(DomainError);
  });
});

describe('fraud limits', () => {
  it('accepts the defaults and rejects bad or unknown limits with the field', () => {
    expect(parseFraudLimits(DEFAULT_FRAUD_LIMITS)).toEqual({ simAgeDaysMin: 90, simSwapWindowDays: 30, storeApplicationsPerDayMax: 20, staffApplicationsPerDayMax: 10 });
    const field = (x: unknown) => { try { parseFraudLimits(x); return null; } catch (e) { return (e as DomainError).field; } };
    expect(field({ ...DEFAULT_FRAUD_LIMITS, simAgeDaysMin: 0 })).toBe('fraudLimits.simAgeDaysMin');
    expect(field({ ...DEFAULT_FRAUD_LIMITS, staffApplicationsPerDayMax: 2.5 })).toBe('fraudLimits.staffApplicationsPerDayMax');
    expect(field({ ...DEFAULT_FRAUD_LIMITS, extra: 1 })).toBe('fraudLimits.extra');
    expect(field({ simAgeDaysMin: 90 })).toBe('fraudLimits.simSwapWindowDays');
    expect(field(null)).toBe('fraudLimits');
    expect(() => fraudChecks(ctx({ limits: { ...DEFAULT_FRAUD_LIMITS, simSwapWindowDays: -3 } }))).toThrow(DomainError);
  });

  it('normalises village spellings', () => {
    expect(normaliseVillage(' 墩 头村')).toBe('墩头');
    expect(normaliseVillage('村')).toBe('村');
  });
});
