import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/domain-error.js';
import { accountCode, loanAccount, platformAccount, type AccountRef, type JournalEntryDraft } from '../../src/core/journal-entry.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { postEntries, postEntry, postStagedEntries } from '../../src/ledger/post-entries.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const CUSTODY: AccountRef = { ownerType: 'bank', ownerId: 'custody', purpose: 'custody_bank_cash' };

function draft(key: string, lines: [AccountRef, number][], overrides: Partial<JournalEntryDraft> = {}): JournalEntryDraft {
  return {
    idempotencyKey: key, kind: 'test', businessRef: `ref-${key}`, businessDate: '2026-01-15',
    lines: lines.map(([account, amountFen]) => ({ account, amountFen })), ...overrides,
  };
}

/** Everything the ledger holds, for before/after comparisons. */
async function ledgerSnapshot(q: Queryable): Promise<unknown> {
  return {
    entries: await q.query(`SELECT id, idempotency_key, fingerprint, kind, business_ref, business_date FROM journal_entries ORDER BY id`),
    postings: await q.query(`SELECT id, entry_id, account_id, amount_fen FROM postings ORDER BY id`),
    accounts: await q.query(`SELECT id, code, balance_fen FROM ledger_accounts ORDER BY id`),
  };
}

async function balanceOf(q: Queryable, account: AccountRef): Promise<number | undefined> {
  const [row] = await q.query<{ balance_fen: number }>(`SELECT balance_fen FROM ledger_accounts WHERE code = $1`, [accountCode(account)]);
  return row?.balance_fen;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('ledger posting', () => {
  let t: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    t = await createTestDatabase();
    db = t.db;
  });
  afterAll(async () => { await t.drop(); });

  it('(a) 20 concurrent posts of one idempotency key post exactly once and all callers get the same entry id', async () => {
    const principal = loanAccount(9001, 'loan_principal');
    const entry = draft('concurrent-1', [[principal, 123_456], [CUSTODY, -123_456]]);
    const custodyBefore = (await balanceOf(db, CUSTODY)) ?? 0;
    const results = await Promise.all(Array.from({ length: 20 }, () => db.transaction((tx) => postEntry(tx, entry))));
    const ids = new Set(results.map((r) => r.entryId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(19);
    const entries = await db.query<{ id: number }>(`SELECT id FROM journal_entries WHERE idempotency_key = 'concurrent-1'`);
    expect(entries).toEqual([{ id: [...ids][0] }]);
    const [postings] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM postings WHERE entry_id = $1`, [entries[0]!.id]);
    expect(postings!.n).toBe(2);
    expect(await balanceOf(db, principal)).toBe(123_456);
    expect(await balanceOf(db, CUSTODY)).toBe(custodyBefore - 123_456);
    const tb = await trialBalance(db);
    expect(tb.totalFen).toBe(0);
    expect(tb.mismatchedAccounts).toEqual([]);
  });

  it('(a) concurrent posts whose accounts already exist also post once', async () => {
    const entry = draft('concurrent-2', [[loanAccount(9001, 'loan_principal'), 1_000], [CUSTODY, -1_000]]);
    const before = await balanceOf(db, loanAccount(9001, 'loan_principal'));
    const results = await Promise.all(Array.from({ length: 20 }, () => db.transaction((tx) => postEntry(tx, entry))));
    expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
    expect(await balanceOf(db, loanAccount(9001, 'loan_principal'))).toBe(before! + 1_000);
    const [n] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = 'concurrent-2'`);
    expect(n!.n).toBe(1);
  });

  it('concurrent entries sharing accounts all post, without a deadlock or a retry', async () => {
    const custodyBefore = (await balanceOf(db, CUSTODY)) ?? 0;
    const incomeBefore = (await balanceOf(db, platformAccount('fee_income'))) ?? 0;
    let attempts = 0;
    const results = await Promise.all(Array.from({ length: 40 }, (_, k) => db.transaction((tx) => {
      attempts += 1;
      const loan = 9600 + (k % 5);
      return postEntry(tx, draft(`shared-${k}`, [
        [loanAccount(loan, 'loan_principal'), 100], [loanAccount(loan, 'fee_receivable'), 3],
        [CUSTODY, -100], [platformAccount('fee_income'), -3],
      ]));
    })));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    // A deadlock (40P01) makes db.transaction run the callback again.
    expect(attempts).toBe(40);
    expect(await balanceOf(db, CUSTODY)).toBe(custodyBefore - 4_000);
    expect(await balanceOf(db, platformAccount('fee_income'))).toBe(incomeBefore - 120);
    for (let loan = 9600; loan < 9605; loan += 1) expect(await balanceOf(db, loanAccount(loan, 'loan_principal'))).toBe(800);
  });

  it('posting the same key again later returns the first entry and writes nothing, whatever the line order', async () => {
    const a = loanAccount(9002, 'interest_receivable');
    const first = await postEntry(db, draft('repeat-1', [[a, 500], [platformAccount('interest_income'), -500]]));
    expect(first.duplicate).toBe(false);
    const before = await ledgerSnapshot(db);
    const again = await postEntry(db, draft('repeat-1', [[platformAccount('interest_income'), -500], [a, 500]], { businessRef: 'other' }));
    expect(again).toEqual({ idempotencyKey: 'repeat-1', entryId: first.entryId, duplicate: true });
    expect(await ledgerSnapshot(db)).toEqual(before);
  });

  it('(b) the same key with different postings is refused with LEDGER_IDEMPOTENCY_CONFLICT and nothing changes', async () => {
    const a = loanAccount(9003, 'loan_principal');
    await postEntry(db, draft('conflict-1', [[a, 700], [CUSTODY, -700]]));
    const before = await ledgerSnapshot(db);
    for (const lines of [
      [[a, 701], [CUSTODY, -701]],
      [[loanAccount(9004, 'loan_principal'), 700], [CUSTODY, -700]],
      [[a, 300], [a, 400], [CUSTODY, -700]],
    ] as [AccountRef, number][][]) {
      const error = await errorOf(db.transaction((tx) => postEntry(tx, draft('conflict-1', lines))));
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('LEDGER_IDEMPOTENCY_CONFLICT');
    }
    // In a batch, the conflicting entry takes the new one down with it.
    const error = await errorOf(db.transaction((tx) => postEntries(tx, [
      draft('conflict-new', [[loanAccount(9005, 'loan_principal'), 10], [CUSTODY, -10]]),
      draft('conflict-1', [[a, 1], [CUSTODY, -1]]),
    ])));
    expect((error as DomainError).code).toBe('LEDGER_IDEMPOTENCY_CONFLICT');
    expect(await ledgerSnapshot(db)).toEqual(before);
  });

  it('(c) an unbalanced entry is refused with LEDGER_UNBALANCED and nothing is written, not even its accounts', async () => {
    const before = await ledgerSnapshot(db);
    const fresh = loanAccount(9100, 'loan_principal');
    for (const lines of [
      [[fresh, 100], [CUSTODY, -99]],
      [[fresh, 100]],
      [[fresh, 100], [CUSTODY, -100], [loanAccount(9100, 'fee_receivable'), 0]],
    ] as [AccountRef, number][][]) {
      const error = await errorOf(db.transaction((tx) => postEntry(tx, draft('unbalanced-1', lines))));
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('LEDGER_UNBALANCED');
    }
    expect(await ledgerSnapshot(db)).toEqual(before);
    expect(await balanceOf(db, fresh)).toBeUndefined();
  });

  it('(c) the SQL path refuses an unbalanced staged entry too, and posts nothing of the batch', async () => {
    const before = await ledgerSnapshot(db);
    const error = await errorOf(db.transaction(async (tx) => {
      await tx.query(`CREATE TEMP TABLE stage_bad (entry_key text, kind text, business_ref text, business_date date, account_code text, amount_fen bigint) ON COMMIT DROP`);
      await tx.query(`INSERT INTO stage_bad VALUES
        ('staged-good', 'test', 'r', '2026-01-15', 'loan:9200:loan_principal', 50),
        ('staged-good', 'test', 'r', '2026-01-15', 'bank:custody:custody_bank_cash', -50),
        ('staged-bad', 'test', 'r', '2026-01-15', 'loan:9201:loan_principal', 50),
        ('staged-bad', 'test', 'r', '2026-01-15', 'bank:custody:custody_bank_cash', -49)`);
      return postStagedEntries(tx, 'stage_bad');
    }));
    expect((error as DomainError).code).toBe('LEDGER_UNBALANCED');
    expect(await ledgerSnapshot(db)).toEqual(before);
  });

  it('postStagedEntries posts new staged entries and counts the ones already posted', async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query(`CREATE TEMP TABLE stage_ok (entry_key text, kind text, business_ref text, business_date date, account_code text, amount_fen bigint) ON COMMIT DROP`);
      await tx.query(`INSERT INTO stage_ok VALUES
        ('staged-1', 'test', 'r', '2026-01-15', 'loan:9300:loan_principal', 40),
        ('staged-1', 'test', 'r', '2026-01-15', 'bank:custody:custody_bank_cash', -40),
        ('repeat-1', 'test', 'r', '2026-01-15', 'loan:9002:interest_receivable', 500),
        ('repeat-1', 'test', 'r', '2026-01-15', 'platform:platform:interest_income', -500)`);
      return postStagedEntries(tx, 'stage_ok');
    });
    expect(result).toEqual({ posted: 1, duplicates: 1 });
    expect(await balanceOf(db, loanAccount(9300, 'loan_principal'))).toBe(40);
    expect(await balanceOf(db, loanAccount(9002, 'interest_receivable'))).toBe(500);
  });

  it('(d) journal entries and postings are immutable: UPDATE, DELETE and TRUNCATE fail and change nothing', async () => {
    await postEntry(db, draft('immutable-1', [[loanAccount(9400, 'loan_principal'), 10], [CUSTODY, -10]]));
    const before = await ledgerSnapshot(db);
    for (const statement of [
      `UPDATE postings SET amount_fen = amount_fen + 1`,
      `UPDATE postings SET amount_fen = 999 WHERE id = (SELECT max(id) FROM postings)`,
      `DELETE FROM postings WHERE id = (SELECT max(id) FROM postings)`,
      `UPDATE journal_entries SET business_ref = 'changed'`,
      `DELETE FROM journal_entries WHERE idempotency_key = 'immutable-1'`,
      `TRUNCATE postings`,
      `TRUNCATE journal_entries CASCADE`,
    ]) {
      const error = await errorOf(db.transaction((tx) => tx.query(statement)));
      expect(String((error as Error).message)).toMatch(/immutable/);
    }
    expect(await ledgerSnapshot(db)).toEqual(before);
  });

  it('(e) the trial balance totals zero and every running balance matches its postings', async () => {
    const expected = new Map<string, number>();
    const add = (account: AccountRef, amount: number) => expected.set(accountCode(account), (expected.get(accountCode(account)) ?? 0) + amount);
    const drafts: JournalEntryDraft[] = [];
    for (let k = 1; k <= 30; k += 1) {
      const loan = 9500 + (k % 4);
      const lines: [AccountRef, number][] = [
        [loanAccount(loan, 'loan_principal'), 1000 * k],
        [loanAccount(loan, 'fee_receivable'), 7 * k],
        [CUSTODY, -1000 * k],
        [platformAccount('fee_income'), -7 * k],
      ];
      for (const [account, amount] of lines) add(account, amount);
      drafts.push(draft(`tb-${k}`, lines));
    }
    await db.transaction((tx) => postEntries(tx, drafts.slice(0, 10)));
    await Promise.all(drafts.slice(10).map((d) => db.transaction((tx) => postEntry(tx, d))));
    const tb = await trialBalance(db);
    expect(tb.totalFen).toBe(0);
    expect(tb.mismatchedAccounts).toEqual([]);
    for (let loan = 9500; loan < 9504; loan += 1) {
      for (const purpose of ['loan_principal', 'fee_receivable'] as const) {
        const code = accountCode(loanAccount(loan, purpose));
        expect(tb.accounts.find((a) => a.code === code)?.balanceFen).toBe(expected.get(code));
        expect(await balanceOf(db, loanAccount(loan, purpose))).toBe(expected.get(code));
      }
    }
    // Per account, running balance = sum of its postings, computed directly.
    const rows = await db.query<{ code: string; balance_fen: number; total: number }>(
      `SELECT a.code, a.balance_fen, coalesce((SELECT sum(p.amount_fen) FROM postings p WHERE p.account_id = a.id), 0)::bigint AS total
       FROM ledger_accounts a`);
    for (const row of rows) expect(row.balance_fen).toBe(row.total);
    expect(tb.byPurpose.reduce((s, g) => s + g.balanceFen, 0)).toBe(0);
    // Every entry sums to zero.
    const unbalanced = await db.query(`SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount_fen) <> 0 OR count(*) < 2`);
    expect(unbalanced).toEqual([]);
  });

  it('(e) the trial balance reports a running balance that disagrees with its postings', async () => {
    const code = accountCode(loanAccount(9500, 'loan_principal'));
    const seen = await errorOf(db.transaction(async (tx) => {
      await tx.query(`UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE code = $1`, [code]);
      const tb = await trialBalance(tx);
      throw Object.assign(new Error('rollback'), { tb });
    }));
    const tb = (seen as { tb: Awaited<ReturnType<typeof trialBalance>> }).tb;
    expect(tb.mismatchedAccounts).toEqual([code]);
    expect(tb.totalFen).toBe(0);
    expect((await trialBalance(db)).mismatchedAccounts).toEqual([]);
  });
});
