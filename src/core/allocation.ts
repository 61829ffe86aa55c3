import { invariant } from './domain-error.js';
import { assertPositiveFen, sumFen, type Fen } from './money.js';
import type { CalendarDate } from './calendar-date.js';

/** What is still owed on one installment. */
export interface InstallmentBalance {
  number: number;
  dueDate: CalendarDate;
  principalFen: Fen;
  interestFen: Fen;
  feeFen: Fen;
  penaltyFen: Fen;
}

export type AllocationComponent = 'penalty' | 'fee' | 'interest' | 'principal';

export interface AllocationLine {
  installment: number;
  component: AllocationComponent;
  amountFen: Fen;
}

export interface Allocation {
  lines: AllocationLine[];
  /** Paid beyond what is due: held as borrower credit, never dropped. */
  creditFen: Fen;
}

interface Bucket {
  installment: InstallmentBalance;
  component: AllocationComponent;
}

/**
 * The allocation strategy, as a list of buckets in the order they are filled:
 * penalty (oldest first), fees (oldest first), overdue interest (oldest first), overdue
 * principal (oldest first), then the current installment's interest and principal.
 * An installment is overdue when its due date is before the business date; the current
 * one is the first installment due on or after it. Later installments are not prepaid:
 * the rest becomes borrower credit.
 */
export function allocationOrder(installments: readonly InstallmentBalance[], businessDate: CalendarDate): Bucket[] {
  const sorted = [...installments].sort((a, b) => a.number - b.number);
  const overdue = sorted.filter((i) => i.dueDate < businessDate);
  const current = sorted.find((i) => i.dueDate >= businessDate);
  const dueNow = current ? [...overdue, current] : overdue;
  const each = (list: InstallmentBalance[], component: AllocationComponent): Bucket[] =>
    list.map((installment) => ({ installment, component }));
  return [
    ...each(dueNow, 'penalty'),
    ...each(dueNow, 'fee'),
    ...each(overdue, 'interest'),
    ...each(overdue, 'principal'),
    ...(current ? each([current], 'interest') : []),
    ...(current ? each([current], 'principal') : []),
  ];
}

const OWED: Record<AllocationComponent, (i: InstallmentBalance) => Fen> = {
  penalty: (i) => i.penaltyFen,
  fee: (i) => i.feeFen,
  interest: (i) => i.interestFen,
  principal: (i) => i.principalFen,
};

/**
 * For an early full repayment (提前还款): what is due now in the house order, then every later
 * installment's penalty, fee, interest and principal, oldest first. The caller has already
 * cut later interest down to what was accrued (unaccrued interest is waived).
 */
export function payoffOrder(installments: readonly InstallmentBalance[], businessDate: CalendarDate): Bucket[] {
  const dueNow = allocationOrder(installments, businessDate);
  const dueNumbers = new Set(dueNow.map((b) => b.installment.number));
  const later = [...installments].filter((i) => !dueNumbers.has(i.number)).sort((a, b) => a.number - b.number);
  const components: AllocationComponent[] = ['penalty', 'fee', 'interest', 'principal'];
  return [...dueNow, ...later.flatMap((installment) => components.map((component) => ({ installment, component })))];
}

export type AllocationMode = 'due' | 'payoff';

export function allocateRepayment(
  installments: readonly InstallmentBalance[],
  amountFen: Fen,
  businessDate: CalendarDate,
  mode: AllocationMode = 'due',
): Allocation {
  assertPositiveFen(amountFen, 'amountFen');
  let remaining = amountFen;
  const lines: AllocationLine[] = [];
  const order = mode === 'payoff' ? payoffOrder(installments, businessDate) : allocationOrder(installments, businessDate);
  for (const { installment, component } of order) {
    if (remaining === 0) break;
    const owed = OWED[component](installment);
    invariant(owed >= 0, `installment ${installment.number} owes a negative ${component}`);
    const paid = Math.min(owed, remaining);
    if (paid > 0) lines.push({ installment: installment.number, component, amountFen: paid });
    remaining -= paid;
  }
  const allocation = { lines, creditFen: remaining };
  invariant(sumFen(lines.map((l) => l.amountFen)) + remaining === amountFen, 'allocation does not add up to the repayment');
  return allocation;
}

/** Everything owed on the loan: what an early full repayment must bring. */
export function payoffAmount(installments: readonly InstallmentBalance[]): Fen {
  return sumFen(installments.map((i) => i.penaltyFen + i.feeFen + i.interestFen + i.principalFen));
}

/** Everything owed up to and including the current installment (what "due today" shows). */
export function amountDueNow(installments: readonly InstallmentBalance[], businessDate: CalendarDate): Fen {
  return sumFen(allocationOrder(installments, businessDate).map(({ installment, component }) => OWED[component](installment)));
}
