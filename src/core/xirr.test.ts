import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonthsClamped, daysBetween } from './calendar-date.js';
import { DomainError } from './domain-error.js';
import { AMOUNT_FEN_MAX } from './money.js';
import { xirr, type CashFlow } from './xirr.js';

/** Independent NPV (ACT/365 from the first listed flow, as Excel does). */
function npv(flows: readonly CashFlow[], rate: number): number {
  return flows.reduce((v, f) => v + f.amountFen / Math.pow(1 + rate, daysBetween(flows[0]!.date, f.date) / 365), 0);
}

describe('xirr', () => {
  it('one year, 1000 -> 1100 gives 10%', () => {
    expect(xirr([{ date: '2023-01-01', amountFen: -1000 }, { date: '2024-01-01', amountFen: 1100 }])).toBeCloseTo(0.1, 10);
  });

  it('ACT/365 counts the leap day: 1000 -> 1210 over 731 days', () => {
    // (1 + r)^(731/365) = 1.21  =>  r = 1.21^(365/731) - 1, slightly under 10%.
    const r = xirr([{ date: '2023-01-01', amountFen: -1000 }, { date: '2025-01-01', amountFen: 1210 }]);
    expect(r).toBeCloseTo(Math.pow(1.21, 365 / 731) - 1, 10);
    expect(r!).toBeLessThan(0.1);
  });

  it('two payoffs a year apart: root of a quadratic by hand', () => {
    // -1000 + 500 x + 605 x^2 = 0 with x = 1 / (1 + r)  =>  x = (-500 + sqrt(500^2 + 4*605*1000)) / 1210.
    const x = (-500 + Math.sqrt(500 * 500 + 4 * 605 * 1000)) / 1210;
    const r = xirr([
      { date: '2021-01-01', amountFen: -1000 },
      { date: '2022-01-01', amountFen: 500 },
      { date: '2023-01-01', amountFen: 605 },
    ]);
    expect(r).toBeCloseTo(1 / x - 1, 10);
  });

  it('reproduces the Excel documentation example (XIRR = 0.373362535)', () => {
    const flows: CashFlow[] = [
      { date: '2008-01-01', amountFen: -10000 },
      { date: '2008-03-01', amountFen: 2750 },
      { date: '2008-10-30', amountFen: 4250 },
      { date: '2009-02-15', amountFen: 3250 },
      { date: '2009-04-01', amountFen: 2750 },
    ];
    const r = xirr(flows)!;
    expect(r).toBeCloseTo(0.373362535, 8);
    expect(Math.abs(npv(flows, r))).toBeLessThan(1e-6);
  });

  it('equal-installment loan at 12% nominal returns about the 12.68% effective rate', () => {
    // 1% a month for 12 months; installment rounded to fen as the schedule would.
    const principal = 1_000_000;
    const installment = Math.round((principal * 0.01) / (1 - Math.pow(1.01, -12)));
    const start = '2025-01-15';
    const flows: CashFlow[] = [{ date: start, amountFen: -principal }];
    for (let k = 1; k <= 12; k += 1) flows.push({ date: addMonthsClamped(start, k), amountFen: installment });
    const r = xirr(flows)!;
    // 1.01^12 - 1 = 0.126825; actual month lengths (not 365/12 days) move it slightly.
    expect(Math.abs(r - (Math.pow(1.01, 12) - 1))).toBeLessThan(0.002);
    expect(Math.abs(npv(flows, r))).toBeLessThan(1e-3);
  });

  it('handles near-total loss and very high returns', () => {
    // Losing 99.9% in a year (Newton from the guess, bisection otherwise).
    expect(xirr([{ date: '2023-01-01', amountFen: -1_000_000 }, { date: '2024-01-01', amountFen: 1_000 }])).toBeCloseTo(-0.999, 10);
    // Losing 99.9999% is below the -99.99% floor of the search range: no rate reported.
    expect(xirr([{ date: '2023-01-01', amountFen: -1_000_000 }, { date: '2024-01-01', amountFen: 1 }])).toBeNull();
    // 10,000% is above the ceiling of 100 (as a decimal).
    expect(xirr([{ date: '2023-01-01', amountFen: -1 }, { date: '2024-01-01', amountFen: 1_000 }])).toBeNull();
    expect(xirr([{ date: '2023-01-01', amountFen: -100 }, { date: '2024-01-01', amountFen: 5_000 }])).toBeCloseTo(49, 8);
  });

  it('ignores the order flows are listed in', () => {
    const flows: CashFlow[] = [
      { date: '2009-04-01', amountFen: 2750 },
      { date: '2008-10-30', amountFen: 4250 },
      { date: '2008-01-01', amountFen: -10000 },
      { date: '2009-02-15', amountFen: 3250 },
      { date: '2008-03-01', amountFen: 2750 },
    ];
    expect(xirr(flows)).toBeCloseTo(0.373362535, 8);
  });

  it('returns null when the rate is undefined', () => {
    expect(xirr([])).toBeNull();
    expect(xirr([{ date: '2024-01-01', amountFen: -100 }])).toBeNull();
    expect(xirr([{ date: '2024-01-01', amountFen: -100 }, { date: '2025-01-01', amountFen: -5 }])).toBeNull();
    expect(xirr([{ date: '2024-01-01', amountFen: 100 }, { date: '2025-01-01', amountFen: 5 }])).toBeNull();
    expect(xirr([{ date: '2024-01-01', amountFen: -100 }, { date: '2025-01-01', amountFen: 0 }])).toBeNull();
    // Same day in and out: the NPV does not depend on the rate.
    expect(xirr([{ date: '2024-01-01', amountFen: -100 }, { date: '2024-01-01', amountFen: 100 }])).toBeNull();
    // Two sign changes with no real root: 100 - 300x + 250x^2 has a negative discriminant.
    expect(xirr([
      { date: '2021-01-01', amountFen: 100 },
      { date: '2022-01-01', amountFen: -300 },
      { date: '2023-01-01', amountFen: 250 },
    ])).toBeNull();
  });

  it('rejects bad input with DomainError', () => {
    expect(() => xirr([{ date: '2024-02-30', amountFen: -1 }, { date: '2025-01-01', amountFen: 2 }])).toThrow(DomainError);
    expect(() => xirr([{ date: '2024-01-01', amountFen: -1.5 }, { date: '2025-01-01', amountFen: 2 }])).toThrow(DomainError);
  });

  it('reproduces the rate of a single-period investment (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 40_000 }),
      fc.integer({ min: 1, max: 3_650 }),
      fc.integer({ min: 1_000_000, max: 1_000_000_000 }),
      fc.double({ min: -0.95, max: 10, noNaN: true }),
      (offset, days, invested, rate) => {
        const start = addDays('1990-01-01', offset);
        const received = Math.round(invested * Math.pow(1 + rate, days / 365));
        fc.pre(received > 0 && received <= AMOUNT_FEN_MAX);
        const r = xirr([{ date: start, amountFen: -invested }, { date: addDays(start, days), amountFen: received }]);
        // The rate the fen-rounded payoff implies; the generated rate differs only by that rounding.
        const implied = Math.pow(received / invested, 365 / days) - 1;
        expect(r).not.toBeNull();
        expect(Math.abs(r! - implied)).toBeLessThan(1e-8 * (1 + implied));
        // Rounding the payoff by <= 0.5 fen moves (1 + r) by <= (0.5 / received) * (365 / days) relatively.
        expect(Math.abs(r! - rate)).toBeLessThan((1 + rate) * (365 / days) / received + 1e-9);
      },
    ), { numRuns: 500 });
  });

  it('the result zeroes the NPV for random loan-like flows (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1_000, max: 100_000_000 }),
      fc.array(fc.integer({ min: 0, max: 50_000_000 }), { minLength: 1, maxLength: 36 }),
      (invested, repayments) => {
        const start = '2024-01-31';
        const flows: CashFlow[] = [{ date: start, amountFen: -invested }, ...repayments.map((a, k) => ({ date: addMonthsClamped(start, k + 1), amountFen: a }))];
        const r = xirr(flows);
        if (repayments.every((a) => a === 0)) { expect(r).toBeNull(); return; }
        if (r === null) return; // a total loss beyond -99.99% a year: outside the search range
        const scale = flows.reduce((s, f) => s + Math.abs(f.amountFen) / Math.pow(1 + r, daysBetween(start, f.date) / 365), 0);
        expect(Math.abs(npv(flows, r))).toBeLessThan(1e-6 * scale + 1);
      },
    ), { numRuns: 300 });
  });
});
