/**
 * How well a scorecard separates good loans from bad ones, on a back-test of scored loans
 * whose outcome is known: the two measures credit risk teams compare cards with.
 *
 * - AUC: the probability that a random good loan scored higher than a random bad one, ties
 *   counting half (the Mann-Whitney statistic). 0.5 is a coin, 1 is perfect.
 * - KS: the largest gap between the share of bads and the share of goods scoring below a
 *   threshold; `ksScore` is the (lowest) threshold where it is reached.
 * - ROC: at each threshold t, loans scoring below t are predicted bad; tpr is the share of
 *   bads caught, fpr the share of goods wrongly declined. The thresholds are every distinct
 *   score in ascending order (at the lowest nothing is predicted bad) and, last, one above
 *   the highest score (everything predicted bad), so the curve runs from (0,0) to (1,1).
 *
 * Higher scores mean lower risk. Sorting makes it O(n log n); the counts are integers, so
 * AUC is exact up to one final division.
 */
import { DomainError } from './domain-error.js';

export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

export interface ScoreEvaluation {
  auc: number;
  ks: number;
  ksScore: number;
  roc: RocPoint[];
  goods: number;
  bads: number;
}

export function evaluateScores(scores: readonly number[], bad: readonly boolean[]): ScoreEvaluation {
  if (scores.length !== bad.length) {
    throw new DomainError('VALIDATION_FAILED', `scores (${scores.length}) and bad (${bad.length}) must be the same length`, 'bad');
  }
  scores.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isFinite(s)) throw new DomainError('VALIDATION_FAILED', `scores[${i}] must be a finite number`, `scores[${i}]`);
    if (typeof bad[i] !== 'boolean') throw new DomainError('VALIDATION_FAILED', `bad[${i}] must be true or false`, `bad[${i}]`);
  });
  const bads = bad.filter(Boolean).length;
  const goods = bad.length - bads;
  if (goods === 0 || bads === 0) {
    throw new DomainError('VALIDATION_FAILED', 'the sample needs at least one good and one bad loan', 'bad');
  }

  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);

  // Walk the tie groups from the lowest score up. Before a group, badsBelow/goodsBelow count
  // the loans scoring strictly below it, which is exactly "predicted bad at threshold = score".
  const roc: RocPoint[] = [];
  let badsBelow = 0;
  let goodsBelow = 0;
  /** Twice the Mann-Whitney U of goods over bads, so ties stay whole numbers. */
  let twiceU = 0;
  let ks = -1;
  let ksScore = 0;
  const visit = (threshold: number): void => {
    const point = { fpr: goodsBelow / goods, tpr: badsBelow / bads, threshold };
    roc.push(point);
    const gap = Math.abs(point.tpr - point.fpr);
    if (gap > ks) { ks = gap; ksScore = threshold; }
  };

  for (let start = 0; start < order.length;) {
    const score = scores[order[start]!]!;
    let end = start;
    let groupBads = 0;
    while (end < order.length && scores[order[end]!] === score) {
      if (bad[order[end]!]) groupBads++;
      end++;
    }
    const groupGoods = end - start - groupBads;
    visit(score);
    // Each good here beats every bad below and ties with the bads in its own group.
    twiceU += groupGoods * (2 * badsBelow + groupBads);
    badsBelow += groupBads;
    goodsBelow += groupGoods;
    start = end;
  }
  visit(scores[order[order.length - 1]!]! + 1);

  return { auc: twiceU / (2 * goods * bads), ks, ksScore, roc, goods, bads };
}
