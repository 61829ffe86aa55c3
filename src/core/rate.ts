import { DomainError } from './domain-error.js';

/**
 * Annual rates are integer parts per million (10% = 100_000 ppm), so they compare and
 * store exactly. Inputs are decimal strings of a percentage with at most 4 decimals.
 */
export type RatePpm = number;

const PERCENT_PATTERN = /^(\d{1,3})(?:\.(\d{1,4}))?$/;

export function parseRatePercent(value: unknown, field: string): RatePpm {
  const text = typeof value === 'number' ? String(value) : value;
  const match = typeof text === 'string' ? PERCENT_PATTERN.exec(text) : null;
  if (!match) {
    throw new DomainError('INVALID_RATE', `${field} must be a percentage such as "10" or "9.4822" (at most 4 decimals)`, field);
  }
  return Number(match[1]) * 10_000 + Number((match[2] ?? '').padEnd(4, '0'));
}

export function formatRatePercent(ppm: RatePpm): string {
  const whole = Math.floor(ppm / 10_000);
  const frac = String(ppm % 10_000).padStart(4, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/**
 * Legal ceiling on the annual rate: four times the one-year Loan Prime Rate (Supreme
 * People's Court private lending provisions, 2020 revision). The LPR is configuration.
 */
export function annualRateCeilingPpm(lprPpm: RatePpm): RatePpm {
  return lprPpm * 4;
}

export function assertRateWithinCeiling(ratePpm: RatePpm, ceilingPpm: RatePpm, field: string): void {
  if (ratePpm > ceilingPpm) {
    throw new DomainError(
      'RATE_ABOVE_CEILING',
      `${field} ${formatRatePercent(ratePpm)}% is above the legal ceiling of ${formatRatePercent(ceilingPpm)}%`,
      field,
    );
  }
}
