import { DomainError, invariant } from './domain-error.js';
import { assertFen, assertPositiveFen, sumFen, type Fen } from './money.js';

/**
 * Settlement: splitting one borrower repayment among the loan's funders (investors and,
 * where configured, an institutional co-lending partner; both are simply "funders" here).
 *
 * Rounding rule (documented because every fen must be accounted for, DESIGN.md "Ledger"):
 * - The platform service fee is ppm of (interest + penalty), rounded half-up ONCE on that
 *   total, so the fee a funder group pays does not depend on how many funders there are.
 * - Every split (principal, net interest, net penalty, and the fee itself between interest
 *   and penalty) uses the largest remainder (Hamilton) method: each key gets the floor of its
 *   exact share, then the leftover fen go one each to the largest fractional remainders.
 *   Ties: larger weight first, then key ascending (plain code-unit order, not locale order,
 *   so the result is the same on every machine).
 * Consequence: parts sum exactly and no one is ever more than 1 fen from their exact share.
 */

/** A funder's invested principal in the loan. */
export interface Holding {
  funderId: string;
  principalFen: Fen;
}

/** What one borrower repayment paid, by component. */
export interface RepaymentParts {
  principalFen: Fen;
  interestFen: Fen;
  penaltyFen: Fen;
  /** The platform's own fee: never shared with funders. */
  feeFen: Fen;
}

export interface SettlementTerms {
  /** Contracted service fee on the interest and penalty funders earn, in ppm (0..1,000,000). */
  platformServiceFeePpm: number;
}

export interface FunderShare {
  funderId: string;
  principalFen: Fen;
  interestFen: Fen;
  penaltyFen: Fen;
}

export interface Settlement {
  /** One line per funder, ordered by funderId ascending (input order never matters). */
  shares: FunderShare[];
  /** The repayment's fee component, passed through to the platform whole. */
  platformFeeFen: Fen;
  /** Service fee taken from interest + penalty before the funders' split. */
  platformServiceFeeFen: Fen;
  /** How the service fee breaks down by component, so postings can debit the right receivable. */
  platformServiceFeeByComponent: { interestFen: Fen; penaltyFen: Fen };
}

export interface Weight {
  key: string;
  weight: bigint | number;
}

const PPM = 1_000_000n;

/** Code-unit order: deterministic and locale-independent. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Split `totalFen` (>= 0) in proportion to non-negative integer weights by the largest
 * remainder method. Every key in `weights` appears in the result (zero-weight keys get 0).
 * All-zero weights are only allowed for a zero total: there is nothing to split by.
 */
export function splitByLargestRemainder(totalFen: Fen, weights: readonly Weight[]): Map<string, Fen> {
  assertFen(totalFen, 'totalFen');
  if (totalFen < 0) throw new DomainError('INVALID_AMOUNT', 'totalFen must not be negative', 'totalFen');
  if (weights.length === 0) throw new DomainError('INVALID_WEIGHTS', 'at least one weight is required', 'weights');

  const seen = new Set<string>();
  const entries = weights.map(({ key, weight }) => {
    if (typeof key !== 'string' || key === '') throw new DomainError('INVALID_WEIGHTS', 'every weight needs a non-empty key', 'weights');
    if (seen.has(key)) throw new DomainError('INVALID_WEIGHTS', `duplicate key ${key}`, 'weights');
    seen.add(key);
    if (typeof weight === 'number' && !Number.isSafeInteger(weight)) {
      throw new DomainError('INVALID_WEIGHTS', `weight of ${key} must be a whole number`, 'weights');
    }
    const w = BigInt(weight);
    if (w < 0n) throw new DomainError('INVALID_WEIGHTS', `weight of ${key} must not be negative`, 'weights');
    return { key, weight: w };
  });

  const total = BigInt(totalFen);
  const weightSum = entries.reduce((s, e) => s + e.weight, 0n);
  const result = new Map<string, Fen>();
  if (weightSum === 0n) {
    if (total !== 0n) throw new DomainError('INVALID_WEIGHTS', 'cannot split a non-zero amount over zero weights', 'weights');
    for (const e of entries) result.set(e.key, 0);
    return result;
  }

  // Exact share = total * w / W. Bigint keeps it exact where total * w exceeds 2^53.
  const lines = entries.map((e) => {
    const scaled = total * e.weight;
    return { ...e, scaled, floor: scaled / weightSum, remainder: scaled % weightSum };
  });
  let leftover = total - lines.reduce((s, l) => s + l.floor, 0n);
  // sum(remainders) = leftover * W with each remainder < W, so more than `leftover` lines
  // have a positive remainder: the leftover always lands on a line with a real fraction.
  invariant(leftover >= 0n && leftover < BigInt(lines.length), 'largest remainder leftover out of range');

  const order = [...lines].sort((a, b) =>
    a.remainder !== b.remainder ? (a.remainder > b.remainder ? -1 : 1)
      : a.weight !== b.weight ? (a.weight > b.weight ? -1 : 1)
        : compareKeys(a.key, b.key));
  const bonus = new Set<string>();
  for (const line of order) {
    if (leftover === 0n) break;
    bonus.add(line.key);
    leftover -= 1n;
  }

  for (const line of lines) {
    const share = line.floor + (bonus.has(line.key) ? 1n : 0n);
    // |share - exact| < 1 fen, i.e. |share * W - total * w| < W.
    const error = share * weightSum - line.scaled;
    invariant(share >= 0n && error < weightSum && -error < weightSum, `share of ${line.key} is not within 1 fen of exact`);
    result.set(line.key, Number(share));
  }
  invariant(sumFen([...result.values()]) === totalFen, 'largest remainder split does not sum to the total');
  return result;
}

