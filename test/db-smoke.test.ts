import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe('test database', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await createTestDatabase(); });
  afterAll(async () => { await t.drop(); });

  it('is migrated and returns bigint and date columns as numbers and strings', async () => {
    const rows = await t.db.query<{ n: number; d: string }>(`SELECT 9007199254740991::bigint AS n, '2026-01-31'::date AS d`);
    expect(rows[0]).toEqual({ n: 9007199254740991, d: '2026-01-31' });
    const tables = await t.db.query<{ c: number }>(`SELECT count(*)::int AS c FROM information_schema.tables WHERE table_name = 'journal_entries'`);
    expect(tables[0]?.c).toBe(1);
  });

  it('copies a stream into a table inside a transaction', async () => {
    const copied = await t.db.transaction(async (tx) => {
      await tx.query('CREATE TEMP TABLE copy_probe (a bigint, b text) ON COMMIT DROP');
      const n = await tx.copyFrom('COPY copy_probe (a, b) FROM STDIN WITH (FORMAT csv)', Readable.from(['1,x\n', '2,"y,z"\n']));
      const rows = await tx.query<{ a: number; b: string }>('SELECT a, b FROM copy_probe ORDER BY a');
      return { n, rows };
    });
    expect(copied).toEqual({ n: 2, rows: [{ a: 1, b: 'x' }, { a: 2, b: 'y,z' }] });
  });
});
