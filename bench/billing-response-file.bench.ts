/**
 * A 1,000,000-line deduction response file (DEDRSP, FORMAT.md) on disk, ingested by
 * ingestBillingFile: read as a stream, every record validated, checksummed, COPY-ed into
 * staging, checked set-based against deduction_attempts and earlier files, inserted into
 * billing_response_lines. Measured twice on the same file and database:
 *
 * 1. ingestion alone;
 * 2. ingestion with the ledger posting plugged in (onApplied = applyDeductionResponses):
 *    every charged line becomes a repayment, a journal entry and attempt updates.
 *
 * The data: 100,000 imported loans (importLoanBook, real schedules and accounts), 1,000,000
 * deduction attempts made set-based with generate_series (10 per loan, CNY 20 each), and a
 * response mix of 60% OK, 5% PARTIAL, 30% INSUFFICIENT, 5% SUSPENDED / UNKNOWN_SUBSCRIBER /
 * REFUSED / ERROR. The seeding and the file generation run in a child process, so the
 * measuring process starts at its baseline. Peak RSS is sampled every 50 ms during each
 * run; ingestion must stay under 300 MB (a run over it fails the benchmark), the posting
 * run's peak is printed and flagged. The raw baseline, in the same run: PostgreSQL COPY of
 * the same file's bytes into a bare one-column table (no parsing, no types, no checks).
 * Run: npx tsx bench/billing-response-file.bench.ts
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { formatDeductionResponseFile, type DeductionResponseDetail, type DeductionResultCode } from '../adapters/billing/batch-file-format.js';
import { batchFileReaderPort } from '../adapters/billing/batch-file-reader.js';
import { applyDeductionResponses } from '../src/billing/apply-deduction-results.js';
import { ingestBillingFile, type IngestResult, type OnBillingFileApplied } from '../src/billing/ingest-batch-file.js';
import { openPostgres, type Database } from '../src/db/database.js';
import { importLoanBook } from '../src/loans/import-loan-book.js';
import { seedProductLibrary } from '../src/products/product-library.js';
import type { BenchResult } from './bench-result.js';
import { createScratchDatabase, secondsSince } from './bench-database.js';
import { generateLoanBook } from './close-of-business.bench.js';
import { profiled, slowestStatements, totalStatementSeconds, type StatementProfile } from './instrumented-database.js';
import { printResults } from './print-results.js';

const LINES = 1_000_000;
const LOANS = 100_000;
const LOAN_BOOK_SEED = 0xb111_2026;
const DUE_FEN = 2_000;
const PARTIAL_FEN = 800;
const BUSINESS_DATE = '2026-04-15';
/** High enough that no INSUFFICIENT line sends its installment to collections here. */
const ATTEMPTS_MAX = 100;
const FILE_ID = 'BENCH20260415';
const FILE_NAME = `DEDRSP_${FILE_ID}.txt`;
const RATE_CEILING_PPM = 120_000;
const RSS_SAMPLE_INTERVAL_MS = 50;
const RSS_LIMIT_BYTES = 300 * 1024 * 1024;
const BYTES_PER_MB = 1024 * 1024;
const RAW_TABLE = 'bench_raw_response_lines';
const CONNECT_TIMEOUT_MS = 10_000;
const SLOWEST_STATEMENTS_SHOWN = 6;
/** Set in the child process that seeds the database and writes the file: {"url", "file"}. */
const SEED_CHILD_ENV = 'BENCH_BILLING_RESPONSE_SEED';

const msisdnOf = (i: number): string => `139${String(i % 100_000_000).padStart(8, '0')}`;

/** Line i's result: 12 in 20 OK, 1 PARTIAL, 6 INSUFFICIENT, 1 of the refusals in turn. */
function resultOf(i: number): [DeductionResultCode, number] {
  const slot = i % 20;
  if (slot < 12) return ['OK', DUE_FEN];
  if (slot === 12) return ['PARTIAL', PARTIAL_FEN];
  if (slot < 19) return ['INSUFFICIENT', 0];
  const refusals: DeductionResultCode[] = ['SUSPENDED', 'UNKNOWN_SUBSCRIBER', 'REFUSED', 'ERROR'];
  return [refusals[Math.floor(i / 20) % refusals.length]!, 0];
}

function* responseDetails(): Generator<DeductionResponseDetail> {
  for (let i = 0; i < LINES; i++) {
    const [resultCode, chargedFen] = resultOf(i);
    yield { referenceCode: `B${i}`, msisdn: msisdnOf(i), requestedFen: DUE_FEN, chargedFen, resultCode };
  }
}

