/**
 * The credit decision: every reason hit so far (initial review, anti-fraud, field data), the
 * scorecard result and the borrowing caps come together into one outcome and one limit.
 *
 * Order of precedence: a 'refuse' hit refuses; a declining grade (limit 0) refuses with
 * SCORE_TOO_LOW; a cap whose remaining room is below the smallest product refuses with
 * PLATFORM_CAP_EXHAUSTED / TOTAL_CAP_EXHAUSTED; any 'review' hit sends the application to
 * manual review; otherwise it is approved. The limit is the smallest of the grade limit and
 * the room under both caps, and is computed for review too, so the reviewer sees what
 * approving would grant. A refusal grants 0 so nothing downstream can offer by mistake.
 */
import { invariant } from './domain-error.js';
import { PLATFORM_BORROWING_CAP_FEN, TOTAL_BORROWING_CAP_FEN, platformBorrowingRoomFen, totalBorrowingRoomFen } from './borrowing-cap.js';
import type { Fen } from './money.js';
import { hasSeverity, hit, sortHitsBySeverity, type ReasonHit } from './reason-codes.js';
import type { ScoreResult } from './scorecard.js';

export const CREDIT_OUTCOMES = ['approved', 'refused', 'manual_review'] as const;
export type CreditOutcome = (typeof CREDIT_OUTCOMES)[number];

export interface CreditDecisionInput {
  hits: readonly ReasonHit[];
  score: ScoreResult;
  /** Principal of the person's loans on this platform that are applied for, approved, contracted or outstanding. */
  openPlatformPrincipalFen: Fen;
  /** What the person owes on other platforms (declared or from a bureau). */
  otherPlatformsDebtFen: Fen;
  requestedAmountFen: Fen;
  /** The lowest minimum amount among the products the grade allows: less room than this cannot become a loan. */
  smallestProductMinFen: Fen;
}

export interface CreditDecision {
  outcome: CreditOutcome;
  /** Every input hit plus those the decision adds, refusals first, then review, then info. */
  reasons: ReasonHit[];
  /** 0 when refused. */
  creditLimitFen: Fen;
}

function assertFenAtLeast(value: Fen, min: number, name: string): void {
  invariant(Number.isSafeInteger(value) && value >= min, `${name} must be a whole number of fen, ${min} or more`);
}

export function decideCredit(input: CreditDecisionInput): CreditDecision {
  const { score, openPlatformPrincipalFen: open, otherPlatformsDebtFen: other, requestedAmountFen, smallestProductMinFen } = input;
  assertFenAtLeast(open, 0, 'openPlatformPrincipalFen');
  assertFenAtLeast(other, 0, 'otherPlatformsDebtFen');
  assertFenAtLeast(requestedAmountFen, 1, 'requestedAmountFen');
  assertFenAtLeast(smallestProductMinFen, 1, 'smallestProductMinFen');
  assertFenAtLeast(score.creditLimitFen, 0, 'score.creditLimitFen');

  const added: ReasonHit[] = [];
  if (score.creditLimitFen === 0) {
    added.push(hit('SCORE_TOO_LOW', { score: score.score, grade: score.grade, scorecardVersion: score.scorecardVersion }));
  }
  const platformRoomFen = platformBorrowingRoomFen(open);
  if (platformRoomFen < smallestProductMinFen) {
    added.push(hit('PLATFORM_CAP_EXHAUSTED', {
      capFen: PLATFORM_BORROWING_CAP_FEN, openPlatformPrincipalFen: open, roomFen: platformRoomFen, smallestProductMinFen, requestedAmountFen,
    }));
  }
  const totalRoomFen = totalBorrowingRoomFen(open, other);
  if (totalRoomFen < smallestProductMinFen) {
    added.push(hit('TOTAL_CAP_EXHAUSTED', {
      capFen: TOTAL_BORROWING_CAP_FEN, openPlatformPrincipalFen: open, otherPlatformsDebtFen: other, roomFen: totalRoomFen,
      smallestProductMinFen, requestedAmountFen,
    }));
  }

  const reasons = sortHitsBySeverity([...input.hits, ...added]);
  if (hasSeverity(reasons, 'refuse')) return { outcome: 'refused', reasons, creditLimitFen: 0 };
  const creditLimitFen = Math.min(score.creditLimitFen, platformRoomFen, totalRoomFen);
  return { outcome: hasSeverity(reasons, 'review') ? 'manual_review' : 'approved', reasons, creditLimitFen };
}
