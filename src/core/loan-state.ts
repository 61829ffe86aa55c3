import { DomainError } from './domain-error.js';

export const LOAN_STATUSES = [
  'applied', 'approved', 'contracted', 'active', 'overdue', 'settled', 'written_off', 'rejected', 'cancelled',
] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];

/** Every legal move of a loan. Anything not listed is refused. */
const TRANSITIONS: Readonly<Record<LoanStatus, readonly LoanStatus[]>> = {
  applied: ['approved', 'rejected', 'cancelled'],
  approved: ['contracted', 'rejected', 'cancelled'],
  contracted: ['active', 'cancelled'],
  active: ['overdue', 'settled'],
  overdue: ['active', 'settled', 'written_off'],
  settled: [],
  written_off: [],
  rejected: [],
  cancelled: [],
};

export function isLoanStatus(value: unknown): value is LoanStatus {
  return typeof value === 'string' && (LOAN_STATUSES as readonly string[]).includes(value);
}

export function canTransition(from: LoanStatus, to: LoanStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: LoanStatus, to: LoanStatus): void {
  if (!canTransition(from, to)) {
    const allowed = TRANSITIONS[from].join(', ') || 'none (final state)';
    throw new DomainError('LOAN_ILLEGAL_TRANSITION', `a loan cannot move from ${from} to ${to}; allowed: ${allowed}`, 'status');
  }
}

/** Statuses in which a loan carries an outstanding balance and is served by close of business. */
export const SERVICED_STATUSES: readonly LoanStatus[] = ['active', 'overdue'];

/** Days-past-due buckets, each up to and including `maxDays`; the last is open-ended. */
export const DELINQUENCY_BUCKETS = [
  { bucket: 'current', maxDays: 0 },
  { bucket: '1-30', maxDays: 30 },
  { bucket: '31-60', maxDays: 60 },
  { bucket: '61-90', maxDays: 90 },
  { bucket: '90+', maxDays: Number.POSITIVE_INFINITY },
] as const;
export type DelinquencyBucket = (typeof DELINQUENCY_BUCKETS)[number]['bucket'];

export function delinquencyBucket(daysPastDue: number): DelinquencyBucket {
  return DELINQUENCY_BUCKETS.find((b) => daysPastDue <= b.maxDays)!.bucket;
}
