import { describe, expect, it } from 'vitest';
import {
  CALLBACK_ATTEMPTS_MAX,
  OWN_MAX_DAYS_PAST_DUE_TOLERATED,
  callbackReview,
  identityReview,
  listModelReview,
  maskPersonName,
  normalisePersonName,
  subscriberUnknownHit,
  type ListFacts,
} from './initial-review.js';
import type { SubscriberProfile } from './subscriber-profile.js';

const CLEAN: ListFacts = { blackListEntries: [], redListed: false, ownHistory: { loansWrittenOff: 0, loansOverdueNow: 0, maxDaysPastDueEver: 0 } };

const ID = '11010519491231002X';
const OTHER_ID = '110105194912310029';

function profile(overrides: Partial<SubscriberProfile> = {}): SubscriberProfile {
  return {
    msisdn: '13800138000',
    identity: { name: '张三', idNumber: ID },
    status: { status: 'active', since: '2015-03-01' },
    ...overrides,
  };
}

describe('listModelReview', () => {
  it('passes a clean person with no hits', () => {
    expect(listModelReview(CLEAN)).toEqual([]);
  });

  it('refuses every black-list entry with its own explainable hit', () => {
    const hits = listModelReview({
      ...CLEAN,
      blackListEntries: [
        { list: 'internal_black', reason: 'fraudulent documents' },
        { list: 'court_dishonest', reason: '有履行能力而拒不履行', caseNumber: '(2024)粤0103执1234号' },
      ],
    });
    expect(hits).toEqual([
      { code: 'BLACK_LISTED', severity: 'refuse', evidence: { reason: 'fraudulent documents' } },
      { code: 'COURT_DISHONEST_DEBTOR', severity: 'refuse', evidence: { reason: '有履行能力而拒不履行', caseNumber: '(2024)粤0103执1234号' } },
    ]);
  });

  it('refuses a written-off loan, a loan overdue now and a past delinquency over 30 days', () => {
    const h = (ownHistory: ListFacts['ownHistory']) => listModelReview({ ...CLEAN, ownHistory }).map((x) => `${x.code}:${x.severity}`);
    expect(h({ loansWrittenOff: 1, loansOverdueNow: 0, maxDaysPastDueEver: 0 })).toEqual(['OWN_WRITTEN_OFF:refuse']);
    expect(h({ loansWrittenOff: 0, loansOverdueNow: 1, maxDaysPastDueEver: 3 })).toEqual(['OWN_OVERDUE_HISTORY:refuse']);
    expect(h({ loansWrittenOff: 0, loansOverdueNow: 0, maxDaysPastDueEver: OWN_MAX_DAYS_PAST_DUE_TOLERATED })).toEqual([]);
    expect(h({ loansWrittenOff: 0, loansOverdueNow: 0, maxDaysPastDueEver: OWN_MAX_DAYS_PAST_DUE_TOLERATED + 1 })).toEqual(['OWN_OVERDUE_HISTORY:refuse']);
    expect(h({ loansWrittenOff: 2, loansOverdueNow: 1, maxDaysPastDueEver: 90 })).toEqual(['OWN_WRITTEN_OFF:refuse', 'OWN_OVERDUE_HISTORY:refuse']);
  });

  it('records red listing as information only', () => {
    expect(listModelReview({ ...CLEAN, redListed: true })).toEqual([{ code: 'RED_LISTED', severity: 'info', evidence: {} }]);
  });

  it('treats impossible history counts as bugs', () => {
    expect(() => listModelReview({ ...CLEAN, ownHistory: { loansWrittenOff: -1, loansOverdueNow: 0, maxDaysPastDueEver: 0 } })).toThrow(/Invariant/);
    expect(() => listModelReview({ ...CLEAN, ownHistory: { loansWrittenOff: 0, loansOverdueNow: 0.5, maxDaysPastDueEver: 0 } })).toThrow(/Invariant/);
  });
});

