import { DomainError, invariant } from './domain-error.js';
import { yuan, type Fen } from './money.js';

/** A natural person may owe at most CNY 200,000 on one lending platform (CBIRC 2016 interim measures, art. 17). */
export const PLATFORM_BORROWING_CAP_FEN = yuan(200_000);

/** `openPrincipalFen` counts every loan of the person that is applied for, approved, contracted or outstanding. */
export function assertWithinBorrowingCap(openPrincipalFen: Fen, requestedFen: Fen, field: string): void {
  if (openPrincipalFen + requestedFen > PLATFORM_BORROWING_CAP_FEN) {
    throw new DomainError('BORROWING_CAP_EXCEEDED',
      `${field}: the borrower would owe ${openPrincipalFen + requestedFen} fen on the platform, above the cap of ${PLATFORM_BORROWING_CAP_FEN} fen`, field);
  }
}

/**
 * A natural person may owe at most CNY 1,000,000 across all lending platforms (same
 * measures, art. 17). Debt elsewhere comes from the applicant's declaration or a bureau.
 */
export const TOTAL_BORROWING_CAP_FEN = yuan(1_000_000);

/** What the platform cap still allows: never negative. */
export function platformBorrowingRoomFen(openPlatformPrincipalFen: Fen): Fen {
  assertOwed(openPlatformPrincipalFen, 'openPlatformPrincipalFen');
  return Math.max(0, PLATFORM_BORROWING_CAP_FEN - openPlatformPrincipalFen);
}

/** What the total cap still allows, counting this platform and every other: never negative. */
export function totalBorrowingRoomFen(openPlatformPrincipalFen: Fen, otherPlatformsDebtFen: Fen): Fen {
  assertOwed(openPlatformPrincipalFen, 'openPlatformPrincipalFen');
  assertOwed(otherPlatformsDebtFen, 'otherPlatformsDebtFen');
  return Math.max(0, TOTAL_BORROWING_CAP_FEN - openPlatformPrincipalFen - otherPlatformsDebtFen);
}

/** The most the person may still borrow here: the smaller room of the two caps, never negative. */
export function availableBorrowingFen(openPlatformPrincipalFen: Fen, otherPlatformsDebtFen: Fen): Fen {
  return Math.min(platformBorrowingRoomFen(openPlatformPrincipalFen), totalBorrowingRoomFen(openPlatformPrincipalFen, otherPlatformsDebtFen));
}

/** Amounts owed come from our books or a parsed declaration: a negative or fractional one is a bug. */
function assertOwed(value: Fen, name: string): void {
  invariant(Number.isSafeInteger(value) && value >= 0, `${name} must be a whole number of fen, 0 or more`);
}