async function writeResponseFile(file: string): Promise<number> {
  const totals = { recordCount: 0, amountTotalFen: 0 };
  const header = { fileId: FILE_ID, businessDate: BUSINESS_DATE, createdAt: '2026-04-15T09:30:00+08:00', sender: 'CARRIER' };
  await pipeline(Readable.from(formatDeductionResponseFile(header, responseDetails(), totals)), createWriteStream(file));
  return totals.amountTotalFen;
}

/** The loans and, set-based, one requested_in_file attempt per response line (line i ↔ reference B<i>). */
async function seed(db: Database): Promise<void> {
  await seedProductLibrary(db, RATE_CEILING_PPM);
  const imported = await importLoanBook(db, generateLoanBook(LOANS, LOAN_BOOK_SEED), 'bench');
  if (imported.imported !== LOANS) throw new Error(`imported ${imported.imported} loans, expected ${LOANS}`);
  await db.query(`
    WITH l AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM loans)
    INSERT INTO deduction_attempts (loan_id, installment_number, attempt_no, trigger, reference_code, msisdn, plan, due_fen, status)
    SELECT l.id, 1, 1 + g / $2, 'schedule', 'B' || g, '139' || lpad((g % 100000000)::text, 8, '0'), 'prepaid', $3, 'requested_in_file'
    FROM generate_series(0, $1 - 1) AS g JOIN l ON l.k = g % $2`, [LINES, LOANS, DUE_FEN]);
  await db.query('ANALYZE deduction_attempts');
}

/** Highest resident set size seen, sampled every RSS_SAMPLE_INTERVAL_MS. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, RSS_SAMPLE_INTERVAL_MS);
  return { stop: () => { clearInterval(timer); return Math.max(peak, process.memoryUsage().rss); } };
}

interface Run { seconds: number; startRss: number; peakRss: number; result: IngestResult }

async function timeIngest(db: Database, file: string, onApplied?: OnBillingFileApplied): Promise<Run> {
  // Garbage of the run before must not count against this one (run-all passes --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const startRss = process.memoryUsage().rss;
  const sampler = rssSampler();
  const started = process.hrtime.bigint();
  const result = await ingestBillingFile(db, { kind: 'deduction_response', fileName: FILE_NAME, source: createReadStream(file), reader: batchFileReaderPort, onApplied });
  const seconds = secondsSince(started);
  const peakRss = sampler.stop();
  if (result.status !== 'applied' || result.lines !== LINES) throw new Error(`ingestion ended ${JSON.stringify(result)}`);
  return { seconds, startRss, peakRss, result };
}

/** Seconds to COPY the file's bytes, one line per row, into a bare text table. */
async function rawCopySeconds(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${RAW_TABLE}`);
    await client.query(`CREATE TABLE ${RAW_TABLE} (line text NOT NULL)`);
    const started = process.hrtime.bigint();
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY ${RAW_TABLE} (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')`)));
    const seconds = secondsSince(started);
    const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${RAW_TABLE}`);
    const rows = Number(counted.rows[0]!.n);
    if (rows !== LINES + 2) throw new Error(`raw COPY wrote ${rows} rows, expected ${LINES + 2}`);
    return seconds;
  } finally {
    await client.end();
  }
}

/** The ledger posting of run 2 must have turned exactly the charged lines into repayments. */
async function checkPosted(db: Database, fileDbId: number): Promise<void> {
  const [charged] = await db.query<{ n: number; fen: number }>(
    'SELECT count(*)::bigint AS n, coalesce(sum(charged_fen), 0)::bigint AS fen FROM billing_response_lines WHERE file_id = $1 AND charged_fen > 0', [fileDbId]);
  const [repaid] = await db.query<{ n: number; fen: number }>(`SELECT count(*)::bigint AS n, coalesce(sum(amount_fen), 0)::bigint AS fen FROM repayments WHERE channel = 'phone_credit'`);
  if (repaid!.n !== charged!.n || repaid!.fen !== charged!.fen) {
    throw new Error(`posted ${repaid!.n} repayments (${repaid!.fen} fen) for ${charged!.n} charged lines (${charged!.fen} fen)`);
  }
  const [open] = await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM deduction_attempts WHERE status = 'requested_in_file'`);
  if (open!.n !== 0) throw new Error(`${open!.n} attempts are still waiting for their result`);
}

const mb = (bytes: number): string => `${(bytes / BYTES_PER_MB).toFixed(0)} MB`;

