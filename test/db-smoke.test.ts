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
});
