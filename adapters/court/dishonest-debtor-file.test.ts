import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  COURT_LIST_ERRORS_KEPT_MAX, COURT_LIST_HEADER, CourtListInvalidError, DishonestDebtorFileReader, readDishonestDebtorFile,
  type CourtListLineError, type DishonestDebtorReaderOptions,
} from './dishonest-debtor-file.js';

const SAMPLE = readFileSync(new URL('./samples/dishonest_debtors_20261120.csv', import.meta.url));
const SAMPLE_ROWS = 11;

/** A valid row; `over` replaces fields by column name. */
function row(n: number, over: Partial<Record<string, string>> = {}): string {
  const fields: Record<string, string> = {
    case_number: `(2026)粤0106执${1000 + n}号`,
    name: '张伟',
    id_number_masked: '4401061980****1234',
    court: '广州市天河区人民法院',
    province: '广东',
    filed_on: '2026-03-02',
    published_on: '2026-06-15',
    conduct: '有履行能力而拒不履行生效法律文书确定义务',
    ...over,
  };
  return COURT_LIST_HEADER.split(',').map((f) => fields[f]).join(',');
}

function file(rows: readonly string[], trailer = `#TRAILER,${rows.length}`): string {
  return [COURT_LIST_HEADER, ...rows, trailer].map((l) => `${l}\n`).join('');
}

async function rejection(source: string | Readable | Buffer[], options?: DishonestDebtorReaderOptions): Promise<CourtListInvalidError> {
  const error = await readDishonestDebtorFile(source, options).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CourtListInvalidError);
  return error as CourtListInvalidError;
}

const at = (errors: readonly CourtListLineError[]) => errors.map((e) => `${e.line}:${e.field}`);

describe('the sample file', () => {
  it('reads every row, typed, with quoting undone', async () => {
    const { rows, bytes } = await readDishonestDebtorFile(Readable.from([SAMPLE]));
    expect(rows).toHaveLength(SAMPLE_ROWS);
    expect(bytes).toBe(SAMPLE.length);
    expect(rows[0]).toEqual({
      lineNo: 2, caseNumber: '(2026)粤0106执1234号', name: '张伟', idPattern: '4401061980****1234', court: '广州市天河区人民法院',
      province: '广东', filedOn: '2026-03-02', publishedOn: '2026-06-15', conduct: '有履行能力而拒不履行生效法律文书确定义务',
    });
    expect(rows[1]!.conduct).toBe('违反财产报告制度,违反限制消费令');
    expect(rows[4]!.conduct).toBe('被执行人称"无力履行",但有履行能力而拒不履行生效法律文书确定义务');
    expect(rows.map((r) => r.lineNo)).toEqual(Array.from({ length: SAMPLE_ROWS }, (_, i) => i + 2));
  });

  it('reads the same however the bytes are chunked, even inside a multi-byte character', async () => {
    const whole = await readDishonestDebtorFile(SAMPLE.toString('utf8'));
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < SAMPLE.length; i += size) chunks.push(SAMPLE.subarray(i, i + size));
      expect((await readDishonestDebtorFile(chunks)).rows).toEqual(whole.rows);
    }
  });

  it('hands rows on in batches as chunks arrive, before the file has ended', async () => {
    const reader = new DishonestDebtorFileReader(Readable.from([SAMPLE.subarray(0, 400), SAMPLE.subarray(400)]));
    const sizes: number[] = [];
    for await (const batch of reader.batches()) sizes.push(batch.length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((a, b) => a + b)).toBe(SAMPLE_ROWS);
    expect(reader.summary()).toEqual({ rows: SAMPLE_ROWS, bytes: SAMPLE.length });
  });
});

