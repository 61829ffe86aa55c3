/**
 * Ledger posting throughput: journal entries per second from 8 concurrent clients, each a
 * loop of `db.transaction(tx => postEntry(tx, draft))` with unique idempotency keys and
 * 2-4 postings spread over 1,000 loans' accounts plus a few shared platform accounts.
 *
 * Raw baseline, same script, same tables, same 8-way concurrency on a bare pg.Pool: one
 * transaction per iteration of BEGIN; INSERT one journal_entries row; INSERT one postings
 * row; UPDATE one (random loan) ledger account's balance; COMMIT. No balancing, no
 * idempotency check, no account upsert, no fingerprint.
 *
 * Both loops write fresh rows (postings and entries are immutable, so nothing is cleaned up
 * by deleting); the scratch database is dropped at the end.
 * Run: npx tsx bench/ledger.bench.ts
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { accountCode, loanAccount, platformAccount, type AccountRef, type JournalEntryDraft } from '../src/core/journal-entry.js';
import type { Database, Queryable } from '../src/db/database.js';
import { postEntry } from '../src/ledger/post-entries.js';
import type { BenchResult } from './bench-result.js';
import { countRows, createScratchDatabase, secondsSince } from './bench-database.js';
import { printResults } from './print-results.js';
import { mulberry32 } from '../adapters/prng.js';

const CLIENTS = 8;
const LOANS = 1_000;
const ENTRIES = 20_000;
const RAW_TRANSACTIONS = 20_000;
const WARMUP_PER_CLIENT = 50;
const BUSINESS_DATE = '2026-05-20';
const SEED = 0x1ed9e5;
const RAW_POOL_STATEMENT_TIMEOUT_MS = 60_000;

const LOAN_PURPOSES = ['loan_principal', 'interest_receivable', 'penalty_receivable', 'fee_receivable'] as const;
const CUSTODY_CASH: AccountRef = { ownerType: 'bank', ownerId: 'custody', purpose: 'custody_bank_cash' };
const CARRIER_RECEIVABLE: AccountRef = { ownerType: 'carrier', ownerId: 'billing', purpose: 'carrier_billing_receivable' };
const SHARED_ACCOUNTS: readonly AccountRef[] = [
  CUSTODY_CASH, CARRIER_RECEIVABLE, platformAccount('interest_income'), platformAccount('fee_income'), platformAccount('penalty_income'),
];


/** Every account the drafts use exists before timing starts, for both loops alike. */
async function createAccounts(db: Database): Promise<number[]> {
  const codes = SHARED_ACCOUNTS.map(accountCode);
  for (let loan = 1; loan <= LOANS; loan++) for (const purpose of LOAN_PURPOSES) codes.push(accountCode(loanAccount(loan, purpose)));
  await db.query(`INSERT INTO ledger_accounts (code, owner_type, owner_id, purpose)
    SELECT code, split_part(code, ':', 1), split_part(code, ':', 2), split_part(code, ':', 3) FROM unnest($1::text[]) AS t(code)`, [codes]);
  const rows = await db.query<{ id: number }>(`SELECT id FROM ledger_accounts WHERE owner_type = 'loan' ORDER BY id`);
  return rows.map((r) => r.id);
}

/** A 2-, 3- or 4-line entry on one random loan and one or two shared accounts. */
function draftFor(key: string, rand: () => number): JournalEntryDraft {
  const loan = 1 + Math.floor(rand() * LOANS);
  const amount = 100 + Math.floor(rand() * 1_000_000);
  const base = { idempotencyKey: key, businessRef: `bench:loan:${loan}`, businessDate: BUSINESS_DATE };
  const shape = Math.floor(rand() * 3);
  if (shape === 0) {
    return { ...base, kind: 'interest_accrual', lines: [
      { account: loanAccount(loan, 'interest_receivable'), amountFen: amount },
      { account: platformAccount('interest_income'), amountFen: -amount },
    ] };
  }
  if (shape === 1) {
    const interest = 1 + Math.floor(amount / 10);
    return { ...base, kind: 'repayment', lines: [
      { account: rand() < 0.5 ? CUSTODY_CASH : CARRIER_RECEIVABLE, amountFen: amount + interest },
      { account: loanAccount(loan, 'loan_principal'), amountFen: -amount },
      { account: loanAccount(loan, 'interest_receivable'), amountFen: -interest },
    ] };
  }
  const fee = 1 + Math.floor(amount / 50);
  return { ...base, kind: 'disbursement', lines: [
    { account: loanAccount(loan, 'loan_principal'), amountFen: amount },
    { account: CUSTODY_CASH, amountFen: -amount },
    { account: loanAccount(loan, 'fee_receivable'), amountFen: fee },
    { account: platformAccount('fee_income'), amountFen: -fee },
  ] };
}

/** Runs `total` iterations spread over CLIENTS concurrent loops; returns seconds. */
async function concurrently(total: number, iteration: (client: number, n: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = next++; n < total; n = next++) await iteration(client, n);
  }));
  return secondsSince(started);
}

