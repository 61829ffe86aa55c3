/**
 * 产品适配 (product matching). The seed: "根据征信的评分评级结果，进行产品适配，主要4个指标：
 * 额度、利率、期限、还款方式" and "覆盖面最相近原则" — the products the grade allows are
 * ranked by how closely they cover what the applicant asked for on four indicators:
 * amount, rate, term and repayment method.
 *
 * Each indicator's distance is a whole number of parts per million from 0 (exactly what was
 * asked) to 1,000,000 (as far off as it counts), so the four add up to a comparable total:
 * - amount: the shortfall of the offered amount against the request, relative to the request;
 * - rate:   how far the product's rate exceeds the applicant's maximum, relative to that
 *           maximum, capped at 1,000,000 (0 when no maximum was asked or the rate is within it);
 * - term:   |product term − requested term| relative to the requested term, capped at 1,000,000;
 * - method: 1,000,000 when a method was asked and the product's differs, else 0.
 * Ratios are rounded half-up to the whole ppm, exactly (bigint). Ties go to the lower rate,
 * then to the product code, so the same input always gives the same order.
 *
 * The offered amount is min(request, product max, credit limit); a product whose minimum is
 * above that cannot be offered. A product above the legal rate ceiling is never offered.
 */
import { DomainError, invariant } from './domain-error.js';
import { parseCalendarDate, type CalendarDate } from './calendar-date.js';
import { assertPositiveFen, type Fen } from './money.js';
import { serviceFeeFen, type ProductDefinition } from './product.js';
import { formatRatePercent, type RatePpm } from './rate.js';
import { hit, type ReasonHit } from './reason-codes.js';
import { buildSchedule, isRepaymentMethod, TERM_MONTHS_MAX, type RepaymentMethod, type ScheduledInstallment } from './schedule.js';

export const MATCH_INDICATORS = ['amount', 'rate', 'term', 'method'] as const;
export type MatchIndicator = (typeof MATCH_INDICATORS)[number];
export const INDICATOR_DISTANCE_MAX_PPM = 1_000_000;

export interface MatchRequest {
  amountFen: Fen;
  termMonths: number;
  /** The repayment method the applicant prefers, if any. */
  method?: RepaymentMethod | null;
  /** The highest annual rate the applicant accepts, if they named one. */
  maxAnnualRatePpm?: RatePpm | null;
}

export interface MatchInput {
  /** The active products of the library. */
  products: readonly ProductDefinition[];
  /** Product codes the applicant's grade allows (ScoreResult.productCodes). */
  eligibleCodes: readonly string[];
  /** From the credit decision. */
  creditLimitFen: Fen;
  request: MatchRequest;
  rateCeilingPpm: RatePpm;
  /** Start date for the illustrative schedules (the expected disbursement date). */
  startDate: CalendarDate;
}

export interface IndicatorDistance {
  distancePpm: number;
  reason: string;
}

export interface Offer {
  rank: number;
  productCode: string;
  productName: string;
  amountFen: Fen;
  annualRatePpm: RatePpm;
  termMonths: number;
  method: RepaymentMethod;
  /** One-off service fee on amountFen, from the product. */
  serviceFeeFen: Fen;
  /** Sum of the four indicator distances; 0 = exactly what was asked. */
  distancePpm: number;
  indicators: Record<MatchIndicator, IndicatorDistance>;
  schedule: ScheduledInstallment[];
}

export interface ExcludedProduct {
  productCode: string;
  reason: string;
}

export interface MatchResult {
  offers: Offer[];
  /** Sorted by product code. */
  excluded: ExcludedProduct[];
}

