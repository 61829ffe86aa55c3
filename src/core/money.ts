import { DomainError, invariant } from './domain-error.js';

/** Money is an integer number of fen (0.01 CNY). Never a float. */
export type Fen = number;

/** Largest amount any single posting may carry: CNY 1 trillion keeps sums far from 2^53. */
export const AMOUNT_FEN_MAX = 100_000_000_000_000;

export function assertFen(value: unknown, field: string): asserts value is Fen {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new DomainError('INVALID_AMOUNT', `${field} must be a whole number of fen`, field);
  }
  if (Math.abs(value) > AMOUNT_FEN_MAX) {
    throw new DomainError('INVALID_AMOUNT', `${field} exceeds the largest supported amount`, field);
  }
}

export function assertPositiveFen(value: unknown, field: string): asserts value is Fen {
  assertFen(value, field);
  if (value <= 0) throw new DomainError('INVALID_AMOUNT', `${field} must be greater than zero`, field);
}

export function sumFen(values: readonly Fen[]): Fen {
  let total = 0;
  for (const v of values) total += v;
  invariant(Number.isSafeInteger(total), 'fen sum left the safe integer range');
  return total;
}

/** Whole yuan to fen, for seeded constants written the way people say them. */
export function yuan(amount: number): Fen {
  const fen = amount * 100;
  invariant(Number.isSafeInteger(fen), `yuan(${amount}) is not a whole number of fen`);
  return fen;
}
