/**
 * Close of business over a loan book of 100,000 active loans.
 *
 * 1. Import: a generated JSON-lines book (one borrower per loan, valid GB 11643 ID numbers,
 *    products X001/Y001/Z001, CNY 1,000..20,000, start dates 2026-01-01..2026-03-31) goes
 *    through `importLoanBook`. Printed as loans/s beside a raw COPY of as many rows as the
 *    import wrote (borrowers, loans, transitions, installments, accounts, entries, postings,
 *    outbox: counted in the database), converted to loans/s.
 * 2. Close of business for 2026-05-20, when every loan has at least one installment past due
 *    and none has been repaid: interest accrual, overdue marking and penalty for all of them.
 *    Printed as rows/s beside a raw COPY of the same number of rows.
 * 3. The idempotent rerun for the same date, in seconds, beside the first run.
 * 4. The next night's run (2026-05-21), the steady state: a day of accrual and penalty.
 * Each close of business prints its slowest statements (timed around every query).
 *
 * Run: npx tsx bench/close-of-business.bench.ts
 */
import { pathToFileURL } from 'node:url';
import type { Database, Queryable } from '../src/db/database.js';
import { closeOfBusiness, type CloseOfBusinessSummary } from '../src/jobs/close-of-business.js';
import { importLoanBook } from '../src/loans/import-loan-book.js';
import { seedProductLibrary } from '../src/products/product-library.js';
import type { BenchResult } from './bench-result.js';
import { countRows, createScratchDatabase, secondsSince } from './bench-database.js';
import { copyBaselineSeconds } from './copy-baseline.js';
import { profiled, slowestStatements, totalStatementSeconds, type StatementProfile } from './instrumented-database.js';
import { printResults } from './print-results.js';
import { idNumberFromPrefix } from '../test/support/identities.js';
import { mulberry32 } from '../adapters/prng.js';

const LOANS = 100_000;
const BUSINESS_DATE = '2026-05-20';
/** The nightly run after it: one more day of accrual and penalty, few new overdue installments. */
const NEXT_BUSINESS_DATE = '2026-05-21';
const RATE_CEILING_PPM = 120_000;
const SEED = 0xc0b_2026;
const SLOWEST_STATEMENTS_SHOWN = 6;

const PRODUCT_CODES = ['X001', 'Y001', 'Z001'] as const;
const PRINCIPAL_YUAN_MIN = 1_000;
const PRINCIPAL_YUAN_MAX = 20_000;
const START_DATE_FIRST_MS = Date.UTC(2026, 0, 1);
const START_DATE_SPAN_DAYS = 90; // 2026-01-01 .. 2026-03-31
const CHANNEL_SETS = [['store_cash'], ['passbook'], ['phone_credit'], ['store_cash', 'phone_credit'], ['passbook', 'phone_credit']];
const REGIONS = ['110105', '310104', '330106', '420102', '431023', '510104', '520102', '610113', '130104', '370102'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
const GIVEN_NAMES = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛'];
const DAY_MS = 86_400_000;
/** Tables the import writes to; their row counts after the import are the rows it wrote. */
const IMPORT_TABLES = ['borrowers', 'loans', 'loan_transitions', 'installments', 'ledger_accounts', 'journal_entries', 'postings', 'outbox'];


const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A distinct, valid 18-character ID number per index: (birth day, sequence) never repeats below 100,000. */
function idNumber(i: number): string {
  const birth = isoDate(Date.UTC(1970, 0, 1) + Math.floor(i / 1000) * 113 * DAY_MS).replaceAll('-', '');
  return idNumberFromPrefix(`${REGIONS[i % REGIONS.length]}${birth}${String(i % 1000).padStart(3, '0')}`);
}

export function generateLoanBook(count: number, seed: number): string {
  const rand = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const yuan = PRINCIPAL_YUAN_MIN + Math.floor(rand() * (PRINCIPAL_YUAN_MAX - PRINCIPAL_YUAN_MIN + 1));
    lines[i] = JSON.stringify({
      borrowerName: pick(SURNAMES) + pick(GIVEN_NAMES) + (rand() < 0.6 ? pick(GIVEN_NAMES) : ''),
      idNumber: idNumber(i),
      mobile: `1${3 + (i % 7)}${String(i).padStart(9, '0')}`,
      productCode: pick(PRODUCT_CODES),
      principalFen: yuan * 100,
      startDate: isoDate(START_DATE_FIRST_MS + Math.floor(rand() * START_DATE_SPAN_DAYS) * DAY_MS),
      repaymentChannels: pick(CHANNEL_SETS),
      externalRef: `BENCH-BOOK-${i}`,
    });
  }
  return lines.join('\n');
}

