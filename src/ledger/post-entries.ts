/**
 * Posting journal entries. One SQL statement inserts the entries, their postings and the
 * account balance deltas, so an entry is never half-written. The statement reads its input
 * either from arrays built in TypeScript or from a staging table filled by set-based SQL
 * (close of business), so both paths share the same rules:
 * - an idempotency key already present posts nothing and reports the first entry;
 * - the same key with different postings is refused (fingerprint mismatch);
 * - every entry balances and every posting lands, checked before commit.
 */
import { DomainError, invariant } from '../core/domain-error.js';
import { accountCode, assertBalanced, type JournalEntryDraft } from '../core/journal-entry.js';
import type { Queryable } from '../db/database.js';

export interface PostedEntry {
  idempotencyKey: string;
  entryId: number;
  duplicate: boolean;
}

/**
 * `source` is a relation (table name or subquery) with columns entry_key, kind,
 * business_ref, business_date, account_code, amount_fen: one row per posting.
 */
function postingStatement(source: string): string {
  return `
WITH lines AS (SELECT * FROM ${source}),
entries AS (
  SELECT entry_key, min(kind) AS kind, min(business_ref) AS business_ref, min(business_date) AS business_date,
         md5(string_agg(account_code || '=' || amount_fen::text, ',' ORDER BY account_code, amount_fen)) AS fingerprint,
         count(*) AS line_count
  FROM lines GROUP BY entry_key
),
inserted AS (
  INSERT INTO journal_entries (idempotency_key, fingerprint, kind, business_ref, business_date)
  SELECT entry_key, fingerprint, kind, business_ref, business_date FROM entries ORDER BY entry_key
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, idempotency_key
),
new_postings AS (
  INSERT INTO postings (entry_id, account_id, amount_fen)
  SELECT i.id, a.id, l.amount_fen
  FROM lines l JOIN inserted i ON i.idempotency_key = l.entry_key JOIN ledger_accounts a ON a.code = l.account_code
  RETURNING account_id, amount_fen
),
balance_updates AS (
  UPDATE ledger_accounts a SET balance_fen = a.balance_fen + d.delta
  FROM (SELECT account_id, sum(amount_fen) AS delta FROM new_postings GROUP BY account_id ORDER BY account_id) d
  WHERE a.id = d.account_id
  RETURNING a.id
)
SELECT e.entry_key, e.fingerprint, i.id AS inserted_id,
       (SELECT count(*) FROM new_postings)::bigint AS postings_inserted,
       (SELECT coalesce(sum(line_count), 0) FROM entries JOIN inserted ON inserted.idempotency_key = entries.entry_key)::bigint AS postings_expected
FROM entries e LEFT JOIN inserted i ON i.idempotency_key = e.entry_key`;
}

/**
 * Creates the entry's accounts that do not exist yet and locks the rest, in one statement:
 * ON CONFLICT DO UPDATE locks every conflicting row even when its WHERE is false, so nothing
 * is rewritten. Rows are taken in account code order by every transaction alike; without a
 * common order, two transactions updating shared accounts (custody cash, income) deadlock.
 */
function ensureAndLockAccountsStatement(source: string): string {
  return `
INSERT INTO ledger_accounts (code, owner_type, owner_id, purpose)
SELECT DISTINCT account_code, split_part(account_code, ':', 1), split_part(account_code, ':', 2), split_part(account_code, ':', 3)
FROM ${source} ORDER BY account_code
ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code WHERE false`;
}

function unbalancedStatement(source: string): string {
  return `SELECT entry_key, sum(amount_fen)::bigint AS total, count(*)::int AS line_count FROM ${source}
          GROUP BY entry_key HAVING sum(amount_fen) <> 0 OR count(*) < 2 OR bool_or(amount_fen = 0) LIMIT 5`;
}

interface PostingRow {
  entry_key: string;
  fingerprint: string;
  inserted_id: number | null;
  postings_inserted: number;
  postings_expected: number;
}

/**
 * `checkBalanceInSql`: entries staged by SQL are checked there; entries built in TypeScript
 * were already checked by assertBalanced and skip the extra round trip.
 */
