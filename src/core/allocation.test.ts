import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateRepayment, amountDueNow, type AllocationComponent, type AllocationLine, type InstallmentBalance } from './allocation.js';
import { addMonthsClamped, addDays } from './calendar-date.js';
import { DomainError } from './domain-error.js';

/**
 * An independent model of the house order (DESIGN.md "Ledger"): penalty, then fees, then
 * overdue interest (oldest first), overdue principal (oldest first), then the current
 * installment's interest and principal. Overdue = due before the business date; current =
 * the first installment due on or after it. Later installments are never prepaid.
 */
function modelBuckets(installments: readonly InstallmentBalance[], businessDate: string): { installment: InstallmentBalance; component: AllocationComponent }[] {
  const byNumber = [...installments].sort((a, b) => a.number - b.number);
  const overdue = byNumber.filter((i) => i.dueDate < businessDate);
  const current = byNumber.find((i) => i.dueDate >= businessDate);
  const dueNow = current ? [...overdue, current] : overdue;
  const out: { installment: InstallmentBalance; component: AllocationComponent }[] = [];
  for (const i of dueNow) out.push({ installment: i, component: 'penalty' });
  for (const i of dueNow) out.push({ installment: i, component: 'fee' });
  for (const i of overdue) out.push({ installment: i, component: 'interest' });
  for (const i of overdue) out.push({ installment: i, component: 'principal' });
  if (current) {
    out.push({ installment: current, component: 'interest' });
    out.push({ installment: current, component: 'principal' });
  }
  return out;
}

function owed(i: InstallmentBalance, c: AllocationComponent): number {
  return { penalty: i.penaltyFen, fee: i.feeFen, interest: i.interestFen, principal: i.principalFen }[c];
}

const key = (installment: number, component: AllocationComponent) => `${installment}/${component}`;

function paidByBucket(lines: readonly AllocationLine[]): Map<string, number> {
  const paid = new Map<string, number>();
  for (const l of lines) paid.set(key(l.installment, l.component), (paid.get(key(l.installment, l.component)) ?? 0) + l.amountFen);
  return paid;
}

const START = '2026-01-31';
const money = fc.integer({ min: 0, max: 500_000 });

/** 1-8 installments due monthly from START (shuffled), random balances, a business date around them. */
const scenario = fc
  .record({
    count: fc.integer({ min: 1, max: 8 }),
    balances: fc.array(fc.record({ principal: money, interest: money, fee: fc.oneof(fc.constant(0), money), penalty: fc.oneof(fc.constant(0), money) }), { minLength: 8, maxLength: 8 }),
    dayOffset: fc.integer({ min: -10, max: 300 }),
    amountSeed: fc.integer({ min: 1, max: 10_000_000 }),
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  })
  .map(({ count, balances, dayOffset, amountSeed, order }) => {
    const installments: InstallmentBalance[] = balances.slice(0, count).map((b, index) => ({
      number: index + 1,
      dueDate: addMonthsClamped(START, index + 1),
      principalFen: b.principal,
      interestFen: b.interest,
      feeFen: b.fee,
      penaltyFen: b.penalty,
    }));
    const shuffled = installments
      .map((installment, index) => ({ installment, sortKey: order[index]! }))
      .sort((a, b) => a.sortKey - b.sortKey)
      .map((x) => x.installment);
    return { installments: shuffled, businessDate: addDays(START, dayOffset), amountFen: amountSeed };
  });