async function rowsInTables(q: Queryable, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = await countRows(q, table);
  return counts;
}

function printWhereTimeGoes(label: string, seconds: number, profile: StatementProfile): void {
  const inSql = totalStatementSeconds(profile);
  console.log(`  ${label}: ${seconds.toFixed(2)} s total, ${inSql.toFixed(2)} s waiting on SQL, `
    + `${(seconds - inSql).toFixed(2)} s in this process (parsing, schedules, building parameters); slowest statements:`);
  for (const line of slowestStatements(profile, SLOWEST_STATEMENTS_SHOWN)) console.log(`    ${line}`);
}

interface ImportFigures { seconds: number; rowsWritten: number }

async function timeImport(db: Database, profile: StatementProfile): Promise<ImportFigures> {
  const book = generateLoanBook(LOANS, SEED);
  profile.clear();
  const started = process.hrtime.bigint();
  const result = await importLoanBook(db, book, 'bench');
  const seconds = secondsSince(started);
  if (result.imported !== LOANS) throw new Error(`imported ${result.imported} loans, expected ${LOANS}`);
  const counts = await rowsInTables(db, IMPORT_TABLES);
  const rowsWritten = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`import: ${LOANS} loans in ${seconds.toFixed(2)} s (${Math.round(LOANS / seconds).toLocaleString('en-US')} loans/s), `
    + `${rowsWritten.toLocaleString('en-US')} rows written: ${JSON.stringify(counts)}`);
  printWhereTimeGoes('import', seconds, profile);
  return { seconds, rowsWritten };
}

/** What close of business changed, counted from the database, not from its own summary. */
interface CobCounts { postings: number; entries: number; installmentsTouched: number; loansTouched: number }
interface CobBaseline { postings: number; entries: number }

/** Untimed: remembers every installment's and loan's mutable columns and the ledger row counts. */
async function snapshotBeforeCob(q: Queryable): Promise<CobBaseline> {
  await q.query(`DROP TABLE IF EXISTS bench_installments_before, bench_loans_before`);
  await q.query(`CREATE UNLOGGED TABLE bench_installments_before AS
    SELECT loan_id, number, status, interest_accrued_fen, penalty_fen, penalty_through_date FROM installments`);
  await q.query(`ALTER TABLE bench_installments_before ADD PRIMARY KEY (loan_id, number)`);
  await q.query(`CREATE UNLOGGED TABLE bench_loans_before AS SELECT id, status, days_past_due, bucket FROM loans`);
  return { postings: await countRows(q, 'postings'), entries: await countRows(q, 'journal_entries') };
}

async function countCobChanges(q: Queryable, before: CobBaseline): Promise<CobCounts> {
  const [inst] = await q.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM installments i
    JOIN bench_installments_before b USING (loan_id, number)
    WHERE (i.status, i.interest_accrued_fen, i.penalty_fen, i.penalty_through_date)
      IS DISTINCT FROM (b.status, b.interest_accrued_fen, b.penalty_fen, b.penalty_through_date)`);
  const [loans] = await q.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM loans l JOIN bench_loans_before b USING (id)
    WHERE (l.status, l.days_past_due, l.bucket) IS DISTINCT FROM (b.status, b.days_past_due, b.bucket)`);
  return {
    postings: (await countRows(q, 'postings')) - before.postings,
    entries: (await countRows(q, 'journal_entries')) - before.entries,
    installmentsTouched: inst!.n,
    loansTouched: loans!.n,
  };
}

async function assertLedgerBalances(q: Queryable): Promise<void> {
  const [row] = await q.query<{ total: number }>(`SELECT coalesce(sum(balance_fen), 0)::bigint AS total FROM ledger_accounts`);
  if (row!.total !== 0) throw new Error(`ledger does not balance after close of business: accounts sum to ${row!.total} fen`);
}

interface CobRun { date: string; seconds: number; rows: number; copySeconds: number; before: CobBaseline; changed: CobCounts }

