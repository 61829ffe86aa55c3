/**
 * Repayment schedules: pure, synchronous, exact. The project's convention
 * (DESIGN.md "Money and time"):
 *
 * - Installment k (1-based) is due `addMonthsClamped(startDate, k)`: the same day k months
 *   after the start date, clamped to the month's last day, always counted from the start
 *   date (never chained), so a loan started on Jan 31 is due Feb 28, Mar 31, Apr 30, ...
 * - Monthly rate r = annualRatePpm / 1_000_000 / 12, exactly. Arithmetic is on integers and
 *   exact rationals (bigint when a product leaves the safe integer range); every amount is
 *   rounded ONCE, half-up, to whole fen. Nothing is computed in floating point.
 * - interest_monthly_principal_at_maturity (按月付息到期还本): every month interest
 *   round(P*r); the whole principal in the last installment.
 * - equal_principal (等额本金): principal round(P/n) in installments 1..n-1, the last takes
 *   P minus the others (the rounding remainder); interest_k = round(outstanding_before_k * r).
 * - equal_installment (等额本息): EMI = round(P*r / (1 - (1+r)^-n)) (round(P/n) when r = 0);
 *   interest_k = round(outstanding * r); principal_k = EMI - interest_k; the last installment
 *   takes the remaining balance plus round(outstanding * r), so only its total may differ
 *   from the EMI.
 * - bullet (一次性还本付息): one installment at startDate + n months: principal P, interest
 *   round(P * annualRate * n / 12).
 *
 * Degenerate inputs (a few fen spread over many months, or equal installment at a very high
 * rate over a very long term, where fen rounding compounds): a principal part never exceeds
 * the outstanding balance, so no part is ever negative. For equal principal, when
 * round(P/n) * (n-1) would exceed P the per-installment part is rounded down instead (the
 * remainder still goes to the last installment). For equal installment, the installment that
 * would overshoot repays exactly the outstanding balance and later installments are zero.
 * Neither case occurs for ordinary loans (e.g. CNY 1,000+ over up to 60 months at up to 36%).
 */
import { DomainError, invariant } from './domain-error.js';
import { AMOUNT_FEN_MAX, assertPositiveFen, sumFen, type Fen } from './money.js';
import { addMonthsClamped, parseCalendarDate, type CalendarDate } from './calendar-date.js';
import type { RatePpm } from './rate.js';

export const REPAYMENT_METHODS = [
  'interest_monthly_principal_at_maturity',
  'equal_principal',
  'equal_installment',
  'bullet',
] as const;
export type RepaymentMethod = (typeof REPAYMENT_METHODS)[number];
export const TERM_MONTHS_MAX = 360;

export interface ScheduleTerms {
  principalFen: Fen;
  annualRatePpm: RatePpm;
  termMonths: number;
  method: RepaymentMethod;
  startDate: CalendarDate;
}

export interface ScheduledInstallment {
  number: number;
  dueDate: CalendarDate;
  principalFen: Fen;
  interestFen: Fen;
  totalFen: Fen;
}

/** Monthly rate r = ppm / PPM_PER_MONTHLY_UNIT (1,000,000 ppm x 12 months). */
const PPM_PER_MONTHLY_UNIT = 12_000_000;
const AMOUNT_FEN_MAX_BIG = BigInt(AMOUNT_FEN_MAX);

export function isRepaymentMethod(v: unknown): v is RepaymentMethod {
  return typeof v === 'string' && (REPAYMENT_METHODS as readonly string[]).includes(v);
}

export function buildSchedule(terms: ScheduleTerms): ScheduledInstallment[] {
  validateTerms(terms);
  const schedule = BUILDERS[terms.method](terms);
  assertScheduleInvariants(schedule, terms);
  return schedule;
}

function validateTerms(t: ScheduleTerms): void {
  assertPositiveFen(t.principalFen, 'principalFen');
  if (!Number.isInteger(t.termMonths) || t.termMonths < 1 || t.termMonths > TERM_MONTHS_MAX) {
    throw new DomainError('INVALID_TERM', `termMonths must be a whole number from 1 to ${TERM_MONTHS_MAX}`, 'termMonths');
  }
  if (!Number.isSafeInteger(t.annualRatePpm) || t.annualRatePpm < 0) {
    throw new DomainError('INVALID_RATE', 'annualRatePpm must be a whole number of parts per million, 0 or more', 'annualRatePpm');
  }
  if (!isRepaymentMethod(t.method)) {
    throw new DomainError('INVALID_METHOD', `method must be one of ${REPAYMENT_METHODS.join(', ')}`, 'method');
  }
  parseCalendarDate(t.startDate, 'startDate');
}

const BUILDERS: Record<RepaymentMethod, (t: ScheduleTerms) => ScheduledInstallment[]> = {
  interest_monthly_principal_at_maturity: buildInterestMonthly,
  equal_principal: buildEqualPrincipal,
  equal_installment: buildEqualInstallment,
  bullet: buildBullet,
};

function installment(t: ScheduleTerms, number: number, principalFen: Fen, interestFen: Fen): ScheduledInstallment {
  const dueDate = addMonthsClamped(t.startDate, number);
  return { number, dueDate, principalFen, interestFen, totalFen: principalFen + interestFen };
}

