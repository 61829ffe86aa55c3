import { describe, expect, it } from 'vitest';
import { REASON_CODE_LIST, REASON_CODES, REASON_SEVERITIES, hasSeverity, hit, isReasonCode, sortHitsBySeverity } from './reason-codes.js';

describe('reason codes', () => {
  it('has the codes the review, fraud and decision rules rely on, each with a one-line description', () => {
    for (const code of ['BLACK_LISTED', 'COURT_DISHONEST_DEBTOR', 'OWN_OVERDUE_HISTORY', 'OWN_WRITTEN_OFF', 'SUBSCRIBER_NOT_ACTIVE',
      'SUBSCRIBER_UNKNOWN', 'ID_MISMATCH', 'NAME_MISMATCH', 'CALLBACK_DENIED', 'CALLBACK_NOT_REACHABLE', 'SIM_TOO_NEW',
      'SIM_SWAPPED_RECENTLY', 'SHARED_DEVICE', 'SHARED_CONTACTS', 'VILLAGE_NOT_SEEN', 'STORE_VELOCITY', 'STAFF_VELOCITY',
      'SCORE_TOO_LOW', 'PLATFORM_CAP_EXHAUSTED', 'TOTAL_CAP_EXHAUSTED', 'NO_PRODUCT_FITS', 'RED_LISTED']) {
      expect(isReasonCode(code), code).toBe(true);
    }
    for (const code of REASON_CODE_LIST) {
      const info = REASON_CODES[code];
      expect(REASON_SEVERITIES).toContain(info.severity);
      expect(info.description).toMatch(/^[A-Z].*\.$/);
      expect(info.description).not.toContain('\n');
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
    }
  });

  it('red listing is information only, never a block', () => {
    expect(REASON_CODES.RED_LISTED.severity).toBe('info');
  });

  it('hit takes the severity from the catalogue and copies the evidence', () => {
    const evidence = { count: 3 };
    const h = hit('SHARED_DEVICE', evidence);
    expect(h).toEqual({ code: 'SHARED_DEVICE', severity: 'review', evidence: { count: 3 } });
    evidence.count = 4;
    expect(h.evidence.count).toBe(3);
    expect(hit('BLACK_LISTED').evidence).toEqual({});
  });

  it('refuses unknown codes and non-finite evidence as bugs', () => {
    expect(() => hit('NOPE' as never)).toThrow(/Invariant/);
    expect(() => hit('SIM_TOO_NEW', { simAgeDays: Number.NaN })).toThrow(/Invariant/);
    expect(isReasonCode('toString')).toBe(false);
  });

  it('sorts refusals first and keeps order within a severity', () => {
    const hits = [hit('RED_LISTED'), hit('SIM_TOO_NEW', { n: 1 }), hit('BLACK_LISTED'), hit('SHARED_DEVICE'), hit('OWN_WRITTEN_OFF')];
    expect(sortHitsBySeverity(hits).map((h) => h.code))
      .toEqual(['BLACK_LISTED', 'OWN_WRITTEN_OFF', 'SIM_TOO_NEW', 'SHARED_DEVICE', 'RED_LISTED']);
    expect(hasSeverity(hits, 'refuse')).toBe(true);
    expect(hasSeverity([hit('RED_LISTED')], 'review')).toBe(false);
  });
});