describe('layout', () => {
  it('accepts CR LF line ends, a missing final line end, and an empty list', async () => {
    const crlf = file([row(1), row(2)]).replaceAll('\n', '\r\n');
    expect((await readDishonestDebtorFile(crlf)).rows).toHaveLength(2);
    expect((await readDishonestDebtorFile(file([row(1)]).slice(0, -1))).rows).toHaveLength(1);
    expect((await readDishonestDebtorFile(file([]))).rows).toEqual([]);
  });

  it('keeps line breaks inside a quoted conduct and numbers rows by the line they start on', async () => {
    const { rows } = await readDishonestDebtorFile(file([row(1, { conduct: '"第一项\r\n第二项,""引号"""' }), row(2)]));
    expect(rows.map((r) => [r.lineNo, r.conduct])).toEqual([[2, '第一项\n第二项,"引号"'], [4, '有履行能力而拒不履行生效法律文书确定义务']]);
  });

  it('makes full-width parentheses of a case number ASCII and upper-cases a lower-case check x', async () => {
    const { rows } = await readDishonestDebtorFile(file([row(1, { case_number: '（2026）最高法执监12号', id_number_masked: '4201111968****128x' })]));
    expect(rows[0]).toMatchObject({ caseNumber: '(2026)最高法执监12号', idPattern: '4201111968****128X' });
  });

  it('requires the header exactly, and no byte order mark', async () => {
    const reordered = file([row(1)]).replace(COURT_LIST_HEADER, 'name,case_number,id_number_masked,court,province,filed_on,published_on,conduct');
    expect(at((await rejection(reordered)).errors)).toEqual(['1:header']);
    expect(at((await rejection(`\uFEFF${file([row(1)])}`)).errors)).toEqual(['1:header']);
    expect((await rejection('')).errors).toEqual([{ line: 1, field: 'header', message: 'the file is empty' }]);
  });

  it('requires one trailer whose count equals the rows, and nothing after it', async () => {
    expect((await rejection(file([row(1), row(2)], '#TRAILER,3'))).errors)
      .toEqual([{ line: 4, field: 'trailer', message: 'the trailer counts 3 rows, the file has 2' }]);
    expect(at((await rejection(`${COURT_LIST_HEADER}\n${row(1)}\n`)).errors)).toEqual(['2:trailer']);
    expect(at((await rejection(file([row(1)], '#TRAILER,01'))).errors)).toEqual(['3:trailer']);
    expect(at((await rejection(file([row(1)], '#TRAILER,1,2'))).errors)).toEqual(['3:trailer']);
    expect(at((await rejection(`${file([row(1)])}#TRAILER,1\n`)).errors)).toEqual(['4:trailer']);
    expect(at((await rejection(`${file([row(1)])}${row(2)}\n`)).errors)).toEqual(['4:record', '3:trailer']);
    expect(at((await rejection(file([row(1), '#COMMENT,x'], '#TRAILER,1'))).errors)).toEqual(['3:record']);
  });

  it('refuses blank lines, wrong field counts and broken quoting, naming the line', async () => {
    const error = await rejection(file([row(1), '', `${row(3)},extra`, row(4, { conduct: 'a"b' }), row(5, { name: '"张"伟' }), row(6)], '#TRAILER,5'));
    expect(error.errors).toEqual([
      { line: 3, field: 'record', message: 'empty line' },
      { line: 4, field: 'record', message: 'expected 8 fields, found 9' },
      { line: 5, field: 'record', message: expect.stringContaining('quote inside an unquoted field') },
      { line: 6, field: 'record', message: expect.stringContaining('closing quote must be followed') },
    ]);
    expect(at((await rejection(file([row(1, { conduct: '"never closed' })]))).errors)).toEqual(['2:record', '3:trailer']);
  });
});

describe('fields', () => {
  it.each([
    ['4401061980****12345', 'must be 18 characters (found 19)'],
    ['4401061980****123', 'must be 18 characters (found 17)'],
    ['44010A1980****1234', 'characters 1-6'],
    ['******1980****1234', 'characters 1-6'],
    ['4401061980**-*1234', 'characters 7-14'],
    ['4401061980****12*4', 'characters 15-18'],
    ['4401061980****123Y', 'characters 15-18'],
    ['4401061880****1234', 'visible birth year'],
    ['440106198013**1234', 'visible birth month'],
    ['440106****02301234', 'visible birth day'],
    ['440106198005321234', 'visible birth day'],
    ['440106198005121235', 'right check character'],
  ])('refuses the masked ID %s', async (id, why) => {
    const error = await rejection(file([row(1, { id_number_masked: id })]));
    expect(error.errors).toEqual([{ line: 2, field: 'id_number_masked', message: expect.stringContaining(why) }]);
    // Nothing of the ID is echoed: a pattern might be fully unmasked.
    expect(error.message).not.toContain(id);
    expect(JSON.stringify(error.errors)).not.toContain(id);
  });

  it('accepts masks of any birth digits and a fully published valid ID', async () => {
    for (const id of ['440106********1234', '4401061980****1234', '440106198005**1234', '440106****05121234', '44010619**0*121234', '440106198005121234']) {
      expect((await readDishonestDebtorFile(file([row(1, { id_number_masked: id })]))).rows[0]!.idPattern).toBe(id);
    }
  });

  it('checks name length in characters, 2 to 50', async () => {
    const rare = '\u{20BB7}'; // one character outside the BMP: two UTF-16 units
    const ok = await readDishonestDebtorFile(file([row(1, { name: `${rare}${rare}` }), row(2, { name: '名'.repeat(50) }), row(3, { name: '阿依古丽·买买提' })]));
    expect(ok.rows).toHaveLength(3);
    const error = await rejection(file([row(1, { name: '张' }), row(2, { name: '名'.repeat(51) }), row(3, { name: rare }), row(4, { name: '' }), row(5, { name: ' 张伟' })]));
    expect(at(error.errors)).toEqual(['2:name', '3:name', '4:name', '5:name', '6:name']);
  });

  it('checks the case number, court, province, dates and conduct', async () => {
    const error = await rejection(file([
      row(1, { case_number: '2026粤0106执1号' }),
      row(2, { case_number: '(2026)粤0106民1号' }),
      row(3, { court: '天河区', province: '广东省' }),
      row(4, { filed_on: '2026-02-30', published_on: '20260615' }),
      row(5, { filed_on: '2026-07-01', published_on: '2026-06-30' }),
      row(6, { conduct: '' }),
      row(7, { conduct: '有\u0007' }),
    ]));
    expect(at(error.errors)).toEqual([
      '2:case_number', '3:case_number', '4:court', '4:province', '5:filed_on', '5:published_on', '6:published_on', '7:conduct', '8:conduct',
    ]);
  });

  it('reports every bad field of a row', async () => {
    const error = await rejection(file([row(1, { name: 'X', id_number_masked: '123', filed_on: 'x' })]));
    expect(at(error.errors)).toEqual(['2:name', '2:id_number_masked', '2:filed_on']);
  });

  it('refuses a case number twice in the file, however its parentheses are written', async () => {
    const error = await rejection(file([row(1), row(2), row(3, { case_number: '（2026）粤0106执1001号' }), row(4, { case_number: '(2026)粤0106执1002号' })]));
    expect(error.errors).toEqual([
      { line: 4, field: 'case_number', message: 'case (2026)粤0106执1001号 already appears on line 2' },
      { line: 5, field: 'case_number', message: 'case (2026)粤0106执1002号 already appears on line 3' },
    ]);
  });
});