describe('identityReview', () => {
  it('passes a matching, active subscriber', () => {
    expect(identityReview({ name: '张三', idNumber: ID.toLowerCase() }, profile())).toEqual([]);
    expect(identityReview({ name: ' 张 三 ', idNumber: ID }, profile())).toEqual([]);
  });

  it('refuses a different ID number with masked evidence only', () => {
    const hits = identityReview({ name: '张三', idNumber: OTHER_ID }, profile());
    expect(hits).toEqual([{ code: 'ID_MISMATCH', severity: 'refuse',
      evidence: { applicantIdNumber: '110105********0029', registeredIdNumber: '110105********002X' } }]);
    const text = JSON.stringify(hits);
    expect(text).not.toContain(ID);
    expect(text).not.toContain(OTHER_ID);
  });

  it('sends a different name to review with masked names', () => {
    const hits = identityReview({ name: '李四', idNumber: ID }, profile());
    expect(hits).toEqual([{ code: 'NAME_MISMATCH', severity: 'review', evidence: { applicantName: '李*', registeredName: '张*' } }]);
  });

  it('treats middle-dot variants in minority names as the same name', () => {
    expect(normalisePersonName('买买提•艾力')).toBe(normalisePersonName('买买提·艾力'));
    const p = profile({ identity: { name: '买买提·艾力', idNumber: ID } });
    expect(identityReview({ name: '买买提・艾力', idNumber: ID }, p)).toEqual([]);
  });

  it('refuses a suspended or cancelled number', () => {
    const hits = identityReview({ name: '张三', idNumber: ID }, profile({ status: { status: 'suspended', since: '2026-01-02' } }));
    expect(hits).toEqual([{ code: 'SUBSCRIBER_NOT_ACTIVE', severity: 'refuse', evidence: { status: 'suspended', since: '2026-01-02' } }]);
  });

  it('needs the identity and status groups', () => {
    expect(() => identityReview({ name: '张三', idNumber: ID }, { msisdn: '13800138000', status: { status: 'active', since: '2020-01-01' } }))
      .toThrow(/identity group/);
    expect(() => identityReview({ name: '张三', idNumber: ID }, { msisdn: '13800138000', identity: { name: '张三', idNumber: ID } }))
      .toThrow(/status group/);
  });

  it('masks names and unknown numbers for evidence', () => {
    expect(maskPersonName('欧阳娜娜')).toBe('欧***');
    expect(maskPersonName('王')).toBe('王*');
    expect(subscriberUnknownHit('13800138000')).toEqual({ code: 'SUBSCRIBER_UNKNOWN', severity: 'refuse', evidence: { msisdn: '138****8000' } });
  });
});

describe('callbackReview', () => {
  it('passes a confirmed callback and refuses a denial', () => {
    expect(callbackReview('confirmed', 0)).toEqual({ outcome: 'passed' });
    expect(callbackReview('confirmed', 2)).toEqual({ outcome: 'passed' });
    expect(callbackReview('denied', 0)).toEqual({ outcome: 'refused', hit: { code: 'CALLBACK_DENIED', severity: 'refuse', evidence: {} } });
  });

  it('retries an unreachable person until the third attempt, then refuses', () => {
    expect(CALLBACK_ATTEMPTS_MAX).toBe(3);
    expect(callbackReview('not_reachable', 1)).toEqual({ outcome: 'retry' });
    expect(callbackReview('not_reachable', 2)).toEqual({ outcome: 'retry' });
    expect(callbackReview('not_reachable', 3)).toEqual({ outcome: 'refused',
      hit: { code: 'CALLBACK_NOT_REACHABLE', severity: 'refuse', evidence: { attempts: 3, attemptsMax: 3 } } });
    expect(callbackReview('not_reachable', 4).outcome).toBe('refused');
  });

  it('treats an uncounted unreachable attempt as a bug', () => {
    expect(() => callbackReview('not_reachable', 0)).toThrow(/Invariant/);
    expect(() => callbackReview('confirmed', -1)).toThrow(/Invariant/);
  });
});
