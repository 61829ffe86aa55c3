import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PLATFORM_BORROWING_CAP_FEN,
  TOTAL_BORROWING_CAP_FEN,
  availableBorrowingFen,
  platformBorrowingRoomFen,
  totalBorrowingRoomFen,
} from './borrowing-cap.js';
import { decideCredit, type CreditDecisionInput } from './credit-decision.js';
import { yuan } from './money.js';
import { REASON_CODE_LIST, hit, type ReasonHit } from './reason-codes.js';
import type { ScoreResult } from './scorecard.js';

function score(creditLimitFen: number, grade = 'B'): ScoreResult {
  return { scorecardVersion: 'rural-2026.1', score: 660, grade, creditLimitFen, productCodes: creditLimitFen > 0 ? ['X001'] : [],
    contributions: [], topReasons: [] };
}

function input(overrides: Partial<CreditDecisionInput> = {}): CreditDecisionInput {
  return { hits: [], score: score(yuan(50_000)), openPlatformPrincipalFen: 0, otherPlatformsDebtFen: 0, requestedAmountFen: yuan(30_000),
    smallestProductMinFen: yuan(1_000), ...overrides };
}

describe('borrowing caps', () => {
  it('gives the room under the CNY 200,000 platform cap and the CNY 1,000,000 total cap', () => {
    expect(TOTAL_BORROWING_CAP_FEN).toBe(100_000_000);
    expect(platformBorrowingRoomFen(yuan(150_000))).toBe(yuan(50_000));
    expect(platformBorrowingRoomFen(yuan(250_000))).toBe(0);
    expect(totalBorrowingRoomFen(yuan(100_000), yuan(850_000))).toBe(yuan(50_000));
    expect(totalBorrowingRoomFen(yuan(100_000), yuan(950_000))).toBe(0);
    expect(availableBorrowingFen(yuan(50_000), yuan(820_000))).toBe(yuan(130_000));
    expect(availableBorrowingFen(yuan(50_000), 0)).toBe(yuan(150_000));
    expect(() => availableBorrowingFen(-1, 0)).toThrow(/Invariant/);
  });
});

