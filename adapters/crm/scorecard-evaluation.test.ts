import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORECARD } from '../../src/core/default-scorecard.js';
import { generatePopulation } from './population.js';
import { evaluateScorecard, rocChartPng } from './scorecard-evaluation.js';

const AS_OF = '2026-11-25';

describe('scorecard evaluation against the simulated population', () => {
  const members = generatePopulation({ size: 3_000, seed: 7, asOf: AS_OF });
  const evaluation = evaluateScorecard(members, DEFAULT_SCORECARD, AS_OF);

  it('the built-in scorecard separates defaulters from payers', () => {
    expect(evaluation.goods + evaluation.bads).toBe(3_000);
    expect(evaluation.auc).toBeGreaterThan(0.7);
    expect(evaluation.ks).toBeGreaterThan(0.3);
  });

  it('worse grades default more often', () => {
    const lending = evaluation.grades.filter((g) => g.count >= 50);
    for (let i = 1; i < lending.length; i += 1) expect(lending[i]!.badRate).toBeGreaterThan(lending[i - 1]!.badRate);
  });

  it('a scorecard that ignores the carrier data is no better than chance', () => {
    const flat = structuredClone(DEFAULT_SCORECARD);
    for (const feature of flat.features) for (const band of feature.bands) band.points = 0;
    for (const feature of flat.features) feature.missingPoints = 0;
    expect(evaluateScorecard(members, flat, AS_OF).auc).toBe(0.5);
  });

  it('draws the ROC curve as a PNG', async () => {
    const png = await rocChartPng(evaluation);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(5_000);
  });
});
