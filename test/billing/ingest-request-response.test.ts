/**
 * The batch cycle over the real wire and the real database: the deduction request file is
 * written from the attempts of the day's batch run and uploaded; the simulated carrier
 * charges it against its subscriber book and answers; we download and ingest the answer.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFileReaderPort } from '../../adapters/billing/batch-file-reader.js';
import { BillingSftpClient } from '../../adapters/billing/sftp-client.js';
import { startBillingSftpSimulator, type BillingSftpSimulator } from '../../adapters/billing/sftp-simulator.js';
import { SubscriberBook } from '../../adapters/billing/subscriber-book.js';
import { writeDeductionRequestFile } from '../../src/billing/deduction-request-file.js';
import { ingestBillingFile } from '../../src/billing/ingest-batch-file.js';
import type { Database } from '../../src/db/database.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { activeLoan, RATE_CEILING_PPM } from '../loans/loan-helpers.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const RICH = '13800000001';
const POOR = '13800000002';
const BUSINESS_DATE = '2026-02-15';
const TIMEOUTS = { connectMs: 5_000, operationMs: 5_000, transferIdleMs: 5_000 };

let testDb: TestDatabase;
let db: Database;
let root: string;
let book: SubscriberBook;
let sim: BillingSftpSimulator;
let client: BillingSftpClient;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  await seedProductLibrary(db, RATE_CEILING_PPM);
  root = mkdtempSync(path.join(os.tmpdir(), 'billing-cycle-'));
  book = new SubscriberBook(10);
  book.set({ msisdn: RICH, plan: 'prepaid', status: 'active', balanceFen: 100_000_000, billFen: 0 });
  book.set({ msisdn: POOR, plan: 'prepaid', status: 'active', balanceFen: 100, billFen: 0 });
  sim = await startBillingSftpSimulator({ book, rootDir: root, username: 'lender', password: 'secret' });
  client = new BillingSftpClient(sim.url, TIMEOUTS);
});

afterAll(async () => {
  await sim?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  await testDb?.drop();
});

/** A batch run for `businessDate` with one attempt per (loan, msisdn, status). */
async function batchRun(businessDate: string, attempts: { loanId: number; msisdn: string; status: string; dueFen: number }[]): Promise<number> {
  const [run] = await db.query<{ id: number }>(`INSERT INTO deduction_runs (business_date, created_by) VALUES ($1, 'test') RETURNING id`, [businessDate]);
  for (const a of attempts) {
    await db.query(`INSERT INTO deduction_attempts (run_id, loan_id, installment_number, attempt_no, trigger, reference_code, msisdn, plan, due_fen, status)
      VALUES ($1, $2::bigint, 1, $3::int, 'schedule', 'DED' || $2::bigint || 'I1A' || $3::int, $4, 'prepaid', $5, $6)`,
    [run!.id, a.loanId, run!.id, a.msisdn, a.dueFen, a.status]);
  }
  return run!.id;
}

async function ingestInbox(name: string) {
  const kind = name.startsWith('DEDRSP_') ? 'deduction_response' as const : 'settlement' as const;
  return ingestBillingFile(db, { kind, fileName: name, source: await client.download(name), reader: batchFileReaderPort });
}

