import { DomainError } from './domain-error.js';
import { assertPositiveFen, yuan, type Fen } from './money.js';
import { assertRateWithinCeiling, type RatePpm } from './rate.js';
import { isRepaymentMethod, TERM_MONTHS_MAX, type RepaymentMethod } from './schedule.js';

export const PRODUCT_CODE_PATTERN = /^[A-Z][A-Z0-9]{2,15}$/;

export interface ProductDefinition {
  code: string;
  name: string;
  minAmountFen: Fen;
  maxAmountFen: Fen;
  annualRatePpm: RatePpm;
  termMonths: number;
  method: RepaymentMethod;
  /** Annual penalty interest rate on overdue principal, charged per day at rate / 360. */
  penaltyRatePpm: RatePpm;
  /** One-off service fee (信用咨询及管理服务费) as ppm of principal, due with the first installment. */
  serviceFeePpm: number;
}

export function validateProduct(p: ProductDefinition, rateCeilingPpm: RatePpm): ProductDefinition {
  if (!PRODUCT_CODE_PATTERN.test(p.code)) throw new DomainError('INVALID_PRODUCT', 'code must be 3-16 capital letters or digits, starting with a letter', 'code');
  if (p.name.trim().length === 0 || p.name.length > 50) throw new DomainError('INVALID_PRODUCT', 'name must be 1 to 50 characters', 'name');
  assertPositiveFen(p.minAmountFen, 'minAmountFen');
  assertPositiveFen(p.maxAmountFen, 'maxAmountFen');
  if (p.minAmountFen > p.maxAmountFen) throw new DomainError('INVALID_PRODUCT', 'minAmountFen must not exceed maxAmountFen', 'minAmountFen');
  if (!Number.isInteger(p.termMonths) || p.termMonths < 1 || p.termMonths > TERM_MONTHS_MAX) {
    throw new DomainError('INVALID_TERM', `termMonths must be a whole number from 1 to ${TERM_MONTHS_MAX}`, 'termMonths');
  }
  if (!isRepaymentMethod(p.method)) throw new DomainError('INVALID_METHOD', 'method is not a known repayment method', 'method');
  assertRateWithinCeiling(p.annualRatePpm, rateCeilingPpm, 'annualRatePercent');
  assertRateWithinCeiling(p.penaltyRatePpm, rateCeilingPpm, 'penaltyRatePercent');
  if (!Number.isInteger(p.serviceFeePpm) || p.serviceFeePpm < 0 || p.serviceFeePpm > 100_000) {
    throw new DomainError('INVALID_PRODUCT', 'serviceFeePercent must be between 0 and 10', 'serviceFeePercent');
  }
  return p;
}

/** Service fee on a principal, rounded half-up to the fen. */
export function serviceFeeFen(principalFen: Fen, serviceFeePpm: number): Fen {
  return Math.floor((principalFen * serviceFeePpm + 500_000) / 1_000_000);
}

export function assertAmountInRange(product: ProductDefinition, principalFen: Fen, field: string): void {
  assertPositiveFen(principalFen, field);
  if (principalFen < product.minAmountFen || principalFen > product.maxAmountFen) {
    throw new DomainError('AMOUNT_OUT_OF_RANGE',
      `${field} must be between ${product.minAmountFen} and ${product.maxAmountFen} fen for product ${product.code}`, field);
  }
}

/**
 * The seed's product library (产品库). Amounts are the upper limits the seed gives in
 * units of 10,000 CNY; the seed names no minimum, penalty or fee, so the minimum is
 * CNY 1,000, penalty interest is 1.5x the contract rate kept within the legal ceiling,
 * and no service fee is charged.
 */
export const SEED_PRODUCTS: readonly ProductDefinition[] = [
  { code: 'X001', name: '助学贷', minAmountFen: yuan(1_000), maxAmountFen: yuan(20_000), annualRatePpm: 40_000, termMonths: 10,
    method: 'interest_monthly_principal_at_maturity', penaltyRatePpm: 60_000, serviceFeePpm: 0 },
  { code: 'Y001', name: '养殖贷', minAmountFen: yuan(1_000), maxAmountFen: yuan(80_000), annualRatePpm: 100_000, termMonths: 12,
    method: 'interest_monthly_principal_at_maturity', penaltyRatePpm: 120_000, serviceFeePpm: 0 },
  { code: 'Z001', name: '种植贷', minAmountFen: yuan(1_000), maxAmountFen: yuan(50_000), annualRatePpm: 100_000, termMonths: 6,
    method: 'equal_principal', penaltyRatePpm: 120_000, serviceFeePpm: 0 },
];
