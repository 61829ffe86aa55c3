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

export function allocateRepayment(
  installments: readonly InstallmentBalance[],
  amountFen: Fen,
  businessDate: CalendarDate,
): Allocation {
  assertPositiveFen(amountFen, 'amountFen');
  let remaining = amountFen;
  const lines: AllocationLine[] = [];
  for (const { installment, component } of allocationOrder(installments, businessDate)) {
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

/** Everything owed up to and including the current installment (what "due today" shows). */
export function amountDueNow(installments: readonly InstallmentBalance[], businessDate: CalendarDate): Fen {
  return sumFen(allocationOrder(installments, businessDate).map(({ installment, component }) => OWED[component](installment)));
}
