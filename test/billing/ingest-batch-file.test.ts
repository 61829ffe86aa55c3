/**
 * ingestBillingFile against the real PostgreSQL test database, with every file travelling
 * over the real wire: the carrier places it in the simulator's inbox, our SFTP client
 * downloads it and the download streams into ingestion.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFileReaderPort } from '../../adapters/billing/batch-file-reader.js';
import { BillingSftpClient, BillingSftpError } from '../../adapters/billing/sftp-client.js';
import { startBillingSftpSimulator, type BillingSftpSimulator } from '../../adapters/billing/sftp-simulator.js';
import { SubscriberBook } from '../../adapters/billing/subscriber-book.js';
import { ingestBillingFile, type IngestibleBillingFileKind, type OnBillingFileApplied } from '../../src/billing/ingest-batch-file.js';
import { DomainError } from '../../src/core/domain-error.js';
import type { Database } from '../../src/db/database.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { activeLoan, RATE_CEILING_PPM } from '../loans/loan-helpers.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const TIMEOUTS = { connectMs: 5_000, operationMs: 5_000, transferIdleMs: 5_000 };
const HEADER_TIME = '20260115093012';
const MSISDN = ['13800000001', '13800000002', '13800000003'] as const;

let testDb: TestDatabase;
let db: Database;
let root: string;
let sim: BillingSftpSimulator;
let client: BillingSftpClient;
let loanId: number;
let attemptSequence = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  await seedProductLibrary(db, RATE_CEILING_PPM);
  loanId = (await activeLoan(db, '2026-01-15')).id;
  root = mkdtempSync(path.join(os.tmpdir(), 'billing-ingest-'));
  sim = await startBillingSftpSimulator({ book: new SubscriberBook(10), rootDir: root, username: 'lender', password: 'secret' });
  client = new BillingSftpClient(sim.url, TIMEOUTS);
});

afterAll(async () => {
  await sim?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  await testDb?.drop();
});

/** Our deduction attempts (requested_fen unset, so what we asked is due_fen). */
async function attempts(references: readonly string[], dueFen = 500): Promise<void> {
  attemptSequence += 1;
  await db.query(`
    INSERT INTO deduction_attempts (loan_id, installment_number, attempt_no, trigger, reference_code, msisdn, plan, due_fen, status)
    SELECT $1, n, $2, 'schedule', ref, ($4::text[])[1 + (n - 1) % 3], 'prepaid', $3, 'requested_in_file'
    FROM unnest($5::text[]) WITH ORDINALITY AS t(ref, n)`, [loanId, attemptSequence, dueFen, MSISDN, references]);
}

const lines = (...records: string[]): string => records.map((r) => `${r}\n`).join('');
const responseHeader = (fileId: string) => `H|DEDRSP|${fileId}|20260115|${HEADER_TIME}|CARRIER|01`;
const ok = (ref: string, i: number, fen = 500) => `D|${ref}|${MSISDN[i % 3]}|${fen}|${fen}|OK`;
const insufficient = (ref: string, i: number, fen = 500) => `D|${ref}|${MSISDN[i % 3]}|${fen}|0|INSUFFICIENT`;

/** A valid response: OK, INSUFFICIENT, PARTIAL 200 for three references (total 700). */
function response(fileId: string, refs: readonly string[]): string {
  return lines(responseHeader(fileId), ok(refs[0]!, 0), insufficient(refs[1]!, 1), `D|${refs[2]}|${MSISDN[2]}|500|200|PARTIAL`, 'T|3|700');
}

const fileNameOf: Record<IngestibleBillingFileKind, string> = { deduction_response: 'DEDRSP', settlement: 'SETTLE', recharge: 'RECHG' };

/** The carrier puts the file in our inbox; we download it and ingest the download as it streams. */
async function deliverAndIngest(kind: IngestibleBillingFileKind, fileId: string, content: string, onApplied?: OnBillingFileApplied) {
  const fileName = `${fileNameOf[kind]}_${fileId}.txt`;
  writeFileSync(path.join(root, 'inbox', fileName), content);
  return ingestBillingFile(db, { kind, fileName, source: await client.download(fileName), reader: batchFileReaderPort, onApplied });
}

