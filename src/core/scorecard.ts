/**
 * A points scorecard (评分卡): versioned, explainable, and kept as JSON so risk staff can
 * change it without a release. Each feature falls into exactly one band and earns that
 * band's points (or `missingPoints` when the feature is null); the score is the base plus
 * every feature's points, and the first grade whose `minScore` the score reaches gives the
 * credit limit and the products the applicant may be offered. A grade with a limit of 0
 * declines.
 *
 * Explainability is built in: every contribution says which band it fell into and how far
 * below the feature's best points it is, and the features that cost the most points become
 * the applicant's top reasons (what an adverse-action notice would list).
 */
import { DomainError, invariant } from './domain-error.js';
import { assertFen, type Fen } from './money.js';
import { PRODUCT_CODE_PATTERN } from './product.js';
import { isFeatureName, type FeatureName, type FeatureVector } from './risk-features.js';

export const SCORECARD_VERSION_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
/** How many features an explanation lists at most. */
export const TOP_REASONS_MAX = 4;
/** Points and scores stay small whole numbers so a sum can never drift or overflow. */
const POINTS_ABS_MAX = 10_000;
const TEXT_MAX = 200;
const DESCRIPTION_MAX = 1_000;
export const MISSING_LABEL = 'missing';

export interface ScorecardBand {
  /** Inclusive lower bound; null = minus infinity (first band only). */
  min: number | null;
  /** Exclusive upper bound; null = plus infinity (last band only). */
  max: number | null;
  points: number;
  label: string;
}

export interface ScorecardFeature {
  feature: FeatureName;
  /** Shown to the applicant and the reviewer when this feature costs points. */
  reason: string;
  missingPoints: number;
  bands: ScorecardBand[];
}

export interface ScorecardGrade {
  grade: string;
  minScore: number;
  creditLimitFen: Fen;
  productCodes: string[];
}

export interface ScorecardDefinition {
  version: string;
  description: string;
  baseScore: number;
  features: ScorecardFeature[];
  /** Sorted by minScore, highest first; the last one catches every possible score. */
  grades: ScorecardGrade[];
}

export interface ScoreContribution {
  feature: FeatureName;
  value: number | null;
  label: string;
  points: number;
  /** The most points this feature can give (best band or missingPoints). */
  bestPoints: number;
}

export interface ScoreReason {
  feature: FeatureName;
  reason: string;
  pointsBelowBest: number;
}

export interface ScoreResult {
  scorecardVersion: string;
  score: number;
  grade: string;
  creditLimitFen: Fen;
  productCodes: string[];
  contributions: ScoreContribution[];
  topReasons: ScoreReason[];
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

function fail(field: string, message: string): never {
  throw new DomainError('INVALID_SCORECARD', `${field} ${message}`, field);
}

function record(value: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!keys.includes(key)) fail(`${field}.${key}`, 'is not a known field');
  return obj;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max || /[\u0000-\u001f]/.test(value)) {
    fail(field, `must be 1 to ${max} printable characters`);
  }
  return value;
}

function points(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > POINTS_ABS_MAX) {
    fail(field, `must be a whole number from -${POINTS_ABS_MAX} to ${POINTS_ABS_MAX}`);
  }
  return value;
}

function bound(value: unknown, field: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'must be a finite number or null');
  return value;
}

function list(value: unknown, field: string, min: number): unknown[] {
  if (!Array.isArray(value) || value.length < min) fail(field, `must be a list of at least ${min}`);
  return value;
}

function parseBands(value: unknown, field: string): ScorecardBand[] {
  const bands = list(value, field, 1).map((b, i) => {
    const f = `${field}[${i}]`;
    const o = record(b, f, ['min', 'max', 'points', 'label']);
    return { min: bound(o.min, `${f}.min`), max: bound(o.max, `${f}.max`), points: points(o.points, `${f}.points`), label: text(o.label, `${f}.label`, TEXT_MAX) };
  });
  // Together the bands must tile the number line: (-inf, b1), [b1, b2), ..., [bk, +inf).
  bands.forEach((band, i) => {
    const f = `${field}[${i}]`;
    if (i === 0 && band.min !== null) fail(`${f}.min`, 'must be null: the first band starts at minus infinity');
    if (i > 0 && band.min === null) fail(`${f}.min`, 'must be a number: only the first band is open below');
    if (i === bands.length - 1 && band.max !== null) fail(`${f}.max`, 'must be null: the last band runs to plus infinity');
    if (i < bands.length - 1 && band.max === null) fail(`${f}.max`, 'must be a number: only the last band is open above');
    if (band.min !== null && band.max !== null && !(band.min < band.max)) fail(`${f}.max`, 'must be greater than min');
    const next = bands[i + 1];
    if (next !== undefined && next.min !== band.max) fail(`${field}[${i + 1}].min`, `must equal the previous band's max (${band.max}): no gaps or overlaps`);
  });
  const labels = bands.map((b) => b.label);
  labels.forEach((l, i) => { if (labels.indexOf(l) !== i) fail(`${field}[${i}].label`, 'repeats an earlier label'); });
  return bands;
}

function parseFeature(value: unknown, field: string): ScorecardFeature {
  const o = record(value, field, ['feature', 'reason', 'missingPoints', 'bands']);
  if (!isFeatureName(o.feature)) fail(`${field}.feature`, 'is not a known feature');
  return {
    feature: o.feature,
    reason: text(o.reason, `${field}.reason`, TEXT_MAX),
    missingPoints: points(o.missingPoints, `${field}.missingPoints`),
    bands: parseBands(o.bands, `${field}.bands`),
  };
}

