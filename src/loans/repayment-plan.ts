/**
 * What one repayment does to a loan, computed without I/O so the single-repayment path
 * and the batch path (thousands of deductions from a carrier file) apply the same rules:
 * allocation in the house order, per-installment payments, interest paid ahead of
 * accrual, and the loan's state afterwards.
 */
import { allocateRepayment, type Allocation, type AllocationMode } from '../core/allocation.js';
import { daysBetween, type CalendarDate } from '../core/calendar-date.js';
import { delinquencyBucket, type DelinquencyBucket } from '../core/loan-state.js';
import { isSettled, outstanding, type InstallmentRecord } from './loan-repository.js';

export interface InstallmentPayment { number: number; principal: number; interest: number; fee: number; penalty: number; unaccruedInterest: number }

export interface RepaymentPlan {
  allocation: Allocation;
  payments: InstallmentPayment[];
  unaccruedInterestFen: number;
  /** The loan's installments after the payment. */
  installmentsAfter: InstallmentRecord[];
  outcome: { settled: boolean; daysPastDue: number; bucket: DelinquencyBucket; hasOverdue: boolean };
}

/** Splits the allocation per installment and finds the interest paid ahead of close-of-business accrual. */
function paymentsByInstallment(installments: readonly InstallmentRecord[], allocation: Allocation): InstallmentPayment[] {
  return installments.map((i) => {
    const paid = { principal: 0, interest: 0, fee: 0, penalty: 0 };
    for (const line of allocation.lines) if (line.installment === i.number) paid[line.component] += line.amountFen;
    const accruedUnpaid = Math.max(0, i.interestAccruedFen - i.interestPaidFen);
    return { number: i.number, ...paid, unaccruedInterest: Math.max(0, paid.interest - accruedUnpaid) };
  }).filter((p) => p.principal + p.interest + p.fee + p.penalty > 0);
}

function applyPayment(i: InstallmentRecord, p: InstallmentPayment | undefined): InstallmentRecord {
  if (!p) return i;
  const after: InstallmentRecord = {
    ...i,
    principalPaidFen: i.principalPaidFen + p.principal,
    interestPaidFen: i.interestPaidFen + p.interest,
    feePaidFen: i.feePaidFen + p.fee,
    penaltyPaidFen: i.penaltyPaidFen + p.penalty,
    interestAccruedFen: Math.max(i.interestAccruedFen, i.interestPaidFen + p.interest),
  };
  return isSettled(after) ? { ...after, status: 'paid' } : after;
}

/** `installments` are every installment of the loan; `amountFen` is allocated to the open ones. */
export function planRepayment(
  installments: readonly InstallmentRecord[], amountFen: number, businessDate: CalendarDate, mode: AllocationMode = 'due',
): RepaymentPlan {
  const open = installments.filter((i) => !isSettled(i));
  const allocation = open.length > 0
    ? allocateRepayment(open.map(outstanding), amountFen, businessDate, mode)
    : { lines: [], creditFen: amountFen };
  const payments = paymentsByInstallment(open, allocation);
  const byNumber = new Map(payments.map((p) => [p.number, p]));
  const installmentsAfter = installments.map((i) => applyPayment(i, byNumber.get(i.number)));
  const stillOpen = installmentsAfter.filter((i) => !isSettled(i));
  const oldestOverdue = stillOpen.find((i) => i.dueDate < businessDate);
  const daysPastDue = oldestOverdue ? daysBetween(oldestOverdue.dueDate, businessDate) : 0;
  return {
    allocation,
    payments,
    unaccruedInterestFen: payments.reduce((sum, p) => sum + p.unaccruedInterest, 0),
    installmentsAfter,
    outcome: { settled: stillOpen.length === 0, daysPastDue, bucket: delinquencyBucket(daysPastDue), hasOverdue: oldestOverdue !== undefined },
  };
}
