import type { BenchResult } from './bench-result.js';

/** Whole numbers with separators for large figures; three significant digits for small ones. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function describeRatio(r: BenchResult): string {
  const higherIsBetter = r.unit.endsWith('/s');
  if (!higherIsBetter) return `ratio ${r.ratio.toPrecision(2)} (${formatFigure(1 / r.ratio)}x less than the baseline)`;
  return `ratio ${r.ratio.toFixed(3)} (${(1 / r.ratio).toFixed(1)}x slower than the raw baseline)`;
}

export function printResults(results: readonly BenchResult[]): void {
  for (const r of results) {
    console.log(`${r.name}: ${formatFigure(r.value)} ${r.unit}`);
    console.log(`  baseline ${r.baselineName}: ${formatFigure(r.baseline)} ${r.unit}`);
    console.log(`  ${describeRatio(r)}`);
  }
}
