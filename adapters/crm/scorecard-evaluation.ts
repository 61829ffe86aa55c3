/**
 * Evaluates a scorecard against the simulated population's hidden outcomes: every
 * subscriber is scored from the carrier data the CRM would return (no offline forms, as for
 * an applicant before the home visit), and the scores are compared with who defaulted. KS
 * and AUC say how well the card separates; the ROC curve is drawn as a PNG.
 */
import type { CalendarDate } from '../../src/core/calendar-date.js';
import { deriveFeatures } from '../../src/core/risk-features.js';
import { evaluateScores, type ScoreEvaluation } from '../../src/core/scorecard-evaluation.js';
import { scoreApplicant, type ScorecardDefinition } from '../../src/core/scorecard.js';
import { yuan } from '../../src/core/money.js';
import { lineChartPng } from '../../src/reports/line-chart.js';
import type { PopulationMember } from './population.js';

/** The loan each subscriber is scored for: the seed's typical planting loan. */
const TYPICAL_REQUEST = { requestedAmountFen: yuan(30_000), termMonths: 6 };
/** ROC points drawn at most; the curve is thinned evenly beyond it. */
const ROC_POINTS_DRAWN_MAX = 400;

export interface GradeLine {
  grade: string;
  count: number;
  bads: number;
  /** Observed default rate in the grade, 0-1. */
  badRate: number;
}

export interface ScorecardEvaluation extends ScoreEvaluation {
  scorecardVersion: string;
  population: number;
  grades: GradeLine[];
}

export function evaluateScorecard(members: readonly PopulationMember[], card: ScorecardDefinition, asOf: CalendarDate): ScorecardEvaluation {
  const scores: number[] = [];
  const bad: boolean[] = [];
  const byGrade = new Map<string, { count: number; bads: number }>(card.grades.map((g) => [g.grade, { count: 0, bads: 0 }]));
  for (const member of members) {
    const result = scoreApplicant(card, deriveFeatures({ profile: member.profile, asOf, redListed: false, ...TYPICAL_REQUEST }));
    scores.push(result.score);
    bad.push(member.hidden.defaulted);
    const line = byGrade.get(result.grade)!;
    line.count += 1;
    if (member.hidden.defaulted) line.bads += 1;
  }
  return {
    ...evaluateScores(scores, bad),
    scorecardVersion: card.version,
    population: members.length,
    grades: [...byGrade].map(([grade, l]) => ({ grade, count: l.count, bads: l.bads, badRate: l.count === 0 ? 0 : l.bads / l.count })),
  };
}

export function rocChartPng(evaluation: ScorecardEvaluation): Promise<Buffer> {
  const step = Math.max(1, Math.ceil(evaluation.roc.length / ROC_POINTS_DRAWN_MAX));
  const points = evaluation.roc.filter((_, i) => i % step === 0 || i === evaluation.roc.length - 1).map((p) => ({ x: p.fpr, y: p.tpr }));
  return lineChartPng({
    title: `ROC of ${evaluation.scorecardVersion}, ${evaluation.population} subscribers: AUC ${evaluation.auc.toFixed(3)}, KS ${evaluation.ks.toFixed(3)}`,
    xTitle: 'false positive rate (goods flagged bad)', yTitle: 'true positive rate (bads flagged)', unitSquare: true, width: 420, height: 420,
    series: [{ name: 'scorecard', points }, { name: 'chance', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }],
  });
}