async function postFromSource(tx: Queryable, source: string, params: readonly unknown[], checkBalanceInSql: boolean): Promise<PostedEntry[]> {
  if (checkBalanceInSql) {
    const unbalanced = await tx.query<{ entry_key: string; total: number }>(unbalancedStatement(source), params);
    if (unbalanced.length > 0) {
      const first = unbalanced[0]!;
      throw new DomainError('LEDGER_UNBALANCED', `entry ${first.entry_key} does not balance (sum ${first.total} fen)`, 'lines');
    }
  }
  await tx.query(ensureAndLockAccountsStatement(source), params);
  const rows = await tx.query<PostingRow>(postingStatement(source), params);
  invariant(rows.length === 0 || rows[0]!.postings_inserted === rows[0]!.postings_expected,
    'a posting did not find its account');
  const duplicates = rows.filter((row) => row.inserted_id === null);
  const existing = await existingEntries(tx, duplicates.map((row) => row.entry_key));
  return rows.map((row) => {
    if (row.inserted_id !== null) return { idempotencyKey: row.entry_key, entryId: row.inserted_id, duplicate: false };
    const first = existing.get(row.entry_key);
    invariant(first, `entry ${row.entry_key} was neither inserted nor found`);
    if (first.fingerprint !== row.fingerprint) {
      throw new DomainError('LEDGER_IDEMPOTENCY_CONFLICT',
        `idempotency key ${row.entry_key} was already used for an entry with different postings`, 'idempotencyKey');
    }
    return { idempotencyKey: row.entry_key, entryId: first.id, duplicate: true };
  });
}

async function existingEntries(tx: Queryable, keys: string[]): Promise<Map<string, { id: number; fingerprint: string }>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.query<{ id: number; idempotency_key: string; fingerprint: string }>(
    `SELECT id, idempotency_key, fingerprint FROM journal_entries WHERE idempotency_key = ANY($1::text[])`, [keys]);
  return new Map(rows.map((row) => [row.idempotency_key, row]));
}

// Aliased: PostgreSQL before 16 refuses a subquery in FROM without an alias.
const ARRAY_SOURCE = `(SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::bigint[])
  AS t(entry_key, kind, business_ref, business_date, account_code, amount_fen)) AS array_source`;

/** Posts entries built in TypeScript. Call inside the business transaction that causes them. */
export async function postEntries(tx: Queryable, drafts: readonly JournalEntryDraft[]): Promise<PostedEntry[]> {
  if (drafts.length === 0) return [];
  const columns: [string[], string[], string[], string[], string[], number[]] = [[], [], [], [], [], []];
  const keys = new Set<string>();
  for (const draft of drafts) {
    assertBalanced(draft);
    invariant(!keys.has(draft.idempotencyKey), `idempotency key ${draft.idempotencyKey} appears twice in one batch`);
    keys.add(draft.idempotencyKey);
    for (const line of draft.lines) {
      columns[0].push(draft.idempotencyKey);
      columns[1].push(draft.kind);
      columns[2].push(draft.businessRef);
      columns[3].push(draft.businessDate);
      columns[4].push(accountCode(line.account));
      columns[5].push(line.amountFen);
    }
  }
  return postFromSource(tx, ARRAY_SOURCE, columns, false);
}

export async function postEntry(tx: Queryable, draft: JournalEntryDraft): Promise<PostedEntry> {
  const [posted] = await postEntries(tx, [draft]);
  invariant(posted, 'postEntries returned nothing for one entry');
  return posted;
}

/**
 * Posts every entry staged in `table` (one row per posting, columns as `postingStatement`
 * describes). Used by set-based jobs; the table is the caller's (usually a temp table).
 */
export async function postStagedEntries(tx: Queryable, table: string): Promise<{ posted: number; duplicates: number }> {
  invariant(/^[a-z_][a-z0-9_]*$/.test(table), `staging table name ${table} is not a plain identifier`);
  const results = await postFromSource(tx, table, [], true);
  const duplicates = results.filter((r) => r.duplicate).length;
  return { posted: results.length - duplicates, duplicates };
}
