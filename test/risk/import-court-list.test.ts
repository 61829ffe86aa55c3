/**
 * importCourtList against the real PostgreSQL test database: the sample file, duplicates,
 * full and delta files, whole-file rejection, and the review's masked-ID match.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COURT_LIST_HEADER } from '../../adapters/court/dishonest-debtor-file.js';
import { DomainError } from '../../src/core/domain-error.js';
import { parseIdNumber } from '../../src/core/identity.js';
import type { Database } from '../../src/db/database.js';
import { CourtListInvalidError, courtListReader } from '../../adapters/court/dishonest-debtor-file.js';
import { importCourtList as importWith, type CourtListImportInput } from '../../src/risk/import-court-list.js';

const importCourtList = (db: Parameters<typeof importWith>[0], input: Omit<CourtListImportInput, 'reader'>) => importWith(db, { ...input, reader: courtListReader });
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const SAMPLE_PATH = fileURLToPath(new URL('../../adapters/court/samples/dishonest_debtors_20261120.csv', import.meta.url));
const SAMPLE = readFileSync(SAMPLE_PATH, 'utf8');
const SAMPLE_ROWS = 11;
const ACTOR = 'ops:risk-officer';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterAll(async () => {
  await testDb?.drop();
});

beforeEach(async () => {
  await db.query('TRUNCATE risk_list_entries, risk_list_imports RESTART IDENTITY');
});

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function run(content: Readable | string, mode: CourtListImportInput['mode'] = 'full', fileName = 'dishonest_debtors.csv') {
  return importCourtList(db, { fileName, content, mode, actor: ACTOR });
}

/** The sample's data lines (without header and trailer). */
const sampleLines = SAMPLE.trimEnd().split('\n').slice(1, -1);

function csvFile(lines: readonly string[], trailerCount = lines.length): string {
  return [COURT_LIST_HEADER, ...lines, `#TRAILER,${trailerCount}`].map((l) => `${l}\n`).join('');
}