/** 按月付息到期还本: interest round(P*r) every month, principal at maturity. */
function buildInterestMonthly(t: ScheduleTerms): ScheduledInstallment[] {
  const interest = monthlyInterest(t.principalFen, t.annualRatePpm);
  const rows: ScheduledInstallment[] = [];
  for (let k = 1; k <= t.termMonths; k++) {
    rows.push(installment(t, k, k === t.termMonths ? t.principalFen : 0, interest));
  }
  return rows;
}

/** 等额本金: round(P/n) a month (rounded down if that would overshoot), remainder last. */
function buildEqualPrincipal(t: ScheduleTerms): ScheduledInstallment[] {
  const n = t.termMonths;
  let part = mulDivHalfUp(t.principalFen, 1, n);
  if (part * (n - 1) > t.principalFen) part = Math.floor(t.principalFen / n);
  const rows: ScheduledInstallment[] = [];
  let balance = t.principalFen;
  for (let k = 1; k <= n; k++) {
    const principal = k === n ? balance : part;
    rows.push(installment(t, k, principal, monthlyInterest(balance, t.annualRatePpm)));
    balance -= principal;
  }
  return rows;
}

/** 等额本息: fixed EMI; interest on the outstanding balance; the last takes what remains. */
function buildEqualInstallment(t: ScheduleTerms): ScheduledInstallment[] {
  const n = t.termMonths;
  const emi = equalInstallmentAmount(t.principalFen, t.annualRatePpm, n);
  const rows: ScheduledInstallment[] = [];
  let balance = t.principalFen;
  for (let k = 1; k <= n; k++) {
    const interest = monthlyInterest(balance, t.annualRatePpm);
    const principal = k === n ? balance : Math.min(emi - interest, balance);
    rows.push(installment(t, k, principal, interest));
    balance -= principal;
  }
  return rows;
}

/** 一次性还本付息: one installment at maturity, interest round(P * annual * n / 12). */
function buildBullet(t: ScheduleTerms): ScheduledInstallment[] {
  const numerator = BigInt(t.principalFen) * BigInt(t.annualRatePpm) * BigInt(t.termMonths);
  const interest = divHalfUp(numerator, BigInt(PPM_PER_MONTHLY_UNIT));
  const dueDate = addMonthsClamped(t.startDate, t.termMonths);
  return [{ number: 1, dueDate, principalFen: t.principalFen, interestFen: interest, totalFen: t.principalFen + interest }];
}

/** round(balance * r), half-up, exact. */
function monthlyInterest(balanceFen: Fen, annualRatePpm: RatePpm): Fen {
  return mulDivHalfUp(balanceFen, annualRatePpm, PPM_PER_MONTHLY_UNIT);
}

/**
 * EMI = P*r*(1+r)^n / ((1+r)^n - 1), exact. With g = gcd(ppm, 12e6), r = p'/b and
 * 1+r = a/b where p' = ppm/g, a = (12e6+ppm)/g, b = 12e6/g, so
 * EMI = P * p' * a^n / (b * (a^n - b^n)), rounded half-up once.
 */
export function equalInstallmentAmount(principalFen: Fen, annualRatePpm: RatePpm, termMonths: number): Fen {
  if (annualRatePpm === 0) return mulDivHalfUp(principalFen, 1, termMonths);
  const g = gcd(annualRatePpm, PPM_PER_MONTHLY_UNIT);
  const pr = BigInt(annualRatePpm / g);
  const b = BigInt(PPM_PER_MONTHLY_UNIT / g);
  const a = b + pr;
  const n = BigInt(termMonths);
  const an = a ** n;
  return divHalfUp(BigInt(principalFen) * pr * an, b * (an - b ** n));
}

/** round(a*b/d) half-up for non-negative integers; exact (bigint once a*b leaves the safe range). */
function mulDivHalfUp(a: number, b: number, d: number): Fen {
  const n = a * b;
  if (n <= Number.MAX_SAFE_INTEGER) {
    const rem = n % d;
    return (n - rem) / d + (2 * rem >= d ? 1 : 0);
  }
  return divHalfUp(BigInt(a) * BigInt(b), BigInt(d));
}

/** round(n/d) half-up for n >= 0, d > 0, as fen. */
function divHalfUp(n: bigint, d: bigint): Fen {
  const q = (2n * n + d) / (2n * d);
  if (q > AMOUNT_FEN_MAX_BIG) {
    throw new DomainError('INVALID_AMOUNT', 'principalFen at this rate and term gives an amount above the largest supported amount', 'principalFen');
  }
  return Number(q);
}

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function assertScheduleInvariants(rows: readonly ScheduledInstallment[], t: ScheduleTerms): void {
  invariant(rows.length === (t.method === 'bullet' ? 1 : t.termMonths), 'schedule has the wrong number of installments');
  invariant(sumFen(rows.map((r) => r.principalFen)) === t.principalFen, 'principal parts must sum to the principal');
  for (const r of rows) {
    invariant(r.principalFen >= 0 && r.interestFen >= 0, 'no schedule amount may be negative');
    invariant(r.totalFen === r.principalFen + r.interestFen, 'installment total must be principal + interest');
    invariant(Number.isSafeInteger(r.totalFen) && r.totalFen <= AMOUNT_FEN_MAX, 'installment total out of range');
  }
}
