import { DomainError } from './domain-error.js';
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