async function fileRow(id: number) {
  const [row] = await db.query<{ kind: string; file_id: string; status: string; reason: string | null; sha256: string; record_count: number | null; amount_total_fen: number | null; business_date: string | null }>(
    'SELECT kind, file_id, status, reason, sha256, record_count, amount_total_fen, business_date FROM billing_files WHERE id = $1', [id]);
  return row!;
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
  return row!.n;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('ingesting a deduction response file', () => {
  it('applies it in one transaction and calls onApplied inside it', async () => {
    await attempts(['A-1', 'A-2', 'A-3']);
    const content = response('A', ['A-1', 'A-2', 'A-3']);
    const seen: { fileDbId: number; kind: string; linesInTx: number }[] = [];
    const result = await deliverAndIngest('deduction_response', 'A', content, async (tx, fileDbId, kind) => {
      const [row] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM billing_response_lines WHERE file_id = $1', [fileDbId]);
      seen.push({ fileDbId, kind, linesInTx: row!.n });
    });
    expect(result).toEqual({ status: 'applied', fileDbId: expect.any(Number), lines: 3 });
    expect(seen).toEqual([{ fileDbId: result.fileDbId, kind: 'deduction_response', linesInTx: 3 }]);
    expect(await fileRow(result.fileDbId)).toMatchObject({
      kind: 'deduction_response', file_id: 'A', status: 'applied', reason: null, sha256: sha256(content), record_count: 3, amount_total_fen: 700, business_date: '2026-01-15',
    });
    const applied = await db.query('SELECT line_no, reference_code, msisdn, requested_fen, charged_fen, result_code FROM billing_response_lines WHERE file_id = $1 ORDER BY line_no', [result.fileDbId]);
    expect(applied).toEqual([
      { line_no: 2, reference_code: 'A-1', msisdn: MSISDN[0], requested_fen: 500, charged_fen: 500, result_code: 'OK' },
      { line_no: 3, reference_code: 'A-2', msisdn: MSISDN[1], requested_fen: 500, charged_fen: 0, result_code: 'INSUFFICIENT' },
      { line_no: 4, reference_code: 'A-3', msisdn: MSISDN[2], requested_fen: 500, charged_fen: 200, result_code: 'PARTIAL' },
    ]);
  });

  it('applies the same file delivered twice once', async () => {
    await attempts(['T-1', 'T-2', 'T-3']);
    const content = response('TWICE', ['T-1', 'T-2', 'T-3']);
    let applications = 0;
    const onApplied = async () => void (applications += 1);
    const first = await deliverAndIngest('deduction_response', 'TWICE', content, onApplied);
    const second = await deliverAndIngest('deduction_response', 'TWICE', content, onApplied);
    expect(first.status).toBe('applied');
    expect(second).toEqual({ status: 'duplicate', fileDbId: first.fileDbId, lines: 3 });
    expect(applications).toBe(1);
    expect(await count(`SELECT 1 FROM billing_response_lines WHERE reference_code LIKE 'T-%'`)).toBe(3);
    expect(await count(`SELECT 1 FROM billing_files WHERE file_id = 'TWICE'`)).toBe(1);
  });
});

describe('a bad response file is quarantined whole, with its reason, and nothing of it applied', () => {
  const cases: [string, (id: string, r: string[]) => string, string, string][] = [
    ['count mismatch', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), ok(r[1]!, 1), ok(r[2]!, 2), 'T|4|1500'), 'BATCH_COUNT_MISMATCH', 'line 5'],
    ['total mismatch', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), ok(r[1]!, 1), ok(r[2]!, 2), 'T|3|1499'), 'BATCH_TOTAL_MISMATCH', 'line 5'],
    ['duplicate reference in the file', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), ok(r[1]!, 1), ok(r[0]!, 0), 'T|3|1500'), 'BATCH_DUPLICATE_REFERENCE', 'line 4'],
    ['unknown reference', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), ok(`${id}-NEVER`, 1), ok(r[2]!, 2), 'T|3|1500'), 'BATCH_UNKNOWN_REFERENCE', 'line 3'],
    ['malformed line', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), `D|${r[1]}|${MSISDN[1]}|500|500`, ok(r[2]!, 2), 'T|3|1500'), 'BATCH_MALFORMED_LINE', 'line 3'],
    ['bad msisdn', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), `D|${r[1]}|1380000000|500|500|OK`, ok(r[2]!, 2), 'T|3|1500'), 'BATCH_MALFORMED_LINE', 'msisdn'],
    ['truncated end, no trailer', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), ok(r[1]!, 1), ok(r[2]!, 2)), 'BATCH_TRUNCATED', 'line 4'],
    ['header missing', (_id, r) => lines(ok(r[0]!, 0), ok(r[1]!, 1), ok(r[2]!, 2), 'T|3|1500'), 'BATCH_HEADER_MISSING', 'line 1'],
    ['msisdn not the one we charged', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), `D|${r[1]}|13900000009|500|500|OK`, ok(r[2]!, 2), 'T|3|1500'), 'BATCH_REFERENCE_MISMATCH', 'line 3'],
    ['amount not the one we asked', (id, r) => lines(responseHeader(id), ok(r[0]!, 0), ok(r[1]!, 1, 600), ok(r[2]!, 2), 'T|3|1600'), 'BATCH_REFERENCE_MISMATCH', 'requestedFen'],
  ];

  it.each(cases.map((c, i) => [...c, i] as const))('%s', async (_name, build, code, where, i) => {
    const id = `BAD${i}`;
    const refs = [`${id}-1`, `${id}-2`, `${id}-3`];
    await attempts(refs);
    let applied = false;
    const result = await deliverAndIngest('deduction_response', id, build(id, refs), async () => void (applied = true));
    expect(result).toMatchObject({ status: 'quarantined', code });
    expect(result.reason).toContain(code);
    expect(result.reason).toContain(where);
    expect(result.reason).not.toMatch(/1380000000\d|13900000009/);
    expect(await fileRow(result.fileDbId)).toMatchObject({ status: 'quarantined', reason: result.reason, kind: 'deduction_response' });
    expect(applied).toBe(false);
    expect(await count('SELECT 1 FROM billing_response_lines WHERE reference_code = ANY($1)', [refs])).toBe(0);
    expect(await count('SELECT 1 FROM billing_response_lines WHERE file_id = $1', [result.fileDbId])).toBe(0);
  });

  it('records a file without a readable header under its checksum', async () => {
    const content = lines('garbage');
    const result = await deliverAndIngest('deduction_response', 'NOHEAD', content);
    expect(result.code).toBe('BATCH_HEADER_MISSING');
    expect((await fileRow(result.fileDbId)).file_id).toBe(`UNREAD-${sha256(content).slice(0, 16)}`);
  });

  it('refuses a reference that an earlier file already answered', async () => {
    await attempts(['E-1', 'E-2', 'E-3']);
    expect((await deliverAndIngest('deduction_response', 'E1', response('E1', ['E-1', 'E-2', 'E-3']))).status).toBe('applied');
    const again = await deliverAndIngest('deduction_response', 'E2', lines(responseHeader('E2'), ok('E-2', 1), 'T|1|500'));
    expect(again).toMatchObject({ status: 'quarantined', code: 'BATCH_DUPLICATE_EARLIER_FILE' });
    expect(await count(`SELECT 1 FROM billing_response_lines WHERE reference_code = 'E-2'`)).toBe(1);
  });

  it('refuses other content under a file id already applied, beside the applied file', async () => {
    await attempts(['R-1', 'R-2', 'R-3']);
    const first = await deliverAndIngest('deduction_response', 'REUSED', response('REUSED', ['R-1', 'R-2', 'R-3']));
    const content = lines(responseHeader('REUSED'), ok('R-1', 0), 'T|1|500');
    const second = await deliverAndIngest('deduction_response', 'REUSED', content);
    expect(second).toMatchObject({ status: 'quarantined', code: 'BATCH_FILE_ID_REUSED' });
    expect(await fileRow(second.fileDbId)).toMatchObject({ file_id: `REUSED~${sha256(content).slice(0, 16)}`, status: 'quarantined' });
    expect(await fileRow(first.fileDbId)).toMatchObject({ file_id: 'REUSED', status: 'applied' });
  });

  it('applies a corrected file sent under the id of a quarantined one, in its place', async () => {
    await attempts(['F-1', 'F-2', 'F-3']);
    const good = response('FIX', ['F-1', 'F-2', 'F-3']);
    const bad = good.replace('T|3|700', 'T|3|701');
    const quarantined = await deliverAndIngest('deduction_response', 'FIX', bad);
    expect(quarantined.code).toBe('BATCH_TOTAL_MISMATCH');
    const fixed = await deliverAndIngest('deduction_response', 'FIX', good);
    expect(fixed).toEqual({ status: 'applied', fileDbId: quarantined.fileDbId, lines: 3 });
    expect(await fileRow(fixed.fileDbId)).toMatchObject({ status: 'applied', reason: null, sha256: sha256(good) });
  });
});