describe('allocateRepayment: properties', () => {
  it('lines plus credit add up to the amount exactly, and every line is positive', () => {
    fc.assert(fc.property(scenario, ({ installments, businessDate, amountFen }) => {
      const { lines, creditFen } = allocateRepayment(installments, amountFen, businessDate);
      expect(lines.reduce((s, l) => s + l.amountFen, 0) + creditFen).toBe(amountFen);
      expect(creditFen).toBeGreaterThanOrEqual(0);
      for (const l of lines) {
        expect(Number.isSafeInteger(l.amountFen)).toBe(true);
        expect(l.amountFen).toBeGreaterThan(0);
      }
    }), { numRuns: 500 });
  });

  it('no installment component receives more than it owed', () => {
    fc.assert(fc.property(scenario, ({ installments, businessDate, amountFen }) => {
      const paid = paidByBucket(allocateRepayment(installments, amountFen, businessDate).lines);
      for (const i of installments) {
        for (const c of ['penalty', 'fee', 'interest', 'principal'] as const) {
          expect(paid.get(key(i.number, c)) ?? 0).toBeLessThanOrEqual(owed(i, c));
        }
      }
    }), { numRuns: 500 });
  });

  it('respects the order: a bucket gets money only when every earlier bucket is paid in full; later installments get nothing', () => {
    fc.assert(fc.property(scenario, ({ installments, businessDate, amountFen }) => {
      const { lines } = allocateRepayment(installments, amountFen, businessDate);
      const buckets = modelBuckets(installments, businessDate);
      const paid = paidByBucket(lines);
      const allowed = new Set(buckets.map((b) => key(b.installment.number, b.component)));
      for (const l of lines) expect(allowed.has(key(l.installment, l.component))).toBe(true);
      let earlierAllPaid = true;
      for (const b of buckets) {
        const got = paid.get(key(b.installment.number, b.component)) ?? 0;
        if (!earlierAllPaid) expect(got).toBe(0);
        if (got < owed(b.installment, b.component)) earlierAllPaid = false;
      }
      // Lines come out in bucket order too.
      const position = new Map(buckets.map((b, index) => [key(b.installment.number, b.component), index]));
      const positions = lines.map((l) => position.get(key(l.installment, l.component))!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }), { numRuns: 500 });
  });

  it('is exactly the greedy fill of the model order', () => {
    fc.assert(fc.property(scenario, ({ installments, businessDate, amountFen }) => {
      let remaining = amountFen;
      const expected: AllocationLine[] = [];
      for (const b of modelBuckets(installments, businessDate)) {
        const take = Math.min(remaining, owed(b.installment, b.component));
        if (take > 0) expected.push({ installment: b.installment.number, component: b.component, amountFen: take });
        remaining -= take;
      }
      expect(allocateRepayment(installments, amountFen, businessDate)).toEqual({ lines: expected, creditFen: remaining });
    }), { numRuns: 500 });
  });

  it('an overpayment becomes credit: credit = max(0, amount - amount due now), and paying exactly what is due leaves none', () => {
    fc.assert(fc.property(scenario, ({ installments, businessDate, amountFen }) => {
      const due = amountDueNow(installments, businessDate);
      const modelDue = modelBuckets(installments, businessDate).reduce((s, b) => s + owed(b.installment, b.component), 0);
      expect(due).toBe(modelDue);
      expect(allocateRepayment(installments, amountFen, businessDate).creditFen).toBe(Math.max(0, amountFen - due));
      if (due > 0) {
        const exact = allocateRepayment(installments, due, businessDate);
        expect(exact.creditFen).toBe(0);
        expect(exact.lines.reduce((s, l) => s + l.amountFen, 0)).toBe(due);
      }
    }), { numRuns: 500 });
  });
});

describe('allocateRepayment: worked examples', () => {
  const i1: InstallmentBalance = { number: 1, dueDate: '2026-02-15', principalFen: 1000, interestFen: 100, feeFen: 50, penaltyFen: 7 };
  const i2: InstallmentBalance = { number: 2, dueDate: '2026-03-15', principalFen: 1000, interestFen: 90, feeFen: 0, penaltyFen: 3 };
  const i3: InstallmentBalance = { number: 3, dueDate: '2026-04-15', principalFen: 1000, interestFen: 80, feeFen: 0, penaltyFen: 0 };
  const i4: InstallmentBalance = { number: 4, dueDate: '2026-05-15', principalFen: 1000, interestFen: 70, feeFen: 0, penaltyFen: 0 };

  it('two overdue installments, part payment: penalty, fee, overdue interest oldest first, overdue principal oldest first', () => {
    // 2000 = 7 + 3 (penalty) + 50 (fee) + 100 + 90 (overdue interest) + 1000 + 750 (overdue principal)
    expect(allocateRepayment([i3, i1, i4, i2], 2000, '2026-03-20')).toEqual({
      lines: [
        { installment: 1, component: 'penalty', amountFen: 7 },
        { installment: 2, component: 'penalty', amountFen: 3 },
        { installment: 1, component: 'fee', amountFen: 50 },
        { installment: 1, component: 'interest', amountFen: 100 },
        { installment: 2, component: 'interest', amountFen: 90 },
        { installment: 1, component: 'principal', amountFen: 1000 },
        { installment: 2, component: 'principal', amountFen: 750 },
      ],
      creditFen: 0,
    });
  });

  it('overpayment: everything due now (not installment 4) is paid and the rest is credit', () => {
    // due now: 10 + 50 + 190 + 2000 + 80 + 1000 = 3330
    expect(amountDueNow([i1, i2, i3, i4], '2026-03-20')).toBe(3330);
    const a = allocateRepayment([i1, i2, i3, i4], 5000, '2026-03-20');
    expect(a.creditFen).toBe(1670);
    expect(a.lines.slice(-2)).toEqual([
      { installment: 3, component: 'interest', amountFen: 80 },
      { installment: 3, component: 'principal', amountFen: 1000 },
    ]);
    expect(a.lines.some((l) => l.installment === 4)).toBe(false);
  });

  it('on the due date the installment is current, not overdue: interest then principal, the next one is not prepaid', () => {
    const a: InstallmentBalance = { number: 1, dueDate: '2026-02-15', principalFen: 500, interestFen: 40, feeFen: 0, penaltyFen: 0 };
    const b: InstallmentBalance = { number: 2, dueDate: '2026-03-15', principalFen: 500, interestFen: 30, feeFen: 0, penaltyFen: 0 };
    expect(allocateRepayment([a, b], 560, '2026-02-15')).toEqual({
      lines: [{ installment: 1, component: 'interest', amountFen: 40 }, { installment: 1, component: 'principal', amountFen: 500 }],
      creditFen: 20,
    });
    // Small amount: interest first.
    expect(allocateRepayment([a, b], 25, '2026-02-15')).toEqual({
      lines: [{ installment: 1, component: 'interest', amountFen: 25 }], creditFen: 0,
    });
  });

  it('before the first due date the first installment is current and its fee comes before its interest', () => {
    const a: InstallmentBalance = { number: 1, dueDate: '2026-02-15', principalFen: 500, interestFen: 40, feeFen: 100, penaltyFen: 0 };
    expect(allocateRepayment([a], 120, '2026-01-20')).toEqual({
      lines: [{ installment: 1, component: 'fee', amountFen: 100 }, { installment: 1, component: 'interest', amountFen: 20 }], creditFen: 0,
    });
  });

  it('after the last due date everything is overdue; there is no current installment', () => {
    const a = allocateRepayment([i1, i2], 3000, '2026-06-01');
    // 10 penalty + 50 fee + 190 interest + 2000 principal = 2250
    expect(a.creditFen).toBe(750);
    expect(a.lines.map((l) => `${l.installment}${l.component[0]}`)).toEqual(['1p', '2p', '1f', '1i', '2i', '1p', '2p']);
  });

  it('penalty on every installment is paid before any fee, and fees before overdue interest', () => {
    const a: InstallmentBalance = { number: 1, dueDate: '2026-02-15', principalFen: 100, interestFen: 10, feeFen: 0, penaltyFen: 5 };
    const b: InstallmentBalance = { number: 2, dueDate: '2026-03-15', principalFen: 100, interestFen: 10, feeFen: 20, penaltyFen: 4 };
    expect(allocateRepayment([a, b], 30, '2026-04-01')).toEqual({
      lines: [
        { installment: 1, component: 'penalty', amountFen: 5 },
        { installment: 2, component: 'penalty', amountFen: 4 },
        { installment: 2, component: 'fee', amountFen: 20 },
        { installment: 1, component: 'interest', amountFen: 1 },
      ],
      creditFen: 0,
    });
  });

  it('refuses zero, negative, fractional and unsafe amounts', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      let thrown: unknown;
      try {
        allocateRepayment([i1], bad, '2026-02-01');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      expect((thrown as DomainError).code).toBe('INVALID_AMOUNT');
    }
  });

  it('refuses a negative balance as a bug', () => {
    expect(() => allocateRepayment([{ ...i1, interestFen: -1 }], 500, '2026-03-01')).toThrow(/negative/);
  });
});
