import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BatchFileRejected, DETAIL_LAYOUTS, WRITER_CHUNK_RECORDS, batchFileName, formatBatchFile, formatDeductionRequestFile,
  parseBatchFileName, parseDetailLine, parseHeaderLine, parseTrailerLine, shanghaiTimestamp,
  type BatchFileKind, type DeductionRequestDetail,
} from './batch-file-format.js';
import { readBatchFile } from './batch-file-reader.js';

const SAMPLES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'files', 'samples');

function rejectionOf(run: () => unknown): BatchFileRejected {
  try {
    run();
  } catch (error) {
    if (error instanceof BatchFileRejected) return error;
    throw error;
  }
  throw new Error('expected a BatchFileRejected');
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe('the documented samples', () => {
  const samples = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.txt'));

  it('has one sample of every kind', () => {
    expect(samples.map((f) => parseBatchFileName(f)?.kind).sort()).toEqual(['deduction_request', 'deduction_response', 'recharge', 'settlement']);
  });

  it.each(samples)('%s reads cleanly and writes back byte for byte', async (file) => {
    const kind = parseBatchFileName(file)!.kind;
    const details: unknown[] = [];
    const summary = await readBatchFile(createReadStream(path.join(SAMPLES_DIR, file)), kind, (batch) => void details.push(...batch), { fileName: file });
    expect(summary.recordCount).toBe(details.length);
    expect(summary.trailer.recordCount).toBe(details.length);
    const written = (await collect(formatBatchFile(summary.header as never, details as never))).join('');
    expect(written).toBe(readFileSync(path.join(SAMPLES_DIR, file), 'utf8'));
  });
});

describe('record parsers', () => {
  it('reads a header into typed values', () => {
    expect(parseHeaderLine('H|DEDRSP|D20260115|20260115|20260115093012|CARRIER|01', 1)).toEqual({
      kind: 'deduction_response', fileId: 'D20260115', businessDate: '2026-01-15', createdAt: '2026-01-15T09:30:12+08:00', sender: 'CARRIER',
    });
  });

  it.each([
    ['H|DEDRSP|D1|20260230|20260115093012|CARRIER|01', 'businessDate'],
    ['H|DEDRSP|D1|20260115|20260115253012|CARRIER|01', 'createdAt'],
    ['H|BOGUS|D1|20260115|20260115093012|CARRIER|01', 'fileKind'],
    ['H|DEDRSP|D 1|20260115|20260115093012|CARRIER|01', 'fileId'],
    ['H|DEDRSP|D1|20260115|20260115093012|carrier|01', 'sender'],
    ['H|DEDRSP|D1|20260115|20260115093012|CARRIER|02', 'layoutVersion'],
    ['H|DEDRSP|D1|20260115|20260115093012|CARRIER', 'record'],
  ])('refuses header %s naming %s', (line, field) => {
    const error = rejectionOf(() => parseHeaderLine(line, 1));
    expect(error).toMatchObject({ code: 'BATCH_MALFORMED_LINE', field, lineNo: 1 });
  });

  it.each([
    ['D|R1|13800138000|500|500|OK', undefined],
    ['D|R1|13800138000|500|200|PARTIAL', undefined],
    ['D|R1|13800138000|500|0|INSUFFICIENT', undefined],
    ['D|R1|13800138000|500|499|OK', 'chargedFen'],
    ['D|R1|13800138000|500|500|PARTIAL', 'chargedFen'],
    ['D|R1|13800138000|500|1|SUSPENDED', 'chargedFen'],
    ['D|R1|13800138000|500|0|MAYBE', 'resultCode'],
    ['D|R1|13800138000|0500|0|INSUFFICIENT', 'requestedFen'],
    ['D|R1|13800138000|5.00|0|INSUFFICIENT', 'requestedFen'],
    ['D|R1|13800138000|-5|0|INSUFFICIENT', 'requestedFen'],
    ['D|R1|13800138000|0|0|INSUFFICIENT', 'requestedFen'],
    ['D|R1|13800138000|1000000000000000|0|INSUFFICIENT', 'requestedFen'],
    ['D|R 1|13800138000|500|0|INSUFFICIENT', 'referenceCode'],
    ['D|R1|12800138000|500|0|INSUFFICIENT', 'msisdn'],
    ['D|R1|13800138000|500|0|OK|extra', 'record'],
  ])('response detail %s: error field %s', (line, field) => {
    if (field === undefined) {
      expect(parseDetailLine('deduction_response', line, 7).lineNo).toBe(7);
      return;
    }
    const error = rejectionOf(() => parseDetailLine('deduction_response', line, 7));
    expect(error).toMatchObject({ code: 'BATCH_MALFORMED_LINE', field, lineNo: 7 });
    expect(error.message).toContain('line 7');
  });

  it('never puts a whole phone number in an error', () => {
    const error = rejectionOf(() => parseDetailLine('settlement', 'D|R1|12800138000|500', 4));
    expect(error.field).toBe('msisdn');
    expect(error.message).not.toContain('12800138000');
    expect(error.message).toContain('128****8000');
  });

  it('reads every kind of detail', () => {
    expect(parseDetailLine('deduction_request', 'D|DED1I2A3|13800138000|4000|1-2|20260110', 2)).toEqual({
      lineNo: 2, referenceCode: 'DED1I2A3', msisdn: '13800138000', amountFen: 4000, loanReference: '1-2', dueDate: '2026-01-10',
    });
    expect(parseDetailLine('settlement', 'D|DED1I2A3|13800138000|4000', 2)).toMatchObject({ amountFen: 4000 });
    expect(parseDetailLine('recharge', 'D|EV1|13800138000|5000|20260115103000', 2)).toMatchObject({ eventId: 'EV1', rechargedAt: '2026-01-15T10:30:00+08:00' });
  });

  it('reads a trailer and refuses a bad count', () => {
    expect(parseTrailerLine('T|3|264001', 5)).toEqual({ recordCount: 3, amountTotalFen: 264001 });
    expect(rejectionOf(() => parseTrailerLine('T|x|264001', 5))).toMatchObject({ field: 'recordCount', lineNo: 5 });
    expect(rejectionOf(() => parseTrailerLine('T|3', 5))).toMatchObject({ field: 'record', lineNo: 5 });
  });
});

describe('file names', () => {
  it('names and recognises each kind', () => {
    const kinds: BatchFileKind[] = ['deduction_request', 'deduction_response', 'settlement', 'recharge'];
    for (const kind of kinds) expect(parseBatchFileName(batchFileName(kind, 'F-1_2'))).toEqual({ kind, fileId: 'F-1_2' });
    expect(batchFileName('deduction_request', 'D20260115')).toBe('DEDREQ_D20260115.txt');
    expect(parseBatchFileName('DEDREQ_D20260115.txt.part')).toBeUndefined();
    expect(parseBatchFileName('NOPE_X.txt')).toBeUndefined();
    expect(() => batchFileName('recharge', '../x')).toThrow();
  });
});

describe('writer', () => {
  const header = { fileId: 'D1', businessDate: '2026-01-15', createdAt: '2026-01-15T06:00:00+08:00', sender: 'LENDER' };
  const detail = (i: number): DeductionRequestDetail => ({
    referenceCode: `DED${i}I1A1`, msisdn: '13800138000', amountFen: 100 + i, loanReference: `${i}-1`, dueDate: '2026-01-15',
  });

  it('streams records in chunks, the trailer last on its own, with totals filled in', async () => {
    const count = WRITER_CHUNK_RECORDS + 5;
    const totals = { recordCount: 0, amountTotalFen: 0 };
    const chunks = await collect(formatDeductionRequestFile(header, Array.from({ length: count }, (_, i) => detail(i)), totals));
    expect(chunks).toHaveLength(4);
    const expectedTotal = Array.from({ length: count }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
    expect(totals).toEqual({ recordCount: count, amountTotalFen: expectedTotal });
    expect(chunks[3]).toBe(`T|${count}|${expectedTotal}\n`);
    expect(chunks.join('').split('\n')).toHaveLength(count + 3);
  });

  it('refuses to write a record it would not accept', async () => {
    await expect(collect(formatDeductionRequestFile(header, [detail(1), { ...detail(2), msisdn: '123' }]))).rejects.toThrow(/record 2: msisdn/);
    await expect(collect(formatDeductionRequestFile(header, [{ ...detail(1), amountFen: 1.5 }]))).rejects.toThrow(/amountFen/);
  });

  it('writes Shanghai wall time', () => {
    expect(shanghaiTimestamp(new Date('2026-01-14T22:30:05.900Z'))).toBe('2026-01-15T06:30:05+08:00');
  });

  it('has a layout for every kind whose key is unique per file', () => {
    expect(DETAIL_LAYOUTS.recharge.key({ eventId: 'E', msisdn: '13800138000', amountFen: 1, rechargedAt: '' })).toBe('E');
    expect(DETAIL_LAYOUTS.deduction_response.amountFen({ referenceCode: 'R', msisdn: '', requestedFen: 9, chargedFen: 4, resultCode: 'PARTIAL' })).toBe(4);
  });
});
