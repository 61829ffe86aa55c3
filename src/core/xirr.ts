import { daysBetween, parseCalendarDate, type CalendarDate } from './calendar-date.js';
import { invariant } from './domain-error.js';
import { assertFen, type Fen } from './money.js';

/**
 * Realised annualised return of an investor's cash flows (Excel XIRR semantics).
 *
 * This is a reporting number, not money: it is a float and never posted. Day count is
 * ACT/365 from the earliest flow (Excel measures from the first flow listed; the root is the
 * same either way, since shifting t0 only scales the NPV by a positive factor).
 *
 * Several rates can zero the NPV when the flows change sign more than once; Newton from a
 * guess close to the simple annualised multiple finds the economically sensible one in
 * practice, and bisection takes the lowest bracketed root when Newton fails.
 */
export interface CashFlow {
  date: CalendarDate;
  /** Negative = invested, positive = received. */
  amountFen: Fen;
}

const RATE_TOLERANCE = 1e-10;
const MAX_NEWTON_STEPS = 100;
const LOWER = -0.9999;
const UPPER = 100;

interface Term {
  years: number;
  amount: number;
}

function npv(terms: readonly Term[], rate: number): number {
  let v = 0;
  for (const t of terms) v += t.amount * Math.pow(1 + rate, -t.years);
  return v;
}

function npvDerivative(terms: readonly Term[], rate: number): number {
  let d = 0;
  for (const t of terms) d += -t.years * t.amount * Math.pow(1 + rate, -t.years - 1);
  return d;
}

/**
 * Whether `rate` really zeroes the NPV: within a tiny share of the discounted magnitudes
 * (an absolute tolerance means nothing across 1 fen and 1 billion fen), plus what a rate
 * error of a few RATE_TOLERANCE can move the NPV by (large near -1, where discount
 * factors explode and bisection's last 1e-10 still matters).
 */
function zeroesNpv(terms: readonly Term[], rate: number): boolean {
  if (!Number.isFinite(rate) || rate <= -1) return false;
  let scale = 0;
  for (const t of terms) scale += Math.abs(t.amount) * Math.pow(1 + rate, -t.years);
  const slack = 1e-9 * scale + 10 * RATE_TOLERANCE * Math.abs(npvDerivative(terms, rate));
  return Number.isFinite(slack) && Math.abs(npv(terms, rate)) <= slack;
}

/**
 * Guess: the money multiple annualised over the gap between the amount-weighted mean dates of
 * money in and money out. Exact for a single investment and a single payoff, and close for a
 * loan's installments, so Newton usually needs only a few steps.
 */
function initialGuess(terms: readonly Term[]): number {
  let paidIn = 0, paidOut = 0, tIn = 0, tOut = 0;
  for (const t of terms) {
    if (t.amount < 0) { paidIn -= t.amount; tIn -= t.amount * t.years; }
    else { paidOut += t.amount; tOut += t.amount * t.years; }
  }
  const span = tOut / paidOut - tIn / paidIn;
  if (!(span > 0)) return 0.1;
  const guess = Math.pow(paidOut / paidIn, 1 / span) - 1;
  return Number.isFinite(guess) ? Math.min(Math.max(guess, -0.99), 10) : 0.1;
}

function newton(terms: readonly Term[], guess: number): number | null {
  let rate = guess;
  for (let i = 0; i < MAX_NEWTON_STEPS; i += 1) {
    const d = npvDerivative(terms, rate);
    if (d === 0 || !Number.isFinite(d)) return null;
    const next = rate - npv(terms, rate) / d;
    if (!Number.isFinite(next) || next <= -1) return null;
    // Same range as bisection, so whether a rate is reported never depends on which solver found it.
    if (Math.abs(next - rate) < RATE_TOLERANCE) return next >= LOWER && next <= UPPER && zeroesNpv(terms, next) ? next : null;
    rate = next;
  }
  return null;
}

/**
 * Bisection on [LOWER, UPPER]. The ends need not bracket a root when the flows change sign
 * more than once, so scan a grid (dense near 0 where real returns live) for the first
 * sign change and bisect inside it.
 */
function bisection(terms: readonly Term[]): number | null {
  const grid = [LOWER, -0.999, -0.99, -0.9, -0.75, -0.5, -0.25, -0.1, 0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5, 10, 25, 50, UPPER];
  for (let i = 1; i < grid.length; i += 1) {
    let lo = grid[i - 1]!, hi = grid[i]!;
    let fLo = npv(terms, lo);
    const fHi = npv(terms, hi);
    if (fLo === 0) return lo;
    if (fHi === 0) return hi;
    if (Math.sign(fLo) === Math.sign(fHi)) continue;
    while (hi - lo > RATE_TOLERANCE) {
      const mid = (lo + hi) / 2;
      const fMid = npv(terms, mid);
      if (fMid === 0) return mid;
      if (Math.sign(fMid) === Math.sign(fLo)) { lo = mid; fLo = fMid; } else hi = mid;
    }
    return (lo + hi) / 2;
  }
  return null;
}

/**
 * The annual rate (0.1 = 10%) at which the flows' NPV is zero, or null when undefined:
 * fewer than two flows, no sign change, all on one date, or no root in [-0.9999, 100].
 */
export function xirr(flows: readonly CashFlow[]): number | null {
  for (const [i, f] of flows.entries()) {
    parseCalendarDate(f.date, `flows[${i}].date`);
    assertFen(f.amountFen, `flows[${i}].amountFen`);
  }
  if (flows.length < 2) return null;
  if (!flows.some((f) => f.amountFen < 0) || !flows.some((f) => f.amountFen > 0)) return null;

  const start = flows.reduce((min, f) => (f.date < min ? f.date : min), flows[0]!.date);
  const terms = flows.filter((f) => f.amountFen !== 0).map((f) => ({ years: daysBetween(start, f.date) / 365, amount: f.amountFen }));
  // All flows on one day: the NPV is the same at every rate, so no rate is defined.
  if (terms.every((t) => t.years === terms[0]!.years)) return null;

  const rate = newton(terms, initialGuess(terms)) ?? bisection(terms);
  if (rate === null) return null;
  invariant(zeroesNpv(terms, rate), `xirr ${rate} does not zero the NPV`);
  return rate;
}