/** A synthetic debtor row for case number n (court 天河, case year 2026). */
function debtor(n: number, name = '测试人', idPattern = '440106********1234'): string {
  return `(2026)粤0106执${n}号,${name},${idPattern},广州市天河区人民法院,广东,2026-01-05,2026-02-01,违反限制消费令`;
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) t`, params);
  return row!.n;
}

/** Everything the import could touch, to prove a refused or duplicate file changed nothing. */
async function snapshot() {
  return {
    entries: await db.query('SELECT * FROM risk_list_entries ORDER BY id'),
    imports: await db.query('SELECT * FROM risk_list_imports ORDER BY id'),
  };
}

const activeCases = async () => (await db.query<{ case_number: string }>(
  `SELECT case_number FROM risk_list_entries WHERE list = 'court_dishonest' AND removed_at IS NULL ORDER BY case_number`)).map((r) => r.case_number);

/** The database with its transactions' statements counted (COPY included). */
function countingStatements(inner: Database): { db: Database; statements: () => number } {
  let statements = 0;
  const counted: Database = {
    ...inner,
    transaction: (fn) => inner.transaction((tx) => fn({
      query: <Row>(text: string, params?: readonly unknown[]) => {
        statements += 1;
        return tx.query<Row>(text, params);
      },
      copyFrom: (statement, source) => {
        statements += 1;
        return tx.copyFrom(statement, source);
      },
    })),
  };
  return { db: counted, statements: () => statements };
}

/** The review's predicate (src/risk/risk-lists.ts listFactsFor), verbatim. */
async function courtMatches(idNumber: string, name: string): Promise<string[]> {
  const rows = await db.query<{ case_number: string }>(
    `SELECT case_number FROM risk_list_entries
     WHERE list = 'court_dishonest' AND removed_at IS NULL
       AND left(id_pattern, 6) = left($1, 6) AND $1 LIKE replace(id_pattern, '*', '_') AND name = $2
     ORDER BY id`, [idNumber, name]);
  return rows.map((r) => r.case_number);
}

describe('importing the sample file', () => {
  it('stores every row as an active court entry and records the import', async () => {
    const result = await run(createReadStream(SAMPLE_PATH, { highWaterMark: 256 }), 'full', 'dishonest_debtors_20261120.csv');
    expect(result).toEqual({ importId: 1, rows: SAMPLE_ROWS, added: SAMPLE_ROWS, removed: 0, duplicate: false });
    expect(await db.query('SELECT id, file_name, checksum, rows, added, imported_by FROM risk_list_imports')).toEqual([
      { id: 1, file_name: 'dishonest_debtors_20261120.csv', checksum: sha256(SAMPLE), rows: SAMPLE_ROWS, added: SAMPLE_ROWS, imported_by: ACTOR },
    ]);
    expect(await count(`SELECT 1 FROM risk_list_entries WHERE list = 'court_dishonest' AND removed_at IS NULL AND import_id = 1 AND created_by = $1`, [ACTOR]))
      .toBe(SAMPLE_ROWS);
    expect(await db.query(`SELECT case_number, name, id_pattern, reason FROM risk_list_entries WHERE case_number IN ('(2026)粤0106执1234号', '(2026)鄂0111执1357号') ORDER BY id`))
      .toEqual([
        { case_number: '(2026)粤0106执1234号', name: '张伟', id_pattern: '4401061980****1234', reason: '有履行能力而拒不履行生效法律文书确定义务' },
        { case_number: '(2026)鄂0111执1357号', name: '陈静', id_pattern: '4201111968****128X', reason: '被执行人称"无力履行",但有履行能力而拒不履行生效法律文书确定义务' },
      ]);
  });

  it('takes the same bytes again as a duplicate that changes nothing, whatever the mode or the way they arrive', async () => {
    const first = await run(SAMPLE, 'delta');
    const before = await snapshot();
    expect(await run(SAMPLE, 'full', 'renamed.csv')).toEqual({ ...first, removed: 0, duplicate: true });
    expect(await run(Readable.from([Buffer.from(SAMPLE)]), 'delta')).toEqual({ ...first, duplicate: true });
    expect(await run(createReadStream(SAMPLE_PATH, { highWaterMark: 5 }))).toEqual({ ...first, duplicate: true });
    expect(await snapshot()).toEqual(before);
  });

  it('imports one file once when two imports of it race', async () => {
    const results = await Promise.all([run(SAMPLE), run(Readable.from([SAMPLE])), run(SAMPLE, 'delta')]);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.importId)).size).toBe(1);
    expect(await count('SELECT 1 FROM risk_list_entries')).toBe(SAMPLE_ROWS);
    expect(await count('SELECT 1 FROM risk_list_imports')).toBe(1);
  });
});

describe('full and delta files', () => {
  it('a full file removes the case numbers it no longer lists and adds the new ones', async () => {
    const first = await run(SAMPLE);
    const [gone1, gone2, ...kept] = sampleLines;
    const next = await run(csvFile([...kept, debtor(7001), debtor(7002)]), 'full', 'dishonest_debtors_20261127.csv');
    expect(next).toEqual({ importId: 2, rows: SAMPLE_ROWS, added: 2, removed: 2, duplicate: false });

    const removed = await db.query<{ case_number: string; removed_by: string; removed: boolean; import_id: number }>(
      `SELECT case_number, removed_by, removed_at IS NOT NULL AS removed, import_id FROM risk_list_entries WHERE removed_at IS NOT NULL ORDER BY id`);
    expect(removed).toEqual([
      { case_number: gone1!.split(',')[0], removed_by: ACTOR, removed: true, import_id: first.importId },
      { case_number: gone2!.split(',')[0], removed_by: ACTOR, removed: true, import_id: first.importId },
    ]);
    expect(await activeCases()).toHaveLength(SAMPLE_ROWS);
    // Entries still listed keep the row of their first publication.
    expect(await count(`SELECT 1 FROM risk_list_entries WHERE removed_at IS NULL AND import_id = $1`, [first.importId])).toBe(SAMPLE_ROWS - 2);
    expect(await count(`SELECT 1 FROM risk_list_entries WHERE removed_at IS NULL AND import_id = $1`, [next.importId])).toBe(2);
    expect(await db.query('SELECT rows, added FROM risk_list_imports WHERE id = $1', [next.importId])).toEqual([{ rows: SAMPLE_ROWS, added: 2 }]);
  });

  it('a delta file only adds, and puts back a case the court listed again', async () => {
    await run(SAMPLE);
    await run(csvFile(sampleLines.slice(1)));
    const relisted = sampleLines[0]!;
    expect(await activeCases()).not.toContain(relisted.split(',')[0]);

    const delta = await run(csvFile([sampleLines[5]!, relisted, debtor(8001)]), 'delta');
    expect(delta).toMatchObject({ rows: 3, added: 2, removed: 0, duplicate: false });
    expect(await activeCases()).toHaveLength(SAMPLE_ROWS + 1);
    expect(await activeCases()).toContain(relisted.split(',')[0]);
    expect(await count(`SELECT 1 FROM risk_list_entries WHERE case_number = $1`, [relisted.split(',')[0]])).toBe(2);
  });

  it('a delta file without rows changes nothing but is recorded; a full one is refused', async () => {
    await run(SAMPLE);
    expect(await run(csvFile([]), 'delta')).toMatchObject({ rows: 0, added: 0, removed: 0, duplicate: false });
    const before = await snapshot();
    // Other bytes than the delta file's, or it would be its duplicate.
    const error = await run(csvFile([]).replaceAll('\n', '\r\n'), 'full').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('COURT_LIST_FULL_EMPTY');
    expect(await snapshot()).toEqual(before);
  });

  it('replaces a large list with set-based statements: as many as for a small one', async () => {
    const counted = countingStatements(db);
    const small = [debtor(1), debtor(2), debtor(3)];
    await importCourtList(counted.db, { fileName: 'small.csv', content: csvFile(small), mode: 'full', actor: ACTOR });
    const statementsForSmall = counted.statements();
    await importCourtList(counted.db, { fileName: 'small2.csv', content: csvFile([debtor(4)]), mode: 'full', actor: ACTOR });
    expect(counted.statements() - statementsForSmall).toBe(statementsForSmall);

    const rows = 20_000;
    const all = Array.from({ length: rows }, (_, i) => debtor(10_000 + i));
    expect(await run(csvFile(all))).toMatchObject({ rows, added: rows, removed: 1 });
    const next = [...all.slice(1_000), ...Array.from({ length: 1_000 }, (_, i) => debtor(50_000 + i))];
    const text = csvFile(next);
    const chunks = Array.from({ length: Math.ceil(text.length / 16_384) }, (_, i) => text.slice(i * 16_384, (i + 1) * 16_384));
    const before = counted.statements();
    const started = performance.now();
    const result = await importCourtList(counted.db, { fileName: 'large.csv', content: Readable.from(chunks), mode: 'full', actor: ACTOR });
    // Right after the first large import the table's statistics still say "empty"; a plan that
    // trusts them scans the staging table once per entry and takes tens of seconds here.
    expect(performance.now() - started).toBeLessThan(8_000);
    expect(result).toMatchObject({ rows, added: 1_000, removed: 1_000 });
    expect(counted.statements() - before).toBe(statementsForSmall);
    expect(await activeCases()).toHaveLength(rows);
  });
});

describe('a bad file is rejected whole, with line numbers, and nothing is stored', () => {
  async function rejected(content: string, mode: CourtListImportInput['mode'] = 'full'): Promise<CourtListInvalidError> {
    await run(SAMPLE, 'delta');
    const before = await snapshot();
    const error = await run(Readable.from([Buffer.from(content)]), mode).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CourtListInvalidError);
    expect((error as CourtListInvalidError).code).toBe('COURT_LIST_INVALID');
    expect(await snapshot()).toEqual(before);
    // The same bytes are not remembered: once fixed upstream, a file is judged again.
    expect(await count('SELECT 1 FROM risk_list_imports WHERE checksum = $1', [sha256(content)])).toBe(0);
    return error as CourtListInvalidError;
  }

  it('a bad header', async () => {
    const error = await rejected(SAMPLE.replace('id_number_masked', 'id_number'));
    expect(error.errors).toEqual([{ line: 1, field: 'header', message: expect.stringContaining('exactly') }]);
  });

  it('masked IDs whose visible part is not digits, or of the wrong length', async () => {
    const lines = [...sampleLines, debtor(9001)];
    lines[2] = lines[2]!.replace('1101051990****7847', '11O1051990****7847');
    lines[6] = lines[6]!.replace('3301061979****2261', '3301061979****226');
    lines[9] = lines[9]!.replace('610113********5468', '610113********54A8');
    const error = await rejected(csvFile(lines, lines.length));
    expect(error.errors.map((e) => [e.line, e.field])).toEqual([[4, 'id_number_masked'], [8, 'id_number_masked'], [11, 'id_number_masked']]);
    expect(error.errors[1]!.message).toContain('must be 18 characters (found 17)');
  });

  it('a trailer whose count differs from the rows', async () => {
    const error = await rejected(csvFile([...sampleLines, debtor(9002)], SAMPLE_ROWS));
    expect(error.errors).toEqual([{ line: SAMPLE_ROWS + 3, field: 'trailer', message: `the trailer counts ${SAMPLE_ROWS} rows, the file has ${SAMPLE_ROWS + 1}` }]);
  });

  it('a case number twice in the file', async () => {
    const error = await rejected(csvFile([...sampleLines, debtor(9003), sampleLines[3]!]), 'delta');
    expect(error.errors).toEqual([{ line: SAMPLE_ROWS + 3, field: 'case_number', message: 'case (2026)沪0115执2468号 already appears on line 5' }]);
  });

  it('a broken stream is not the file\'s fault and stores nothing either', async () => {
    await run(SAMPLE, 'delta');
    const before = await snapshot();
    const broken = new Readable({ read() {
      this.push(SAMPLE.slice(0, 300));
      this.destroy(new Error('connection reset'));
    } });
    await expect(run(broken)).rejects.toThrow('connection reset');
    expect(await snapshot()).toEqual(before);
  });
});

describe('the review finds a masked entry for the right person only', () => {
  it('matches an ID whose published parts agree, and not one whose suffix differs', async () => {
    await run(SAMPLE);
    // 张伟 is published as 4401061980****1234: born in 1980, month and day hidden.
    expect(await courtMatches('440106198005121234', '张伟')).toEqual(['(2026)粤0106执1234号']);
    expect(await courtMatches('440106198001091234', '张伟')).toEqual(['(2026)粤0106执1234号']);
    expect(await courtMatches('440106198005121242', '张伟')).toEqual([]);
    expect(await courtMatches('440106198101041234', '张伟')).toEqual([]);
    expect(await courtMatches('440107198001061234', '张伟')).toEqual([]);
    expect(await courtMatches('440106198005121234', '张卫')).toEqual([]);

    // 王芳 is published with the whole birth date hidden: any birth date matches, the suffix must not differ.
    expect(await courtMatches('440305197511034627', '王芳')).toEqual(['(2026)粤0305执567号']);
    expect(await courtMatches('440305196001024627', '王芳')).toEqual(['(2026)粤0305执567号']);
    expect(await courtMatches('440305197511034643', '王芳')).toEqual([]);

    // An X check character is compared as published, upper case.
    expect(await courtMatches('42011119680930128X', '陈静')).toEqual(['(2026)鄂0111执1357号']);
    expect(await courtMatches('42011119900104128X', '陈静')).toEqual([]);

    for (const id of ['440106198005121234', '440106198001091234', '440106198005121242', '440106198101041234', '440107198001061234',
      '440305197511034627', '440305196001024627', '440305197511034643', '42011119680930128X', '42011119900104128X']) {
      expect(parseIdNumber(id, 'idNumber')).toBe(id);
    }
  });

  it('no longer matches once a full file has taken the entry off', async () => {
    await run(SAMPLE);
    await run(csvFile(sampleLines.slice(1)));
    expect(await courtMatches('440106198005121234', '张伟')).toEqual([]);
  });
});