describe('decideCredit', () => {
  it('approves a clean applicant at the grade limit', () => {
    expect(decideCredit(input())).toEqual({ outcome: 'approved', reasons: [], creditLimitFen: yuan(50_000) });
  });

  it('keeps info hits without blocking', () => {
    const d = decideCredit(input({ hits: [hit('RED_LISTED')] }));
    expect([d.outcome, d.reasons.map((r) => r.code)]).toEqual(['approved', ['RED_LISTED']]);
  });

  it('refuses on any refuse hit and grants nothing', () => {
    const d = decideCredit(input({ hits: [hit('SIM_TOO_NEW', { simAgeDays: 3 }), hit('BLACK_LISTED', { reason: 'fraud' })] }));
    expect(d.outcome).toBe('refused');
    expect(d.creditLimitFen).toBe(0);
    expect(d.reasons.map((r) => r.code)).toEqual(['BLACK_LISTED', 'SIM_TOO_NEW']);
  });

  it('refuses a declining grade with SCORE_TOO_LOW', () => {
    const d = decideCredit(input({ score: score(0, 'E') }));
    expect(d).toEqual({ outcome: 'refused', creditLimitFen: 0, reasons: [
      { code: 'SCORE_TOO_LOW', severity: 'refuse', evidence: { score: 660, grade: 'E', scorecardVersion: 'rural-2026.1' } }] });
  });

  it('limits to the platform room and refuses when it is below the smallest product', () => {
    expect(decideCredit(input({ openPlatformPrincipalFen: yuan(180_000) })).creditLimitFen).toBe(yuan(20_000));
    expect(decideCredit(input({ openPlatformPrincipalFen: yuan(199_000) })).outcome).toBe('approved'); // room 1,000 = smallest
    const d = decideCredit(input({ openPlatformPrincipalFen: yuan(199_500) }));
    expect(d.outcome).toBe('refused');
    expect(d.reasons[0]).toEqual({ code: 'PLATFORM_CAP_EXHAUSTED', severity: 'refuse', evidence: {
      capFen: PLATFORM_BORROWING_CAP_FEN, openPlatformPrincipalFen: yuan(199_500), roomFen: yuan(500), smallestProductMinFen: yuan(1_000),
      requestedAmountFen: yuan(30_000) } });
  });

  it('limits to the total room across platforms and refuses when it is exhausted', () => {
    expect(decideCredit(input({ openPlatformPrincipalFen: yuan(10_000), otherPlatformsDebtFen: yuan(975_000) })).creditLimitFen).toBe(yuan(15_000));
    const d = decideCredit(input({ otherPlatformsDebtFen: yuan(1_200_000) }));
    expect([d.outcome, d.reasons.map((r) => r.code), d.reasons[0]!.evidence.roomFen]).toEqual(['refused', ['TOTAL_CAP_EXHAUSTED'], 0]);
  });

  it('sends review hits to manual review with the limit computed', () => {
    const d = decideCredit(input({ hits: [hit('RED_LISTED'), hit('SHARED_DEVICE', { count: 1 })], openPlatformPrincipalFen: yuan(170_000) }));
    expect(d).toEqual({ outcome: 'manual_review', creditLimitFen: yuan(30_000),
      reasons: [hit('SHARED_DEVICE', { count: 1 }), hit('RED_LISTED')] });
  });

  it('treats impossible amounts as bugs', () => {
    expect(() => decideCredit(input({ otherPlatformsDebtFen: -1 }))).toThrow(/Invariant/);
    expect(() => decideCredit(input({ smallestProductMinFen: 0 }))).toThrow(/Invariant/);
    expect(() => decideCredit(input({ openPlatformPrincipalFen: 1.5 }))).toThrow(/Invariant/);
  });

  const hitArb: fc.Arbitrary<ReasonHit> = fc.constantFrom(...REASON_CODE_LIST).map((code) => hit(code, {}));
  const inputArb: fc.Arbitrary<CreditDecisionInput> = fc.record({
    hits: fc.oneof(fc.constant([]), fc.array(hitArb, { maxLength: 4 })),
    score: fc.integer({ min: 0, max: yuan(300_000) }).map((limit) => score(limit)),
    openPlatformPrincipalFen: fc.oneof(fc.integer({ min: 0, max: yuan(250_000) }), fc.constant(0)),
    otherPlatformsDebtFen: fc.oneof(fc.integer({ min: 0, max: yuan(1_200_000) }), fc.constant(0)),
    requestedAmountFen: fc.integer({ min: 1, max: yuan(200_000) }),
    smallestProductMinFen: fc.integer({ min: 1, max: yuan(5_000) }),
  });

  it('never grants more than either cap room or the grade limit, nor less than 0 (property)', () => {
    fc.assert(fc.property(inputArb, (i) => {
      const d = decideCredit(i);
      expect(Number.isSafeInteger(d.creditLimitFen)).toBe(true);
      expect(d.creditLimitFen).toBeGreaterThanOrEqual(0);
      expect(d.creditLimitFen).toBeLessThanOrEqual(i.score.creditLimitFen);
      expect(d.creditLimitFen).toBeLessThanOrEqual(Math.max(0, PLATFORM_BORROWING_CAP_FEN - i.openPlatformPrincipalFen));
      expect(d.creditLimitFen).toBeLessThanOrEqual(Math.max(0, TOTAL_BORROWING_CAP_FEN - i.openPlatformPrincipalFen - i.otherPlatformsDebtFen));
      if (d.creditLimitFen > 0) {
        expect(i.openPlatformPrincipalFen + d.creditLimitFen).toBeLessThanOrEqual(PLATFORM_BORROWING_CAP_FEN);
        expect(i.openPlatformPrincipalFen + i.otherPlatformsDebtFen + d.creditLimitFen).toBeLessThanOrEqual(TOTAL_BORROWING_CAP_FEN);
      }
      // The outcome follows the severities it reports.
      const severities = new Set(d.reasons.map((r) => r.severity));
      expect(d.outcome).toBe(severities.has('refuse') ? 'refused' : severities.has('review') ? 'manual_review' : 'approved');
      if (d.outcome === 'refused') expect(d.creditLimitFen).toBe(0);
      if (d.outcome !== 'refused') expect(d.creditLimitFen).toBeGreaterThanOrEqual(Math.min(i.score.creditLimitFen, i.smallestProductMinFen));
      expect(d.reasons.length).toBeGreaterThanOrEqual(i.hits.length);
    }));
  });
});
