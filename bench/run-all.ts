/**
 * Runs every benchmark in sequence, prints one table of each figure beside its raw baseline
 * and ratio, and writes bench/REPORT.md (table, date, machine, each benchmark's own output).
 * A benchmark that throws fails the run: the others still run, the errors are printed, the
 * exit code is 1 and REPORT.md is left as it was, so a partial report never replaces a full one.
 * Run: npm run bench
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './bench-result.js';
import { BENCH_DATABASE_URL, secondsSince, serverVersion } from './bench-database.js';
import { run as runBillingCharges } from './billing-charges.bench.js';
import { RESULTS_JSON_PREFIX } from './billing-response-file.bench.js';
import { run as runCloseOfBusiness } from './close-of-business.bench.js';
import { run as runCreditDecisions } from './credit-decisions.bench.js';
import { run as runPosCashRepayments } from './pos-cash-repayments.bench.js';
import { run as runLedger } from './ledger.bench.js';
import { describeRatio, formatFigure } from './print-results.js';
import { run as runSchedules } from './schedules.bench.js';

const REPORT_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'REPORT.md');
const BYTES_PER_GIB = 1024 ** 3;

interface Benchmark { file: string; run: () => Promise<BenchResult[]> }

const BENCHMARKS: readonly Benchmark[] = [
  { file: 'schedules.bench.ts', run: runSchedules },
  { file: 'ledger.bench.ts', run: runLedger },
  { file: 'close-of-business.bench.ts', run: runCloseOfBusiness },
  { file: 'billing-charges.bench.ts', run: runBillingCharges },
  { file: 'billing-response-file.bench.ts', run: () => runInOwnProcess('billing-response-file.bench.ts') },
  { file: 'credit-decisions.bench.ts', run: runCreditDecisions },
  { file: 'pos-cash-repayments.bench.ts', run: runPosCashRepayments },
];

/**
 * A benchmark that measures peak RSS runs in a process of its own, so the memory left
 * behind by the benchmarks before it does not count against it.
 */
function runInOwnProcess(file: string): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), file), '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = output.split('\n');
      for (const line of lines.filter((l) => !l.startsWith(RESULTS_JSON_PREFIX))) if (line) console.log(line);
      const json = lines.find((l) => l.startsWith(RESULTS_JSON_PREFIX));
      if (code !== 0 || !json) reject(new Error(`${file} exited with ${code}`));
      else resolve(JSON.parse(json.slice(RESULTS_JSON_PREFIX.length)) as BenchResult[]);
    });
  });
}

interface Outcome { file: string; seconds: number; results: BenchResult[]; log: string[]; error?: unknown }

/** Runs one benchmark, echoing and keeping what it prints for the report. */
async function runOne(benchmark: Benchmark): Promise<Outcome> {
  const log: string[] = [];
  const print = console.log;
  console.log = (...args: unknown[]) => {
    log.push(args.map(String).join(' '));
    print(...args);
  };
  print(`\n== ${benchmark.file}`);
  const started = process.hrtime.bigint();
  try {
    const results = await benchmark.run();
    return { file: benchmark.file, seconds: secondsSince(started), results, log };
  } catch (error) {
    return { file: benchmark.file, seconds: secondsSince(started), results: [], log, error };
  } finally {
    console.log = print;
  }
}

function tableRows(outcomes: readonly Outcome[]): string[][] {
  return outcomes.flatMap((o) => o.results.map((r) => [
    r.name, `${formatFigure(r.value)} ${r.unit}`, r.baselineName, `${formatFigure(r.baseline)} ${r.unit}`, describeRatio(r).replace(/^ratio /, ''),
  ]));
}

const HEADER = ['figure', 'value', 'raw baseline', 'baseline value', 'ratio (value / baseline)'];

function printTable(rows: readonly string[][]): void {
  const widths = HEADER.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ');
  console.log(`\n${line(HEADER)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));
}

async function machine(): Promise<string[]> {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} logical cores`,
    `- RAM: ${(os.totalmem() / BYTES_PER_GIB).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node.js: ${process.version}`,
    `- PostgreSQL: ${await serverVersion()} at ${new URL(BENCH_DATABASE_URL).host}`,
  ];
}

function report(outcomes: readonly Outcome[], machineLines: readonly string[], totalSeconds: number): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const rows = tableRows(outcomes).map((r) => `| ${r.map(escape).join(' | ')} |`);
  return [
    '# Benchmark report',
    '',
    `Generated by \`npm run bench\` on ${new Date().toISOString()} in ${totalSeconds.toFixed(0)} s.`,
    '',
    '## Machine',
    ...machineLines,
    '',
    '## Figures',
    'Each figure is measured beside a raw baseline in the same process and run. For throughput (`/s`),',
    'ratio = value / baseline (below 1: slower than the raw baseline). For times (`s`), ratio = value / baseline.',
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows,
    '',
    '## Output of each benchmark',
    ...outcomes.flatMap((o) => [`### ${o.file} (${o.seconds.toFixed(1)} s)`, '```', ...o.log, '```', '']),
  ].join('\n');
}

const started = process.hrtime.bigint();
const outcomes: Outcome[] = [];
for (const benchmark of BENCHMARKS) outcomes.push(await runOne(benchmark));
const totalSeconds = secondsSince(started);
printTable(tableRows(outcomes));
const failed = outcomes.filter((o) => o.error !== undefined);
if (failed.length > 0) {
  for (const o of failed) console.error(`\n${o.file} failed:`, o.error);
  console.error(`\n${failed.length} benchmark(s) failed; ${path.relative(process.cwd(), REPORT_PATH)} was not written`);
  process.exit(1);
}
writeFileSync(REPORT_PATH, report(outcomes, await machine(), totalSeconds));
console.log(`\nall benchmarks done in ${totalSeconds.toFixed(0)} s; wrote ${path.relative(process.cwd(), REPORT_PATH)}`);