describe('the daily batch cycle', () => {
  it('sends the day\'s requested attempts, and ingests the carrier\'s answer', async () => {
    const [rich, poor, other] = [await activeLoan(db, '2026-01-15'), await activeLoan(db, '2026-01-15'), await activeLoan(db, '2026-01-15')];
    const runId = await batchRun(BUSINESS_DATE, [
      { loanId: rich.id, msisdn: RICH, status: 'requested_in_file', dueFen: 875_000 },
      { loanId: poor.id, msisdn: POOR, status: 'requested_in_file', dueFen: 875_000 },
      { loanId: other.id, msisdn: RICH, status: 'pending', dueFen: 1 },
    ]);
    await batchRun('2026-02-16', [{ loanId: other.id, msisdn: RICH, status: 'requested_in_file', dueFen: 2 }]);

    const recorded: number[] = [];
    const sent = await writeDeductionRequestFile(db, client, {
      businessDate: BUSINESS_DATE, fileId: 'D20260215', onRecorded: async (_tx, fileDbId) => void recorded.push(fileDbId),
    });
    expect(sent).toMatchObject({ status: 'uploaded', fileName: 'DEDREQ_D20260215.txt', recordCount: 2, amountTotalFen: 1_750_000 });
    expect(recorded).toEqual([sent.fileDbId]);
    await sim.settled();

    const delivered = readFileSync(path.join(root, 'outbox', 'processed', 'DEDREQ_D20260215.txt'), 'utf8');
    expect(createHash('sha256').update(delivered).digest('hex')).toBe(sent.sha256);
    expect(delivered.split('\n').slice(1, 3)).toEqual([
      `D|DED${rich.id}I1A${runId}|${RICH}|875000|${rich.id}-1|20260215`,
      `D|DED${poor.id}I1A${runId}|${POOR}|875000|${poor.id}-1|20260215`,
    ]);
    const [row] = await db.query('SELECT kind, status, record_count, amount_total_fen, sha256, business_date FROM billing_files WHERE id = $1', [sent.fileDbId]);
    expect(row).toEqual({ kind: 'deduction_request', status: 'uploaded', record_count: 2, amount_total_fen: 1_750_000, sha256: sent.sha256, business_date: BUSINESS_DATE });

    const opensBefore = sim.operations.filter((o) => o.op === 'OPEN').length;
    expect(await writeDeductionRequestFile(db, client, { businessDate: BUSINESS_DATE, fileId: 'D20260215' }))
      .toMatchObject({ status: 'already_uploaded', fileDbId: sent.fileDbId, sha256: sent.sha256 });
    expect(sim.operations.filter((o) => o.op === 'OPEN').length).toBe(opensBefore);

    expect((await client.listInbox()).map((f) => f.name)).toEqual(['DEDRSP_D20260215.txt']);
    const answer = await ingestInbox('DEDRSP_D20260215.txt');
    expect(answer).toMatchObject({ status: 'applied', lines: 2 });
    expect(await db.query('SELECT reference_code, result_code, charged_fen FROM billing_response_lines WHERE file_id = $1 ORDER BY line_no', [answer.fileDbId])).toEqual([
      { reference_code: `DED${rich.id}I1A${runId}`, result_code: 'OK', charged_fen: 875_000 },
      { reference_code: `DED${poor.id}I1A${runId}`, result_code: 'INSUFFICIENT', charged_fen: 0 },
    ]);
    await client.archive('DEDRSP_D20260215.txt');
    expect(await client.listInbox()).toEqual([]);

    const settlement = await sim.produceSettlementFile('2026-02-28', 'S202602');
    expect(await ingestInbox(settlement)).toMatchObject({ status: 'applied', lines: 1 });
  });

  it('quarantines a truncated response from the carrier and applies nothing of it', async () => {
    const loan = await activeLoan(db, '2026-01-15');
    const runId = await batchRun('2026-03-15', [{ loanId: loan.id, msisdn: RICH, status: 'requested_in_file', dueFen: 1_000 }]);
    sim.faults.truncateNextResponse();
    await writeDeductionRequestFile(db, client, { businessDate: '2026-03-15', fileId: 'D20260315' });
    await sim.settled();
    const result = await ingestInbox('DEDRSP_D20260315.txt');
    expect(result).toMatchObject({ status: 'quarantined', code: 'BATCH_TRUNCATED' });
    expect(sim.operations.some((o) => o.op === 'RENAME' && o.to === '/outbox/DEDREQ_D20260315.txt')).toBe(true);
    expect(book.chargedReferences().map((c) => c.referenceCode)).toContain(`DED${loan.id}I1A${runId}`);
    expect(await db.query('SELECT 1 FROM billing_response_lines WHERE reference_code = $1', [`DED${loan.id}I1A${runId}`])).toEqual([]);
    expect(await db.query('SELECT status FROM billing_files WHERE id = $1', [result.fileDbId])).toEqual([{ status: 'quarantined' }]);
  });

  it('quarantines a response that does not answer every line of its request', async () => {
    const [a, b] = [await activeLoan(db, '2026-01-15'), await activeLoan(db, '2026-01-15')];
    const runId = await batchRun('2026-04-15', [
      { loanId: a.id, msisdn: RICH, status: 'requested_in_file', dueFen: 300 },
      { loanId: b.id, msisdn: RICH, status: 'requested_in_file', dueFen: 400 },
    ]);
    // Sent from an explicit list, so the carrier never answers it; we forge a short answer.
    const details = [
      { referenceCode: `DED${a.id}I1A${runId}`, msisdn: RICH, amountFen: 300, loanReference: `${a.id}-1`, dueDate: '2026-02-15' },
      { referenceCode: `DED${b.id}I1A${runId}`, msisdn: RICH, amountFen: 400, loanReference: `${b.id}-1`, dueDate: '2026-02-15' },
    ];
    const sent = await writeDeductionRequestFile(db, { sendDeductionRequestFile: async () => ({ fileName: 'DEDREQ_D20260415.txt', sha256: 'x', bytes: 1, recordCount: 2, amountTotalFen: 700 }) },
      { businessDate: '2026-04-15', fileId: 'D20260415', attempts: details });
    expect(sent.recordCount).toBe(2);
    writeFileSync(path.join(root, 'inbox', 'DEDRSP_D20260415.txt'),
      `H|DEDRSP|D20260415|20260415|20260415093000|CARRIER|01\nD|DED${a.id}I1A${runId}|${RICH}|300|300|OK\nT|1|300\n`);
    expect(await ingestInbox('DEDRSP_D20260415.txt')).toMatchObject({ status: 'quarantined', code: 'BATCH_REQUEST_MISMATCH' });
  });
});