/** One timed close of business, checked against the database and paired with its COPY baseline. */
async function timeCob(db: Database, profile: StatementProfile, url: string, date: string): Promise<CobRun> {
  const before = await snapshotBeforeCob(db);
  profile.clear();
  const started = process.hrtime.bigint();
  const summary = await closeOfBusiness(db, date);
  const seconds = secondsSince(started);
  if (summary.alreadyCompleted) throw new Error(`close of business ${date} reported already completed on its first run`);
  printWhereTimeGoes(`close of business ${date}`, seconds, profile);
  const changed = await countCobChanges(db, before);
  if (changed.entries !== summary.entriesPosted || changed.postings !== 2 * summary.entriesPosted) {
    throw new Error(`close of business ${date} summary says ${summary.entriesPosted} entries; `
      + `the database gained ${changed.entries} entries, ${changed.postings} postings`);
  }
  await assertLedgerBalances(db);
  // rows = postings written + installment rows changed, each installment counted once although
  // close of business may update it in up to three statements (accrual, overdue, penalty).
  // Journal entry headers, loans, loan transitions and outbox rows it also writes are printed
  // but left out of the figure, so it is not inflated.
  const rows = changed.postings + changed.installmentsTouched;
  console.log(`close of business ${date}: ${seconds.toFixed(2)} s; rows = ${changed.postings.toLocaleString('en-US')} postings + `
    + `${changed.installmentsTouched.toLocaleString('en-US')} installments changed = ${rows.toLocaleString('en-US')} `
    + `(also ${changed.entries.toLocaleString('en-US')} journal entries, ${changed.loansTouched.toLocaleString('en-US')} loans changed)`);
  console.log(`  summary: ${summaryLine(summary)}`);
  return { date, seconds, rows, copySeconds: await copyBaselineSeconds(url, rows), before, changed };
}

async function timeRerun(db: Database, run: CobRun): Promise<number> {
  const started = process.hrtime.bigint();
  const rerun = await closeOfBusiness(db, run.date);
  const seconds = secondsSince(started);
  const after = await countCobChanges(db, run.before);
  if (!rerun.alreadyCompleted || after.postings !== run.changed.postings || after.installmentsTouched !== run.changed.installmentsTouched) {
    throw new Error(`the rerun of close of business ${run.date} was not a no-op`);
  }
  console.log(`close of business rerun ${run.date}: ${(seconds * 1000).toFixed(1)} ms, nothing posted or changed`);
  return seconds;
}

function cobResult(run: CobRun, label: string): BenchResult {
  const value = run.rows / run.seconds;
  const baseline = run.rows / run.copySeconds;
  return {
    name: `closeOfBusiness ${run.date} ${label}, ${LOANS.toLocaleString('en-US')} loans (${run.rows.toLocaleString('en-US')} postings + installments)`,
    value,
    unit: 'rows/s',
    baseline,
    baselineName: `COPY of ${run.rows.toLocaleString('en-US')} 3-bigint rows`,
    ratio: value / baseline,
  };
}

export async function run(): Promise<BenchResult[]> {
  const scratch = await createScratchDatabase('cob');
  try {
    const { db, profile } = profiled(scratch.db);
    await seedProductLibrary(db, RATE_CEILING_PPM);
    const imported = await timeImport(db, profile);
    const importCopySeconds = await copyBaselineSeconds(scratch.url, imported.rowsWritten);
    // Autovacuum would have analysed the book long before a nightly run; do it now, untimed.
    await db.query('ANALYZE');
    const catchUp = await timeCob(db, profile, scratch.url, BUSINESS_DATE);
    const rerunSeconds = await timeRerun(db, catchUp);
    const nextDay = await timeCob(db, profile, scratch.url, NEXT_BUSINESS_DATE);

    const importLoansPerSecond = LOANS / imported.seconds;
    const copyLoansPerSecond = LOANS / importCopySeconds;
    return [
      {
        name: `importLoanBook, ${LOANS.toLocaleString('en-US')} loans (${imported.rowsWritten.toLocaleString('en-US')} rows written)`,
        value: importLoansPerSecond,
        unit: 'loans/s',
        baseline: copyLoansPerSecond,
        baselineName: `COPY of ${imported.rowsWritten.toLocaleString('en-US')} 3-bigint rows, as loans/s`,
        ratio: importLoansPerSecond / copyLoansPerSecond,
      },
      cobResult(catchUp, 'first run (catch-up: every loan newly overdue)'),
      {
        name: `closeOfBusiness ${BUSINESS_DATE} idempotent rerun`,
        value: rerunSeconds,
        unit: 's',
        baseline: catchUp.seconds,
        baselineName: 'first run',
        ratio: rerunSeconds / catchUp.seconds,
      },
      cobResult(nextDay, 'next day (steady state)'),
    ];
  } finally {
    await scratch.drop();
  }
}

function summaryLine(s: CloseOfBusinessSummary): string {
  return `${s.loansAccrued} loans accrued ${s.interestAccruedFen} fen, ${s.installmentsNewlyOverdue} installments / `
    + `${s.loansNewlyOverdue} loans newly overdue, ${s.loansPenalised} loans penalised ${s.penaltyChargedFen} fen, `
    + `${s.entriesPosted} entries, buckets ${JSON.stringify(s.buckets)}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printResults(await run());
}