async function ledgerLoop(db: Database, label: string, total: number): Promise<{ seconds: number; postings: number }> {
  const rands = Array.from({ length: CLIENTS }, (_, c) => mulberry32(SEED + c + label.length * 101));
  let postings = 0;
  const seconds = await concurrently(total, async (client, n) => {
    const draft = draftFor(`bench:${label}:${n}`, rands[client]!);
    postings += draft.lines.length;
    const posted = await db.transaction((tx) => postEntry(tx, draft));
    if (posted.duplicate) throw new Error(`entry ${draft.idempotencyKey} was reported as a duplicate`);
  });
  return { seconds, postings };
}

async function rawLoop(pool: pg.Pool, accountIds: readonly number[], label: string, total: number): Promise<number> {
  const rands = Array.from({ length: CLIENTS }, (_, c) => mulberry32(SEED ^ (c + 7919)));
  return concurrently(total, async (clientIndex, n) => {
    const rand = rands[clientIndex]!;
    const accountId = accountIds[Math.floor(rand() * accountIds.length)]!;
    const amount = 100 + Math.floor(rand() * 1_000_000);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const entry = await client.query<{ id: string }>(
        `INSERT INTO journal_entries (idempotency_key, fingerprint, kind, business_ref, business_date)
         VALUES ($1, 'raw', 'raw', $2, $3) RETURNING id`, [`raw:${label}:${n}`, `raw:${n}`, BUSINESS_DATE]);
      await client.query(`INSERT INTO postings (entry_id, account_id, amount_fen) VALUES ($1, $2, $3)`,
        [entry.rows[0]!.id, accountId, amount]);
      await client.query(`UPDATE ledger_accounts SET balance_fen = balance_fen + $2 WHERE id = $1`, [accountId, amount]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  });
}

/** The ledger loop must leave a ledger that balances and whose balances equal its postings. */
async function assertLedgerConsistent(q: Queryable, expectedEntries: number): Promise<void> {
  const entries = await countRows(q, 'journal_entries');
  if (entries !== expectedEntries) throw new Error(`expected ${expectedEntries} journal entries, found ${entries}`);
  const [check] = await q.query<{ total: number; mismatched: number }>(`
    SELECT (SELECT coalesce(sum(balance_fen), 0)::bigint FROM ledger_accounts) AS total,
           (SELECT count(*)::int FROM ledger_accounts a
              LEFT JOIN (SELECT account_id, sum(amount_fen) AS s FROM postings GROUP BY account_id) p ON p.account_id = a.id
             WHERE a.balance_fen <> coalesce(p.s, 0)) AS mismatched`);
  if (check!.total !== 0 || check!.mismatched !== 0) {
    throw new Error(`ledger inconsistent after benchmark: balances sum to ${check!.total}, ${check!.mismatched} accounts differ from their postings`);
  }
}

async function deadlocks(q: Queryable): Promise<number> {
  const [row] = await q.query<{ n: number }>(`SELECT deadlocks::bigint AS n FROM pg_stat_database WHERE datname = current_database()`);
  return row?.n ?? 0;
}

export async function run(): Promise<BenchResult[]> {
  const scratch = await createScratchDatabase('ledger');
  const raw = new pg.Pool({ connectionString: scratch.url, max: CLIENTS, statement_timeout: RAW_POOL_STATEMENT_TIMEOUT_MS });
  // Dropping the scratch database terminates any connection still open; that is expected, not a crash.
  raw.on('error', () => undefined);
  try {
    const { db } = scratch;
    const accountIds = await createAccounts(db);
    await ledgerLoop(db, 'warmup', WARMUP_PER_CLIENT * CLIENTS);
    const deadlocksBefore = await deadlocks(db);
    const ledger = await ledgerLoop(db, 'measured', ENTRIES);
    const deadlocksDuring = (await deadlocks(db)) - deadlocksBefore;
    // Checked before the raw loop, whose single-posting rows are deliberately unbalanced.
    await assertLedgerConsistent(db, WARMUP_PER_CLIENT * CLIENTS + ENTRIES);
    await rawLoop(raw, accountIds, 'warmup', WARMUP_PER_CLIENT * CLIENTS);
    const rawSeconds = await rawLoop(raw, accountIds, 'measured', RAW_TRANSACTIONS);
    const ledgerTps = ENTRIES / ledger.seconds;
    const rawTps = RAW_TRANSACTIONS / rawSeconds;
    console.log(`ledger: ${ENTRIES} entries (${ledger.postings} postings) in ${ledger.seconds.toFixed(2)} s, `
      + `${CLIENTS} clients, ${deadlocksDuring} deadlocks retried; raw: ${RAW_TRANSACTIONS} transactions in ${rawSeconds.toFixed(2)} s`);
    return [{
      name: `postEntry, ${CLIENTS} clients, 2-4 postings over ${LOANS} loans + shared platform accounts`,
      value: ledgerTps,
      unit: 'entries/s',
      baseline: rawTps,
      baselineName: `raw pg txn loop, ${CLIENTS} clients (INSERT entry; INSERT 1 posting; UPDATE 1 loan account)`,
      ratio: ledgerTps / rawTps,
    }];
  } finally {
    await raw.end().catch(() => undefined);
    await scratch.drop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printResults(await run());
}
