/**
 * The scorecard the platform starts with, before it has repayment history of its own to fit
 * one on. Points follow the direction rural carrier-data scorecards take: a long-held
 * number, steady spend and regular top-ups, many regular contacts and nights at home show a
 * settled household; an old SIM and a postpaid plan show commitment to the line; the
 * installer's word and the income the loan officer saw carry the most weight because they
 * are the seed's answer to thin files.
 *
 * The score runs from 300 (every feature at its worst) to 850 (every feature at its best).
 * A typical settled prepaid customer without field data scores about 620 (grade C); a home
 * visit and a good installer rating lift the same customer into B. Replace it with a fitted
 * card (same JSON shape, new version) once scorecard-evaluation shows a better one.
 */
import { yuan } from './money.js';
import type { ScorecardBand, ScorecardDefinition } from './scorecard.js';

/** Bands from cut points: [(-inf, c1), [c1, c2), ..., [ck, +inf)] with the given points and labels. */
function bands(cuts: readonly number[], points: readonly number[], labels: readonly string[]): ScorecardBand[] {
  return points.map((p, i) => ({ min: i === 0 ? null : cuts[i - 1]!, max: i === cuts.length ? null : cuts[i]!, points: p, label: labels[i]! }));
}

/** The default is shared by every request: frozen all the way down so no caller can change it for the others. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULT_SCORECARD: ScorecardDefinition = deepFreeze({
  version: 'rural-2026.1',
  description: 'Starting scorecard for rural applicants from carrier data, the installer survey and the home visit; 300-850.',
  baseScore: 300,
  features: [
    { feature: 'tenure_months', reason: 'The mobile number has been held only a short time.', missingPoints: 0,
      bands: bands([6, 12, 24, 60], [0, 15, 30, 50, 70], ['under 6 months', '6-11 months', '1-2 years', '2-5 years', '5 years or more']) },
    { feature: 'avg_monthly_spend_fen', reason: 'Monthly spend on the line is low.', missingPoints: 0,
      bands: bands([2_000, 5_000, 10_000, 20_000], [0, 15, 30, 42, 50], ['under CNY 20', 'CNY 20-49', 'CNY 50-99', 'CNY 100-199', 'CNY 200 or more']) },
    { feature: 'spend_trend_pct', reason: 'Monthly spend changed sharply in the last six months.', missingPoints: 10,
      bands: bands([-50, -20, 50], [0, 10, 30, 20], ['fell by half or more', 'fell 20-50%', 'steady', 'rose by half or more']) },
    { feature: 'recharge_months_6m', reason: 'Top-ups were irregular in the last six months.', missingPoints: 0,
      bands: bands([3, 5, 6], [0, 20, 35, 50], ['0-2 months', '3-4 months', '5 months', 'every month']) },
    { feature: 'call_active_days_30', reason: 'The phone was used for calls on few days last month.', missingPoints: 10,
      bands: bands([10, 20, 26], [0, 15, 30, 40], ['under 10 days', '10-19 days', '20-25 days', '26 days or more']) },
    { feature: 'regular_contacts', reason: 'Few regular contacts.', missingPoints: 10,
      bands: bands([3, 8, 15], [0, 20, 35, 50], ['0-2', '3-7', '8-14', '15 or more']) },
    { feature: 'home_night_share_pct', reason: 'Few nights spent in the home village.', missingPoints: 10,
      bands: bands([40, 60, 80, 90], [0, 15, 30, 40, 50], ['under 40%', '40-59%', '60-79%', '80-89%', '90% or more']) },
    { feature: 'sim_age_days', reason: 'The SIM card is new.', missingPoints: 0,
      bands: bands([90, 365, 1_095], [0, 10, 20, 30], ['under 90 days', '90 days to 1 year', '1-3 years', '3 years or more']) },
    { feature: 'plan_postpaid', reason: 'Prepaid plan.', missingPoints: 0,
      bands: bands([1], [0, 20], ['prepaid', 'postpaid']) },
    { feature: 'installer_rating', reason: 'The installer who knows the household rated it low, or there was no rating.', missingPoints: 20,
      bands: bands([2, 3, 4, 5], [0, 10, 30, 45, 60], ['rated 1', 'rated 2', 'rated 3', 'rated 4', 'rated 5']) },
    { feature: 'income_to_installment_pct', reason: 'Household income is low against the installment, or was not verified.', missingPoints: 20,
      bands: bands([100, 200, 300, 500], [0, 20, 40, 60, 80], ['below the installment', '1-2x the installment', '2-3x', '3-5x', '5x or more']) },
    { feature: 'red_listed', reason: 'Not on the red list of trusted borrowers.', missingPoints: 0,
      bands: bands([1], [0, 20], ['not red-listed', 'red-listed']) },
  ],
  grades: [
    { grade: 'A', minScore: 720, creditLimitFen: yuan(80_000), productCodes: ['X001', 'Y001', 'Z001'] },
    { grade: 'B', minScore: 650, creditLimitFen: yuan(50_000), productCodes: ['X001', 'Y001', 'Z001'] },
    { grade: 'C', minScore: 580, creditLimitFen: yuan(20_000), productCodes: ['X001', 'Z001'] },
    { grade: 'D', minScore: 520, creditLimitFen: yuan(10_000), productCodes: ['X001'] },
    { grade: 'E', minScore: 0, creditLimitFen: 0, productCodes: [] },
  ],
});
