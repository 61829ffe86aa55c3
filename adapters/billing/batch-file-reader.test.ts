import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BatchFileRejected, type BatchFileKind } from './batch-file-format.js';
import { BatchFileReader, readBatchFile } from './batch-file-reader.js';

const HEADER = 'H|DEDRSP|D20260115|20260115|20260115093012|CARRIER|01';
const OK_1 = 'D|R1|13800138000|500|500|OK';
const OK_2 = 'D|R2|13800138001|300|0|INSUFFICIENT';
const OK_3 = 'D|R3|13800138002|700|200|PARTIAL';
const TRAILER = 'T|3|700';

const file = (...lines: string[]): string => lines.map((l) => `${l}\n`).join('');

/** The file in chunks of `chunkBytes`, so records straddle chunk boundaries. */
function source(content: string | Buffer, chunkBytes = 7): Readable {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) chunks.push(bytes.subarray(i, i + chunkBytes));
  return Readable.from(chunks);
}

async function read(content: string | Buffer, kind: BatchFileKind = 'deduction_response', fileName?: string, chunkBytes = 7) {
  const details: unknown[] = [];
  const summary = await readBatchFile(source(content, chunkBytes), kind, (batch) => void details.push(...batch), fileName === undefined ? {} : { fileName });
  return { summary, details };
}

async function rejection(content: string | Buffer, kind: BatchFileKind = 'deduction_response', fileName?: string, chunkBytes = 7): Promise<BatchFileRejected> {
  try {
    await read(content, kind, fileName, chunkBytes);
  } catch (error) {
    if (error instanceof BatchFileRejected) return error;
    throw error;
  }
  throw new Error('expected the file to be rejected');
}