/** CNY 30,000.00 — for reasons shown to clerks and applicants. */
export function formatYuan(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `CNY ${sign}${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** round(part / whole * 1,000,000) half-up, capped at 1,000,000; part >= 0, whole > 0. */
function ratioPpm(part: number, whole: number): number {
  invariant(part >= 0 && whole > 0, 'ratio needs part >= 0 and whole > 0');
  const p = BigInt(part);
  const w = BigInt(whole);
  const ppm = (2n * p * BigInt(INDICATOR_DISTANCE_MAX_PPM) + w) / (2n * w);
  return Number(ppm > BigInt(INDICATOR_DISTANCE_MAX_PPM) ? BigInt(INDICATOR_DISTANCE_MAX_PPM) : ppm);
}

function validate(input: MatchInput): void {
  const { request } = input;
  assertPositiveFen(request.amountFen, 'request.amountFen');
  if (!Number.isInteger(request.termMonths) || request.termMonths < 1 || request.termMonths > TERM_MONTHS_MAX) {
    throw new DomainError('INVALID_TERM', `request.termMonths must be a whole number from 1 to ${TERM_MONTHS_MAX}`, 'request.termMonths');
  }
  if (request.method != null && !isRepaymentMethod(request.method)) {
    throw new DomainError('INVALID_METHOD', 'request.method is not a known repayment method', 'request.method');
  }
  if (request.maxAnnualRatePpm != null && (!Number.isSafeInteger(request.maxAnnualRatePpm) || request.maxAnnualRatePpm < 0)) {
    throw new DomainError('INVALID_RATE', 'request.maxAnnualRatePpm must be a whole number of ppm, 0 or more', 'request.maxAnnualRatePpm');
  }
  parseCalendarDate(input.startDate, 'startDate');
  invariant(Number.isSafeInteger(input.creditLimitFen) && input.creditLimitFen >= 0, 'creditLimitFen must be a whole number of fen, 0 or more');
  invariant(Number.isSafeInteger(input.rateCeilingPpm) && input.rateCeilingPpm > 0, 'rateCeilingPpm must be a positive whole number');
  const codes = input.products.map((p) => p.code);
  invariant(new Set(codes).size === codes.length, 'product codes must be unique');
}

function amountIndicator(request: MatchRequest, product: ProductDefinition, creditLimitFen: Fen, amountFen: Fen): IndicatorDistance {
  if (amountFen === request.amountFen) return { distancePpm: 0, reason: `the full ${formatYuan(amountFen)} asked` };
  const bound = amountFen === product.maxAmountFen ? `the product lends at most ${formatYuan(product.maxAmountFen)}`
    : `the credit limit is ${formatYuan(creditLimitFen)}`;
  return {
    distancePpm: ratioPpm(request.amountFen - amountFen, request.amountFen),
    reason: `${formatYuan(amountFen)} of the ${formatYuan(request.amountFen)} asked: ${bound}`,
  };
}

function rateIndicator(request: MatchRequest, product: ProductDefinition): IndicatorDistance {
  const rate = `${formatRatePercent(product.annualRatePpm)}%`;
  const max = request.maxAnnualRatePpm;
  if (max == null) return { distancePpm: 0, reason: `${rate}; no maximum rate asked` };
  if (product.annualRatePpm <= max) return { distancePpm: 0, reason: `${rate}, within the ${formatRatePercent(max)}% asked` };
  return {
    distancePpm: max === 0 ? INDICATOR_DISTANCE_MAX_PPM : ratioPpm(product.annualRatePpm - max, max),
    reason: `${rate}, above the ${formatRatePercent(max)}% asked`,
  };
}

function termIndicator(request: MatchRequest, product: ProductDefinition): IndicatorDistance {
  if (product.termMonths === request.termMonths) return { distancePpm: 0, reason: `${product.termMonths} months, as asked` };
  return {
    distancePpm: ratioPpm(Math.abs(product.termMonths - request.termMonths), request.termMonths),
    reason: `${product.termMonths} months instead of the ${request.termMonths} asked`,
  };
}

function methodIndicator(request: MatchRequest, product: ProductDefinition): IndicatorDistance {
  if (request.method == null) return { distancePpm: 0, reason: `${product.method}; no method asked` };
  if (request.method === product.method) return { distancePpm: 0, reason: `${product.method}, as asked` };
  return { distancePpm: INDICATOR_DISTANCE_MAX_PPM, reason: `${product.method} instead of ${request.method}` };
}

export function matchProducts(input: MatchInput): MatchResult {
  validate(input);
  const { request, creditLimitFen } = input;
  const eligible = new Set(input.eligibleCodes);
  const excluded: ExcludedProduct[] = [];
  const candidates: Omit<Offer, 'rank'>[] = [];

  for (const product of input.products) {
    if (!eligible.has(product.code)) {
      excluded.push({ productCode: product.code, reason: 'not offered to the applicant\'s grade' });
      continue;
    }
    if (product.annualRatePpm > input.rateCeilingPpm) {
      excluded.push({ productCode: product.code,
        reason: `annual rate ${formatRatePercent(product.annualRatePpm)}% is above the legal ceiling of ${formatRatePercent(input.rateCeilingPpm)}%` });
      continue;
    }
    const amountFen = Math.min(request.amountFen, product.maxAmountFen, creditLimitFen);
    if (amountFen < product.minAmountFen) {
      excluded.push({ productCode: product.code,
        reason: `at most ${formatYuan(amountFen)} can be lent, below the product minimum of ${formatYuan(product.minAmountFen)}` });
      continue;
    }
    const indicators: Record<MatchIndicator, IndicatorDistance> = {
      amount: amountIndicator(request, product, creditLimitFen, amountFen),
      rate: rateIndicator(request, product),
      term: termIndicator(request, product),
      method: methodIndicator(request, product),
    };
    candidates.push({
      productCode: product.code,
      productName: product.name,
      amountFen,
      annualRatePpm: product.annualRatePpm,
      termMonths: product.termMonths,
      method: product.method,
      serviceFeeFen: serviceFeeFen(amountFen, product.serviceFeePpm),
      distancePpm: MATCH_INDICATORS.reduce((acc, k) => acc + indicators[k].distancePpm, 0),
      indicators,
      schedule: buildSchedule({ principalFen: amountFen, annualRatePpm: product.annualRatePpm, termMonths: product.termMonths,
        method: product.method, startDate: input.startDate }),
    });
  }

  // An eligible code with no active product behind it is explained too, so ops can see a stale scorecard.
  const known = new Set(input.products.map((p) => p.code));
  for (const code of new Set(input.eligibleCodes)) {
    if (!known.has(code)) excluded.push({ productCode: code, reason: 'not an active product' });
  }

  const offers = candidates
    .sort((a, b) => a.distancePpm - b.distancePpm || a.annualRatePpm - b.annualRatePpm || compareCodes(a.productCode, b.productCode))
    .map((o, i) => ({ rank: i + 1, ...o }));
  excluded.sort((a, b) => compareCodes(a.productCode, b.productCode));
  return { offers, excluded };
}

/** Plain code-unit order: locale-independent, so every server sorts alike. */
function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The NO_PRODUCT_FITS hit when matching offered nothing; null when there is an offer. */
export function noProductFitsHit(result: MatchResult, creditLimitFen: Fen): ReasonHit | null {
  if (result.offers.length > 0) return null;
  return hit('NO_PRODUCT_FITS', { creditLimitFen, productsExcluded: result.excluded.length });
}