describe('failures that are not the file\'s fault', () => {
  it('records nothing when the download is cut, and the retry applies the file once', async () => {
    const refs = Array.from({ length: 300 }, (_, i) => `CUT-${i}`);
    await attempts(refs, 100);
    const content = lines(responseHeader('CUT'), ...refs.map((r, i) => ok(r, i, 100)), `T|300|30000`);
    writeFileSync(path.join(root, 'inbox', 'DEDRSP_CUT.txt'), content);
    sim.faults.cutNextDownloadAfter(4_000);
    const ingest = async () => ingestBillingFile(db, {
      kind: 'deduction_response', fileName: 'DEDRSP_CUT.txt', source: await client.download('DEDRSP_CUT.txt'), reader: batchFileReaderPort,
    });
    const failed = await ingest().then(() => undefined, (e: unknown) => e);
    expect(failed).toBeInstanceOf(BillingSftpError);
    expect(await count(`SELECT 1 FROM billing_files WHERE file_id = 'CUT'`)).toBe(0);
    expect(await ingest()).toMatchObject({ status: 'applied', lines: 300 });
    expect(await ingest()).toMatchObject({ status: 'duplicate' });
    expect(await count(`SELECT 1 FROM billing_response_lines WHERE reference_code LIKE 'CUT-%'`)).toBe(300);
  });

  it('undoes everything when onApplied fails', async () => {
    await attempts(['O-1', 'O-2', 'O-3']);
    const failing = deliverAndIngest('deduction_response', 'ONAPPLIED', response('ONAPPLIED', ['O-1', 'O-2', 'O-3']), async () => {
      throw new Error('ledger is down');
    });
    await expect(failing).rejects.toThrow('ledger is down');
    expect(await count(`SELECT 1 FROM billing_files WHERE file_id = 'ONAPPLIED'`)).toBe(0);
    expect(await count(`SELECT 1 FROM billing_response_lines WHERE reference_code LIKE 'O-%'`)).toBe(0);
  });

  it('does not rerun a transaction whose file stream is used up', async () => {
    await attempts(['S-1', 'S-2', 'S-3']);
    const serialization = Object.assign(new Error('could not serialize access'), { code: '40001' });
    const error = await deliverAndIngest('deduction_response', 'SERIAL', response('SERIAL', ['S-1', 'S-2', 'S-3']), async () => {
      throw serialization;
    }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('BILLING_INGEST_NOT_REPEATABLE');
    expect(await count(`SELECT 1 FROM billing_files WHERE file_id = 'SERIAL'`)).toBe(0);
  });
});

describe('ingesting a settlement file', () => {
  const settlementHeader = (id: string) => `H|SETTLE|${id}|20260131|20260131180000|CARRIER|01`;

  it('applies what the carrier transferred per reference, once per reference', async () => {
    await attempts(['ST-1', 'ST-2', 'ST-3']);
    const result = await deliverAndIngest('settlement', 'S1', lines(settlementHeader('S1'), `D|ST-1|${MSISDN[0]}|500`, `D|ST-3|${MSISDN[2]}|200`, 'T|2|700'));
    expect(result).toMatchObject({ status: 'applied', lines: 2 });
    expect(await db.query('SELECT reference_code, amount_fen FROM billing_settlement_lines WHERE file_id = $1 ORDER BY line_no', [result.fileDbId]))
      .toEqual([{ reference_code: 'ST-1', amount_fen: 500 }, { reference_code: 'ST-3', amount_fen: 200 }]);
    const again = await deliverAndIngest('settlement', 'S2', lines(settlementHeader('S2'), `D|ST-2|${MSISDN[1]}|500`, `D|ST-3|${MSISDN[2]}|200`, 'T|2|700'));
    expect(again).toMatchObject({ status: 'quarantined', code: 'BATCH_DUPLICATE_EARLIER_FILE' });
    expect(again.reason).toContain('line 3');
    const unknown = await deliverAndIngest('settlement', 'S3', lines(settlementHeader('S3'), 'D|NOPE|13800000001|500', 'T|1|500'));
    expect(unknown).toMatchObject({ status: 'quarantined', code: 'BATCH_UNKNOWN_REFERENCE' });
    expect(await count(`SELECT 1 FROM billing_settlement_lines`)).toBe(2);
  });
});

describe('ingesting a recharge feed', () => {
  const feedHeader = (id: string) => `H|RECHG|${id}|20260115|20260115120500|CARRIER|01`;
  const event = (id: string, fen: number) => `D|${id}|${MSISDN[0]}|${fen}|20260115103000`;

  it('records each event id once, whether it came by webhook or in a feed', async () => {
    await db.query(`INSERT INTO carrier_recharges (event_id, msisdn, amount_fen, recharged_at, source) VALUES ('EV-1', $1, 100, now(), 'webhook')`, [MSISDN[0]]);
    const feed = lines(feedHeader('R1'), event('EV-1', 100), event('EV-2', 200), event('EV-3', 300), 'T|3|600');
    const newInOnApplied: string[] = [];
    const first = await deliverAndIngest('recharge', 'R1', feed, async (tx) => {
      const rows = await tx.query<{ event_id: string }>('SELECT event_id FROM billing_stage WHERE is_new ORDER BY line_no');
      newInOnApplied.push(...rows.map((r) => r.event_id));
    });
    expect(first).toMatchObject({ status: 'applied', lines: 3, knownEvents: 1 });
    expect(newInOnApplied).toEqual(['EV-2', 'EV-3']);
    expect(await db.query(`SELECT event_id, source, amount_fen, recharged_at::text AS at FROM carrier_recharges WHERE event_id LIKE 'EV-%' ORDER BY event_id`)).toEqual([
      { event_id: 'EV-1', source: 'webhook', amount_fen: 100, at: expect.any(String) },
      { event_id: 'EV-2', source: 'sftp', amount_fen: 200, at: '2026-01-15 02:30:00+00' },
      { event_id: 'EV-3', source: 'sftp', amount_fen: 300, at: '2026-01-15 02:30:00+00' },
    ]);
    expect((await deliverAndIngest('recharge', 'R1', feed)).status).toBe('duplicate');
    const next = await deliverAndIngest('recharge', 'R2', lines(feedHeader('R2'), event('EV-3', 300), event('EV-4', 400), 'T|2|700'));
    expect(next).toMatchObject({ status: 'applied', knownEvents: 1 });
    expect(await count(`SELECT 1 FROM carrier_recharges WHERE event_id LIKE 'EV-%'`)).toBe(4);
    const twiceInFile = await deliverAndIngest('recharge', 'R3', lines(feedHeader('R3'), event('EV-9', 1), event('EV-9', 1), 'T|2|2'));
    expect(twiceInFile).toMatchObject({ status: 'quarantined', code: 'BATCH_DUPLICATE_REFERENCE' });
    expect(await count(`SELECT 1 FROM carrier_recharges WHERE event_id = 'EV-9'`)).toBe(0);
  });
});
