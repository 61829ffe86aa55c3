import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from './domain-error.js';
import { evaluateScores } from './scorecard-evaluation.js';

/** O(n^2) definition of AUC, to check the sorted version against. */
function bruteAuc(scores: readonly number[], bad: readonly boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((g, i) => {
    if (bad[i]) return;
    scores.forEach((b, j) => {
      if (!bad[j]) return;
      pairs++;
      wins += g > b ? 1 : g === b ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

/** Samples with at least one good and one bad, scores drawn from a small range so ties happen. */
const sampleArb = fc.array(fc.tuple(fc.integer({ min: 300, max: 360 }), fc.boolean()), { minLength: 2, maxLength: 200 })
  .filter((rows) => rows.some(([, b]) => b) && rows.some(([, b]) => !b))
  .map((rows) => ({ scores: rows.map(([s]) => s), bad: rows.map(([, b]) => b) }));

describe('evaluateScores', () => {
  it('gives AUC 1 and KS 1 for a perfect separation', () => {
    const r = evaluateScores([700, 720, 800, 500, 520], [false, false, false, true, true]);
    expect([r.auc, r.ks, r.ksScore, r.goods, r.bads]).toEqual([1, 1, 700, 3, 2]);
    expect(r.roc).toEqual([
      { threshold: 500, fpr: 0, tpr: 0 },
      { threshold: 520, fpr: 0, tpr: 0.5 },
      { threshold: 700, fpr: 0, tpr: 1 },
      { threshold: 720, fpr: 1 / 3, tpr: 1 },
      { threshold: 800, fpr: 2 / 3, tpr: 1 },
      { threshold: 801, fpr: 1, tpr: 1 },
    ]);
  });

  it('gives AUC 0.5 and KS 0 when every score is the same', () => {
    const r = evaluateScores([600, 600, 600, 600], [true, false, false, true]);
    expect([r.auc, r.ks]).toEqual([0.5, 0]);
    expect(r.roc).toEqual([{ threshold: 600, fpr: 0, tpr: 0 }, { threshold: 601, fpr: 1, tpr: 1 }]);
  });

  it('gives AUC 0 for a card that has it backwards', () => {
    expect(evaluateScores([500, 800], [false, true]).auc).toBe(0);
  });

  it('counts ties as half a win', () => {
    // good 600 vs bads 600 (half) and 550 (win); good 500 vs both (lose): 1.5 / 4
    expect(evaluateScores([600, 500, 600, 550], [false, false, true, true]).auc).toBe(0.375);
  });

  it('rejects samples it cannot evaluate', () => {
    expect(() => evaluateScores([1, 2], [true])).toThrow(DomainError);
    expect(() => evaluateScores([1, 2], [true, true])).toThrow(/one good and one bad/);
    expect(() => evaluateScores([1, Number.NaN], [true, false])).toThrow(/scores\[1\]/);
  });

  it('matches the pairwise definition of AUC (property)', () => {
    fc.assert(fc.property(sampleArb, ({ scores, bad }) => {
      expect(evaluateScores(scores, bad).auc).toBeCloseTo(bruteAuc(scores, bad), 12);
    }));
  });

  it('AUC of reversed scores is 1 - AUC; KS is unchanged (property)', () => {
    fc.assert(fc.property(sampleArb, ({ scores, bad }) => {
      const r = evaluateScores(scores, bad);
      const reversed = evaluateScores(scores.map((s) => -s), bad);
      expect(reversed.auc).toBeCloseTo(1 - r.auc, 12);
    }));
  });

  it('ROC runs from (0,0) to (1,1), monotone, and KS is its largest |tpr - fpr| (property)', () => {
    fc.assert(fc.property(sampleArb, ({ scores, bad }) => {
      const r = evaluateScores(scores, bad);
      expect(r.roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
      expect(r.roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
      for (let i = 1; i < r.roc.length; i++) {
        expect(r.roc[i]!.threshold).toBeGreaterThan(r.roc[i - 1]!.threshold);
        expect(r.roc[i]!.fpr).toBeGreaterThanOrEqual(r.roc[i - 1]!.fpr);
        expect(r.roc[i]!.tpr).toBeGreaterThanOrEqual(r.roc[i - 1]!.tpr);
      }
      const gaps = r.roc.map((p) => Math.abs(p.tpr - p.fpr));
      expect(r.ks).toBe(Math.max(...gaps));
      expect(r.ksScore).toBe(r.roc[gaps.indexOf(r.ks)]!.threshold);
      // The trapezoid area under the ROC (tpr against fpr) is the same AUC.
      let area = 0;
      for (let i = 1; i < r.roc.length; i++) {
        const [a, b] = [r.roc[i - 1]!, r.roc[i]!];
        area += (b.fpr - a.fpr) * ((a.tpr + b.tpr) / 2);
      }
      expect(area).toBeCloseTo(r.auc, 9);
      expect(r.goods + r.bads).toBe(scores.length);
    }));
  });
});
