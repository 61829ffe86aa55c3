/**
 * Schedule throughput: buildSchedule over 1,000,000 random loans (mixed methods, terms
 * 1..36 months, principals CNY 1,000..200,000, rates 0..24%), against a raw baseline in the
 * same process: a naive float equal-principal loop (plain numbers, no dates, no validation,
 * no exact rounding). Run: npx tsx bench/schedules.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { REPAYMENT_METHODS, buildSchedule, type ScheduleTerms } from '../src/core/schedule.js';
import type { BenchResult } from './bench-result.js';
import { mulberry32 } from '../adapters/prng.js';

const LOANS = 1_000_000;
const SEED = 0x5eed_2016;
const START_DATES = ['2026-01-31', '2026-02-28', '2026-03-15', '2026-04-30', '2026-05-29', '2026-06-01'];


function generateLoans(count: number, seed: number): ScheduleTerms[] {
  const rand = mulberry32(seed);
  const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
  const loans: ScheduleTerms[] = new Array(count);
  for (let i = 0; i < count; i++) {
    loans[i] = {
      principalFen: int(100_000, 20_000_000),
      annualRatePpm: int(0, 240_000),
      termMonths: int(1, 36),
      method: REPAYMENT_METHODS[int(0, REPAYMENT_METHODS.length - 1)]!,
      startDate: START_DATES[int(0, START_DATES.length - 1)]!,
    };
  }
  return loans;
}

interface NaiveRow { number: number; principal: number; interest: number; total: number }

/** The raw baseline: equal principal in floats, the way one would write it without care. */
function naiveEqualPrincipal(t: ScheduleTerms): NaiveRow[] {
  const rows: NaiveRow[] = [];
  const part = t.principalFen / t.termMonths;
  const monthly = t.annualRatePpm / 1_000_000 / 12;
  let balance = t.principalFen;
  for (let k = 1; k <= t.termMonths; k++) {
    const interest = balance * monthly;
    rows.push({ number: k, principal: part, interest, total: part + interest });
    balance -= part;
  }
  return rows;
}

/** Schedules per second for `build` over all loans; the checksum keeps the work observable. */
function measure(loans: readonly ScheduleTerms[], build: (t: ScheduleTerms) => readonly unknown[]): { perSecond: number; checksum: number } {
  let checksum = 0;
  const started = process.hrtime.bigint();
  for (const loan of loans) checksum += build(loan).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: loans.length / seconds, checksum };
}

export async function run(): Promise<BenchResult[]> {
  const loans = generateLoans(LOANS, SEED);
  const warmup = loans.slice(0, 50_000);
  measure(warmup, buildSchedule);
  measure(warmup, naiveEqualPrincipal);
  const exact = measure(loans, buildSchedule);
  const naive = measure(loans, naiveEqualPrincipal);
  if (exact.checksum <= 0 || naive.checksum <= 0) throw new Error('benchmark produced no installments');
  return [
    {
      name: 'buildSchedule (exact, validated, mixed methods, terms 1..36)',
      value: exact.perSecond,
      unit: 'schedules/s',
      baseline: naive.perSecond,
      baselineName: 'naive float equal_principal (no dates, no validation)',
      ratio: exact.perSecond / naive.perSecond,
    },
  ];
}

function print(results: readonly BenchResult[]): void {
  for (const r of results) {
    const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
    console.log(`${r.name}: ${fmt(r.value)} ${r.unit}`);
    console.log(`  baseline ${r.baselineName}: ${fmt(r.baseline)} ${r.unit}`);
    console.log(`  ratio ${r.ratio.toFixed(3)} (${(1 / r.ratio).toFixed(1)}x slower than the raw baseline)`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  print(await run());
}