/** Half-up rounding of amount * ppm / 1e6 for a non-negative amount. */
function serviceFee(amountFen: Fen, ppm: number): Fen {
  return Number((BigInt(amountFen) * BigInt(ppm) + PPM / 2n) / PPM);
}

function assertPart(value: unknown, field: string): asserts value is Fen {
  assertFen(value, field);
  if (value < 0) throw new DomainError('INVALID_AMOUNT', `${field} must not be negative`, field);
}

/** Split one repayment among the loan's funders. See the module comment for the rounding rule. */
export function distributeRepayment(holdings: readonly Holding[], parts: RepaymentParts, terms: SettlementTerms): Settlement {
  if (holdings.length === 0) throw new DomainError('INVALID_HOLDINGS', 'a loan needs at least one funder', 'holdings');
  const ids = new Set<string>();
  for (const [i, h] of holdings.entries()) {
    if (typeof h.funderId !== 'string' || h.funderId === '') {
      throw new DomainError('INVALID_HOLDINGS', 'funderId must be a non-empty string', `holdings[${i}].funderId`);
    }
    if (ids.has(h.funderId)) throw new DomainError('INVALID_HOLDINGS', `duplicate funderId ${h.funderId}`, `holdings[${i}].funderId`);
    ids.add(h.funderId);
    assertPositiveFen(h.principalFen, `holdings[${i}].principalFen`);
  }
  assertPart(parts.principalFen, 'principalFen');
  assertPart(parts.interestFen, 'interestFen');
  assertPart(parts.penaltyFen, 'penaltyFen');
  assertPart(parts.feeFen, 'feeFen');
  const ppm = terms.platformServiceFeePpm;
  if (!Number.isSafeInteger(ppm) || ppm < 0 || ppm > 1_000_000) {
    throw new DomainError('INVALID_RATE', 'platformServiceFeePpm must be a whole number from 0 to 1,000,000', 'platformServiceFeePpm');
  }

  // Fee once on the total: rounding per component (or per funder) would let the fee drift
  // with how the repayment happened to be allocated.
  const earnedFen = parts.interestFen + parts.penaltyFen;
  const platformServiceFeeFen = serviceFee(earnedFen, ppm);
  const feeSplit = splitByLargestRemainder(platformServiceFeeFen, [
    { key: 'interest', weight: parts.interestFen },
    { key: 'penalty', weight: parts.penaltyFen },
  ]);
  const interestFeeFen = feeSplit.get('interest')!;
  const penaltyFeeFen = feeSplit.get('penalty')!;

  const weights = holdings.map((h) => ({ key: h.funderId, weight: h.principalFen }));
  const principal = splitByLargestRemainder(parts.principalFen, weights);
  const interest = splitByLargestRemainder(parts.interestFen - interestFeeFen, weights);
  const penalty = splitByLargestRemainder(parts.penaltyFen - penaltyFeeFen, weights);

  const shares = [...ids].sort(compareKeys).map((funderId) => ({
    funderId,
    principalFen: principal.get(funderId)!,
    interestFen: interest.get(funderId)!,
    penaltyFen: penalty.get(funderId)!,
  }));

  // Money neither appears nor vanishes, per component.
  invariant(sumFen(shares.map((s) => s.principalFen)) === parts.principalFen, 'principal shares do not sum to the principal paid');
  invariant(sumFen(shares.map((s) => s.interestFen)) + interestFeeFen === parts.interestFen, 'interest shares + fee do not sum to the interest paid');
  invariant(sumFen(shares.map((s) => s.penaltyFen)) + penaltyFeeFen === parts.penaltyFen, 'penalty shares + fee do not sum to the penalty paid');
  invariant(shares.every((s) => s.principalFen >= 0 && s.interestFen >= 0 && s.penaltyFen >= 0), 'negative funder share');

  return {
    shares,
    platformFeeFen: parts.feeFen,
    platformServiceFeeFen,
    platformServiceFeeByComponent: { interestFen: interestFeeFen, penaltyFen: penaltyFeeFen },
  };
}
