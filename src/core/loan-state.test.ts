import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import {
  assertTransition, canTransition, delinquencyBucket, isLoanStatus, LOAN_STATUSES, SERVICED_STATUSES, type LoanStatus,
} from './loan-state.js';

/** The loan life cycle written out by hand: every legal move, and nothing else. */
const LEGAL: readonly [LoanStatus, LoanStatus][] = [
  ['applied', 'approved'], ['applied', 'rejected'], ['applied', 'cancelled'],
  ['approved', 'contracted'], ['approved', 'rejected'], ['approved', 'cancelled'],
  ['contracted', 'active'], ['contracted', 'cancelled'],
  ['active', 'overdue'], ['active', 'settled'],
  ['overdue', 'active'], ['overdue', 'settled'], ['overdue', 'written_off'],
];
const FINAL: readonly LoanStatus[] = ['settled', 'written_off', 'rejected', 'cancelled'];

const legalSet = new Set(LEGAL.map(([from, to]) => `${from}->${to}`));
const allPairs = LOAN_STATUSES.flatMap((from) => LOAN_STATUSES.map((to) => [from, to] as [LoanStatus, LoanStatus]));
const illegal = allPairs.filter(([from, to]) => !legalSet.has(`${from}->${to}`));

function errorOf(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('loan state machine', () => {
  it('knows exactly the nine statuses', () => {
    expect([...LOAN_STATUSES].sort()).toEqual(
      ['active', 'applied', 'approved', 'cancelled', 'contracted', 'overdue', 'rejected', 'settled', 'written_off']);
    for (const s of LOAN_STATUSES) expect(isLoanStatus(s)).toBe(true);
    for (const s of ['', 'ACTIVE', 'paid', 'closed', null, 3, undefined]) expect(isLoanStatus(s)).toBe(false);
  });

  it('covers all 81 pairs between the two tables', () => {
    expect(LEGAL.length + illegal.length).toBe(81);
  });

  it.each(LEGAL)('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(illegal)('refuses %s -> %s with LOAN_ILLEGAL_TRANSITION', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    const error = errorOf(() => assertTransition(from, to));
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('LOAN_ILLEGAL_TRANSITION');
    expect((error as DomainError).field).toBe('status');
    expect((error as DomainError).message).toContain(`from ${from} to ${to}`);
  });

  it.each(FINAL)('%s is final: it goes nowhere and says so', (from) => {
    for (const to of LOAN_STATUSES) expect(canTransition(from, to)).toBe(false);
    expect((errorOf(() => assertTransition(from, 'active')) as DomainError).message).toContain('none (final state)');
  });

  it('no status moves to itself', () => {
    for (const s of LOAN_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('close of business serves exactly active and overdue loans', () => {
    expect([...SERVICED_STATUSES].sort()).toEqual(['active', 'overdue']);
  });
});

describe('delinquency buckets', () => {
  it.each([
    [0, 'current'], [1, '1-30'], [15, '1-30'], [30, '1-30'], [31, '31-60'], [60, '31-60'],
    [61, '61-90'], [90, '61-90'], [91, '90+'], [365, '90+'], [10_000, '90+'],
  ] as const)('%i days past due -> %s', (days, bucket) => {
    expect(delinquencyBucket(days)).toBe(bucket);
  });
});