describe('a bad file', () => {
  it('is read to its end: the first 1,000 errors are kept and all are counted', async () => {
    const rows = Array.from({ length: 1_500 }, (_, i) => row(i, { name: 'X' }));
    const error = await rejection(file(rows, '#TRAILER,1499'));
    expect(error.code).toBe('COURT_LIST_INVALID');
    expect(error.totalErrors).toBe(1_501);
    expect(error.errors).toHaveLength(COURT_LIST_ERRORS_KEPT_MAX);
    expect(error.errors[999]).toMatchObject({ line: 1_001, field: 'name' });
    expect(error.message).toContain('1501 error(s)');
    expect(error.message).toContain('line 2, name');
  });

  it('hands on no rows after the first error', async () => {
    const reader = new DishonestDebtorFileReader([file([row(1)]).replace('#TRAILER,1\n', ''), `${row(2, { name: 'X' })}\n`, `${row(3)}\n#TRAILER,3\n`]);
    const seen: number[] = [];
    const error = await (async () => {
      for await (const batch of reader.batches()) seen.push(...batch.map((r) => r.lineNo));
    })().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CourtListInvalidError);
    expect(seen).toEqual([2]);
    expect(() => reader.summary()).toThrow();
  });
});

describe('limits, enforced while reading', () => {
  /** A source that would never end: the reader must stop on its own. */
  function* endless(): Generator<string> {
    yield `${COURT_LIST_HEADER}\n`;
    for (let i = 0; ; i++) yield `${row(i)}\n`;
  }

  it('stops at the byte limit', async () => {
    const error = await rejection(Readable.from(endless()), { bytesMax: 10_000 });
    expect(error.errors.at(-1)).toMatchObject({ field: 'file', message: 'the file is larger than 10000 bytes' });
  });

  it('stops at the row limit', async () => {
    const error = await rejection(Readable.from(endless()), { rowsMax: 50 });
    expect(error.errors.at(-1)).toEqual({ line: 52, field: 'file', message: 'more than 50 rows' });
  });

  it('stops on a runaway quoted field and on an overlong line', async () => {
    const runaway = (function* () {
      yield `${COURT_LIST_HEADER}\n${row(1, { conduct: '"opened' })}\n`;
      for (;;) yield 'text\n';
    })();
    expect((await rejection(Readable.from(runaway))).errors.at(-1)).toMatchObject({ line: 2, field: 'record', message: expect.stringContaining('unclosed quote') });
    const long = (function* () {
      yield `${COURT_LIST_HEADER}\n`;
      for (;;) yield 'x'.repeat(1_000);
    })();
    expect((await rejection(Readable.from(long))).errors.at(-1)).toMatchObject({ line: 2, field: 'record' });
  });

  it('stops on bytes that are not UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from(`${COURT_LIST_HEADER}\n`), Buffer.from([0xff, 0xfe]), Buffer.from('\n#TRAILER,0\n')]);
    expect((await rejection([bytes])).errors).toEqual([{ line: 2, field: 'file', message: 'the file is not valid UTF-8' }]);
    const cut = Buffer.from(`${COURT_LIST_HEADER}\n#TRAILER,0\n张`).subarray(0, -1);
    expect((await rejection([cut])).errors.at(-1)).toMatchObject({ field: 'file', message: expect.stringContaining('ends inside a character') });
  });

  it('passes a broken source\'s own error through unchanged', async () => {
    const broken = new Readable({ read() {
      this.push(`${COURT_LIST_HEADER}\n`);
      this.destroy(new Error('connection reset'));
    } });
    await expect(readDishonestDebtorFile(broken)).rejects.toThrow('connection reset');
  });
});