describe('BatchFileReader', () => {
  it('hands on every validated detail with its line number and checks the totals', async () => {
    const { summary, details } = await read(file(HEADER, OK_1, OK_2, OK_3, TRAILER));
    expect(details).toEqual([
      { lineNo: 2, referenceCode: 'R1', msisdn: '13800138000', requestedFen: 500, chargedFen: 500, resultCode: 'OK' },
      { lineNo: 3, referenceCode: 'R2', msisdn: '13800138001', requestedFen: 300, chargedFen: 0, resultCode: 'INSUFFICIENT' },
      { lineNo: 4, referenceCode: 'R3', msisdn: '13800138002', requestedFen: 700, chargedFen: 200, resultCode: 'PARTIAL' },
    ]);
    expect(summary).toMatchObject({ recordCount: 3, amountTotalFen: 700, trailer: { recordCount: 3, amountTotalFen: 700 }, header: { fileId: 'D20260115' } });
  });

  it('accepts a file with no details', async () => {
    const { summary } = await read(file(HEADER, 'T|0|0'));
    expect(summary.recordCount).toBe(0);
  });

  it.each([
    ['count mismatch', file(HEADER, OK_1, OK_2, OK_3, 'T|4|700'), 'BATCH_COUNT_MISMATCH', 5],
    ['total mismatch', file(HEADER, OK_1, OK_2, OK_3, 'T|3|701'), 'BATCH_TOTAL_MISMATCH', 5],
    ['duplicate reference', file(HEADER, OK_1, OK_2, OK_1.replace('13800138000', '13800138009'), 'T|3|1000'), 'BATCH_DUPLICATE_REFERENCE', 4],
    ['malformed line', file(HEADER, OK_1, 'D|R2|13800138001|300|0', OK_3, TRAILER), 'BATCH_MALFORMED_LINE', 3],
    ['blank line', file(HEADER, OK_1, '', OK_2, OK_3, TRAILER), 'BATCH_MALFORMED_LINE', 3],
    ['unknown record type', file(HEADER, OK_1, 'X|1', TRAILER), 'BATCH_MALFORMED_LINE', 3],
    ['truncated end (no trailer)', file(HEADER, OK_1, OK_2, OK_3), 'BATCH_TRUNCATED', 4],
    ['cut mid-record', `${file(HEADER, OK_1, OK_2)}D|R3|1380`, 'BATCH_TRUNCATED', 4],
    ['trailer without its line feed', file(HEADER, OK_1, OK_2, OK_3) + TRAILER, 'BATCH_TRUNCATED', 5],
    ['header missing', file(OK_1, OK_2, OK_3, TRAILER), 'BATCH_HEADER_MISSING', 1],
    ['empty file', '', 'BATCH_HEADER_MISSING', 1],
    ['second header', file(HEADER, OK_1, HEADER, TRAILER), 'BATCH_HEADER_DUPLICATE', 3],
    ['record after the trailer', file(HEADER, OK_1, OK_2, OK_3, TRAILER, OK_1), 'BATCH_RECORD_AFTER_TRAILER', 6],
    ['second trailer', file(HEADER, OK_1, OK_2, OK_3, TRAILER, TRAILER), 'BATCH_RECORD_AFTER_TRAILER', 6],
    ['CR LF line ends', [HEADER, OK_1, OK_2, OK_3, TRAILER].join('\r\n') + '\r\n', 'BATCH_ENCODING', 1],
    ['byte order mark', `\uFEFF${file(HEADER, OK_1, OK_2, OK_3, TRAILER)}`, 'BATCH_ENCODING', 1],
    ['over-long line', file(HEADER, `D|R1|13800138000|500|500|${'O'.repeat(600)}`, TRAILER), 'BATCH_MALFORMED_LINE', 2],
  ])('rejects the whole file: %s', async (_case, content, code, lineNo) => {
    const error = await rejection(content);
    expect(error.code).toBe(code);
    expect(error.lineNo).toBe(lineNo);
  });

  it('names the first line of a duplicate reference', async () => {
    const error = await rejection(file(HEADER, OK_1, OK_2, OK_1.replace('13800138000', '13800138009'), 'T|3|1000'));
    expect(error.reason).toBe('referenceCode R1 already appeared on line 2');
  });

  it('rejects bytes that are not UTF-8', async () => {
    const bad = Buffer.concat([Buffer.from(file(HEADER, OK_1)), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(file(TRAILER))]);
    expect((await rejection(bad)).code).toBe('BATCH_ENCODING');
  });

  it('rejects a file of another kind, or under a name that does not fit its header', async () => {
    expect((await rejection(file(HEADER, OK_1, OK_2, OK_3, TRAILER), 'settlement')).code).toBe('BATCH_KIND_MISMATCH');
    const misnamed = await rejection(file(HEADER, OK_1, OK_2, OK_3, TRAILER), 'deduction_response', 'DEDRSP_OTHER.txt');
    expect(misnamed).toMatchObject({ code: 'BATCH_FILE_NAME_MISMATCH', lineNo: 1 });
    expect((await read(file(HEADER, OK_1, OK_2, OK_3, TRAILER), 'deduction_response', 'DEDRSP_D20260115.txt')).details).toHaveLength(3);
  });

  it('enforces the size limits', async () => {
    const content = file(HEADER, OK_1, OK_2, OK_3, TRAILER);
    const tooBig = new BatchFileReader(source(content), 'deduction_response', { bytesMax: 100 });
    await expect(async () => { for await (const _ of tooBig.batches()); }).rejects.toMatchObject({ code: 'BATCH_TOO_LARGE' });
    const tooMany = new BatchFileReader(source(content), 'deduction_response', { recordsMax: 2 });
    await expect(async () => { for await (const _ of tooMany.batches()); }).rejects.toMatchObject({ code: 'BATCH_TOO_LARGE', lineNo: 4 });
  });

  it('streams: details come out before the file has ended', async () => {
    const input = new PassThrough();
    const reader = new BatchFileReader(input, 'deduction_response');
    const batches = reader.batches();
    input.write(file(HEADER, OK_1));
    const first = await batches.next();
    expect(first.value).toEqual([expect.objectContaining({ referenceCode: 'R1' })]);
    expect(() => reader.summary()).toThrow(/not been read to its end/);
    input.end(file(OK_2, OK_3, TRAILER));
    const rest: unknown[] = [];
    for await (const batch of { [Symbol.asyncIterator]: () => batches }) rest.push(...batch);
    expect(rest).toHaveLength(2);
    expect(reader.summary().recordCount).toBe(3);
  });

  it('passes a broken source on as that error, and leaves the source open when it rejects', async () => {
    const broken = new Readable({ read() { this.push(file(HEADER, OK_1)); this.destroy(new Error('connection reset')); } });
    const reader = new BatchFileReader(broken, 'deduction_response');
    await expect(async () => { for await (const _ of reader.batches()); }).rejects.toThrow('connection reset');

    const input = source(file(OK_1, OK_2, OK_3, TRAILER), 1024);
    const early = new BatchFileReader(input, 'deduction_response');
    await expect(async () => { for await (const _ of early.batches()); }).rejects.toMatchObject({ code: 'BATCH_HEADER_MISSING' });
    expect(input.destroyed).toBe(false);
  });

  it('finds a duplicate among many references exactly', async () => {
    const count = 200_000;
    const lines = Array.from({ length: count }, (_, i) => `D|REF${i}|13800138000|1|1|OK`);
    const body = `${HEADER}\n${lines.join('\n')}\n`;
    const clean = await read(`${body}T|${count}|${count}\n`, 'deduction_response', undefined, 64 * 1024);
    expect(clean.summary.recordCount).toBe(count);
    const error = await rejection(`${body}D|REF123456|13800138000|1|1|OK\nT|${count + 1}|${count + 1}\n`, 'deduction_response', undefined, 64 * 1024);
    expect(error).toMatchObject({ code: 'BATCH_DUPLICATE_REFERENCE', lineNo: count + 2, reason: `referenceCode REF123456 already appeared on line ${123456 + 2}` });
  });

  it('keys recharge feeds by event id', async () => {
    const feed = (a: string, b: string) => file('H|RECHG|R1|20260115|20260115120500|CARRIER|01', `D|${a}|13800138000|5000|20260115103000`, `D|${b}|13800138001|100|20260115103000`, 'T|2|5100');
    expect((await read(feed('E1', 'E2'), 'recharge')).details).toHaveLength(2);
    expect(await rejection(feed('E1', 'E1'), 'recharge')).toMatchObject({ code: 'BATCH_DUPLICATE_REFERENCE', field: 'eventId' });
  });
});