function parseGrade(value: unknown, field: string): ScorecardGrade {
  const o = record(value, field, ['grade', 'minScore', 'creditLimitFen', 'productCodes']);
  const creditLimitFen = o.creditLimitFen;
  assertFen(creditLimitFen, `${field}.creditLimitFen`);
  if (creditLimitFen < 0) fail(`${field}.creditLimitFen`, 'must not be negative');
  const productCodes = list(o.productCodes, `${field}.productCodes`, 0).map((c, i) => {
    if (typeof c !== 'string' || !PRODUCT_CODE_PATTERN.test(c)) fail(`${field}.productCodes[${i}]`, 'must be a product code such as X001');
    return c;
  });
  productCodes.forEach((c, i) => { if (productCodes.indexOf(c) !== i) fail(`${field}.productCodes[${i}]`, 'repeats an earlier code'); });
  // A declining grade offers nothing, and an offering grade offers something: no half-configured grades.
  if (creditLimitFen === 0 && productCodes.length > 0) fail(`${field}.productCodes`, 'must be empty when creditLimitFen is 0 (the grade declines)');
  if (creditLimitFen > 0 && productCodes.length === 0) fail(`${field}.productCodes`, 'must name at least one product when the grade lends');
  return {
    grade: text(o.grade, `${field}.grade`, 8),
    minScore: points(o.minScore, `${field}.minScore`),
    creditLimitFen,
    productCodes,
  };
}

/** Lowest and highest score the definition can produce. */
export function scorecardRange(def: Pick<ScorecardDefinition, 'baseScore' | 'features'>): { min: number; max: number } {
  let min = def.baseScore;
  let max = def.baseScore;
  for (const f of def.features) {
    const all = [f.missingPoints, ...f.bands.map((b) => b.points)];
    min += Math.min(...all);
    max += Math.max(...all);
  }
  return { min, max };
}

/** Validates a scorecard from JSON (ops API, config file) and returns a fresh copy; errors name the field path. */
export function parseScorecard(value: unknown, field = 'scorecard'): ScorecardDefinition {
  const o = record(value, field, ['version', 'description', 'baseScore', 'features', 'grades']);
  if (typeof o.version !== 'string' || !SCORECARD_VERSION_PATTERN.test(o.version)) {
    fail(`${field}.version`, 'must be 1 to 32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  const features = list(o.features, `${field}.features`, 1).map((f, i) => parseFeature(f, `${field}.features[${i}]`));
  features.forEach((f, i) => {
    if (features.findIndex((g) => g.feature === f.feature) !== i) fail(`${field}.features[${i}].feature`, `repeats ${f.feature}`);
  });
  const grades = list(o.grades, `${field}.grades`, 1).map((g, i) => parseGrade(g, `${field}.grades[${i}]`));
  grades.forEach((g, i) => {
    const prev = grades[i - 1];
    if (prev === undefined) return;
    if (grades.findIndex((x) => x.grade === g.grade) !== i) fail(`${field}.grades[${i}].grade`, `repeats ${g.grade}`);
    if (!(g.minScore < prev.minScore)) fail(`${field}.grades[${i}].minScore`, 'must be below the previous grade\'s minScore (highest grade first)');
    if (g.creditLimitFen > prev.creditLimitFen) fail(`${field}.grades[${i}].creditLimitFen`, 'must not exceed the limit of a better grade');
  });
  const def: ScorecardDefinition = {
    version: o.version,
    description: text(o.description, `${field}.description`, DESCRIPTION_MAX),
    baseScore: points(o.baseScore, `${field}.baseScore`),
    features,
    grades,
  };
  const lowest = scorecardRange(def).min;
  const last = grades[grades.length - 1]!;
  if (last.minScore > lowest) {
    fail(`${field}.grades[${grades.length - 1}].minScore`, `must be at most the lowest possible score ${lowest}, so every score gets a grade`);
  }
  return def;
}

// ---------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------

function bandOf(bands: readonly ScorecardBand[], value: number): ScorecardBand {
  const band = bands.find((b) => (b.min === null || value >= b.min) && (b.max === null || value < b.max));
  invariant(band !== undefined, 'scorecard bands must cover every value (was the definition parsed?)');
  return band;
}

export function scoreApplicant(def: ScorecardDefinition, features: FeatureVector): ScoreResult {
  const contributions: ScoreContribution[] = def.features.map((f) => {
    const value = features[f.feature];
    invariant(value === null || (typeof value === 'number' && Number.isFinite(value)), `feature ${f.feature} must be a finite number or null`);
    const bestPoints = Math.max(f.missingPoints, ...f.bands.map((b) => b.points));
    if (value === null) return { feature: f.feature, value, label: MISSING_LABEL, points: f.missingPoints, bestPoints };
    const band = bandOf(f.bands, value);
    return { feature: f.feature, value, label: band.label, points: band.points, bestPoints };
  });

  const score = def.baseScore + contributions.reduce((acc, c) => acc + c.points, 0);
  const grade = def.grades.find((g) => score >= g.minScore);
  invariant(grade !== undefined, `no grade for score ${score} (was the definition parsed?)`);

  // Stable sort keeps the definition's feature order among equal losses.
  const topReasons = def.features
    .map((f, i) => ({ feature: f.feature, reason: f.reason, pointsBelowBest: contributions[i]!.bestPoints - contributions[i]!.points }))
    .filter((r) => r.pointsBelowBest > 0)
    .sort((a, b) => b.pointsBelowBest - a.pointsBelowBest)
    .slice(0, TOP_REASONS_MAX);

  return {
    scorecardVersion: def.version,
    score,
    grade: grade.grade,
    creditLimitFen: grade.creditLimitFen,
    productCodes: [...grade.productCodes],
    contributions,
    topReasons,
  };
}