function describeRun(label: string, run: Run, bytes: number): void {
  const over = run.peakRss > RSS_LIMIT_BYTES ? ` — OVER THE ${mb(RSS_LIMIT_BYTES)} LIMIT` : '';
  console.log(`${label}: ${LINES.toLocaleString('en-US')} lines (${(bytes / BYTES_PER_MB).toFixed(1)} MB) in ${run.seconds.toFixed(2)} s, `
    + `${Math.round(LINES / run.seconds).toLocaleString('en-US')} lines/s, peak RSS ${mb(run.peakRss)} (${mb(run.startRss)} at the start)${over}`);
}

/** Where the time went: statements (timed one by one); the rest is reading, validating and COPY. */
function printSlowest(profile: StatementProfile, seconds: number): void {
  console.log(`  ${totalStatementSeconds(profile).toFixed(2)} s of ${seconds.toFixed(2)} s in statements other than the COPY; slowest:`);
  for (const line of slowestStatements(profile, SLOWEST_STATEMENTS_SHOWN)) console.log(`    ${line}`);
}

/** Seeds the scratch database and writes the file in a child process, whose memory is gone when it exits. */
async function seedInChild(url: string, file: string): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, [SEED_CHILD_ENV]: JSON.stringify({ url, file }) }, stdio: 'inherit' });
  const [code] = await once(child, 'exit') as [number | null];
  if (code !== 0) throw new Error(`the seeding process exited with ${code}`);
}

async function seedChildMain(url: string, file: string): Promise<void> {
  const db = openPostgres(url);
  try {
    await seed(db);
    const totalFen = await writeResponseFile(file);
    console.log(`file: ${FILE_NAME}, ${LINES.toLocaleString('en-US')} details (${(statSync(file).size / BYTES_PER_MB).toFixed(1)} MB), `
      + `${totalFen.toLocaleString('en-US')} fen charged; ${LOANS.toLocaleString('en-US')} loans, ${LINES.toLocaleString('en-US')} attempts`);
  } finally {
    await db.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-billing-response-'));
  const scratch = await createScratchDatabase('billing_response');
  try {
    const file = path.join(dir, FILE_NAME);
    await seedInChild(scratch.url, file);
    const bytes = statSync(file).size;

    const { db: timedDb, profile } = profiled(scratch.db);
    const alone = await timeIngest(timedDb, file);
    describeRun('ingest (no posting)', alone, bytes);
    printSlowest(profile, alone.seconds);
    if (alone.peakRss > RSS_LIMIT_BYTES) throw new Error(`ingestion peaked at ${mb(alone.peakRss)} RSS, over the ${mb(RSS_LIMIT_BYTES)} limit`);
    // Forget run 1 so the same file is new again for run 2 (its attempts were left untouched).
    await scratch.db.query('DELETE FROM billing_response_lines');
    await scratch.db.query('DELETE FROM billing_files');

    let summary = '';
    profile.clear();
    const posted = await timeIngest(timedDb, file, async (tx, fileDbId) => {
      summary = JSON.stringify(await applyDeductionResponses(tx, fileDbId, BUSINESS_DATE, ATTEMPTS_MAX));
    });
    describeRun('ingest + applyDeductionResponses', posted, bytes);
    console.log(`  posting summary: ${summary}`);
    printSlowest(profile, posted.seconds);
    await checkPosted(scratch.db, posted.result.fileDbId);

    const rawSeconds = await rawCopySeconds(scratch.url, file);
    const raw = LINES / rawSeconds;
    console.log(`raw COPY of the same file into a bare text table: ${rawSeconds.toFixed(2)} s, ${Math.round(raw).toLocaleString('en-US')} lines/s`);
    const baselineName = 'raw COPY of the same file into a bare one-column table';
    return [
      { name: 'ingestBillingFile, 1,000,000-line response file (stream, validate, COPY, checks, insert)', value: LINES / alone.seconds, unit: 'lines/s', baseline: raw, baselineName, ratio: LINES / alone.seconds / raw },
      { name: 'ingestBillingFile + applyDeductionResponses (ledger posting), same file', value: LINES / posted.seconds, unit: 'lines/s', baseline: raw, baselineName, ratio: LINES / posted.seconds / raw },
    ];
  } finally {
    await scratch.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const RESULTS_JSON_PREFIX = 'BENCH_RESULTS_JSON ';

const seedChild = process.env[SEED_CHILD_ENV];
if (seedChild !== undefined) {
  const { url, file } = JSON.parse(seedChild) as { url: string; file: string };
  await seedChildMain(url, file);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await run();
  printResults(results);
  // run-all starts this benchmark in a process of its own so its RSS is its own; it reads this line.
  if (process.argv.includes('--json')) console.log(`${RESULTS_JSON_PREFIX}${JSON.stringify(results)}`);
}
