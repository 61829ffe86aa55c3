/**
 * The batch cycle over the real SFTP wire: a batch run's attempts go out as a request
 * file, the carrier simulator answers it, the response is applied to loans and the ledger
 * in bulk, and the monthly settlement is posted and reconciled.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFileReaderPort } from '../../adapters/billing/batch-file-reader.js';
import { parseBatchFileName } from '../../adapters/billing/batch-file-format.js';
import { BillingSftpClient } from '../../adapters/billing/sftp-client.js';
import { startBillingSftpSimulator, type BillingSftpSimulator } from '../../adapters/billing/sftp-simulator.js';
import { SubscriberBook } from '../../adapters/billing/subscriber-book.js';
import { collectCarrierFiles, sendDeductionRequests, type BillingFileDeps } from '../../src/billing/billing-files.js';
import { deductionRunStatus, startDeductionRun } from '../../src/billing/deduction-runs.js';
import { registerMandate } from '../../src/billing/mandates.js';
import { listBillingBreaks } from '../../src/billing/reconciliation.js';
import type { IngestibleBillingFileKind } from '../../src/billing/ingest-batch-file.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { importLoanBook } from '../../src/loans/import-loan-book.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { idNumber } from '../support/identities.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const LOANS = 30;
const NOW = new Date('2026-02-15T01:00:00Z');

function kindOfFile(name: string): IngestibleBillingFileKind | undefined {
  const kind = parseBatchFileName(name)?.kind;
  return kind === 'deduction_request' ? undefined : kind;
}

describe('batch phone-credit deductions over SFTP', () => {
  let t: TestDatabase;
  let root: string;
  let sim: BillingSftpSimulator;
  let deps: BillingFileDeps;
  const book = new SubscriberBook(0);

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedProductLibrary(t.db, 120_000);
    root = await mkdtemp(path.join(os.tmpdir(), 'billing-batch-'));
    sim = await startBillingSftpSimulator({ book, rootDir: root, username: 'lender', password: 'secret' });
    deps = { db: t.db, transport: new BillingSftpClient(sim.url), reader: batchFileReaderPort, kindOfFile, attemptsMax: 5 };
    const lines = Array.from({ length: LOANS }, (_, n) => {
      const mobile = String(13_600_000_000 + n);
      book.set({ msisdn: mobile, plan: 'prepaid', status: 'active', balanceFen: n % 3 === 0 ? 100 : 20_000, billFen: 0 });
      return JSON.stringify({ borrowerName: '孙七', idNumber: idNumber(700_000 + n), mobile, productCode: 'X001', principalFen: 1_000_000,
        startDate: '2026-01-15', repaymentChannels: ['phone_credit'] });
    });
    const { loanIds } = await importLoanBook(t.db, lines.join('\n'), 'test');
    for (const loanId of loanIds) await registerMandate(t.db, loanId, 'prepaid');
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('sends the run as one request file and applies the carrier response once', async () => {
    const run = await startDeductionRun(t.db, { businessDate: '2026-02-15', daysBefore: 0, attemptsMax: 5, mode: 'batch', actor: 'test' });
    expect(run.attemptsCreated).toBe(LOANS);
    const sent = await sendDeductionRequests(deps, '2026-02-15', NOW);
    expect(sent).toMatchObject({ status: 'uploaded', recordCount: LOANS, amountTotalFen: LOANS * 3_333 });
    expect((await sendDeductionRequests(deps, '2026-02-15', NOW)).status).toBe('already_uploaded');
    await sim.settled();

    const collected = await collectCarrierFiles(deps);
    expect(collected.map((c) => c.result.status)).toEqual(['applied']);
    expect(await collectCarrierFiles(deps)).toEqual([]);

    const lowCredit = Array.from({ length: LOANS }, (_, n) => n).filter((n) => n % 3 === 0).length;
    const status = await deductionRunStatus(t.db, run.runId);
    expect(status.charged).toMatchObject({ count: LOANS - lowCredit, chargedFen: (LOANS - lowCredit) * 3_333 });
    expect(status.insufficient.count).toBe(lowCredit);
    const paid = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM installments WHERE number = 1 AND status = 'paid'`);
    expect(paid[0]!.n).toBe(LOANS - lowCredit);
    const balance = await trialBalance(t.db);
    expect(balance.totalFen).toBe(0);
    expect(balance.mismatchedAccounts).toEqual([]);
    expect(balance.byPurpose.find((p) => p.purpose === 'carrier_billing_receivable')?.balanceFen).toBe((LOANS - lowCredit) * 3_333);
  });

  it('posts the settlement to custody cash and lists a carrier-side difference as a break', async () => {
    const [charge] = await t.db.query<{ reference_code: string; msisdn: string }>(
      `SELECT reference_code, msisdn FROM deduction_attempts WHERE status = 'charged' ORDER BY id LIMIT 1`);
    // The carrier gave part of one charge back on its own; its settlement is short by that much.
    book.refund(charge!.msisdn, 1_000, 'CARRIER-ADJ-1', charge!.reference_code);
    await sim.produceSettlementFile('2026-02-28');
    expect((await collectCarrierFiles(deps)).map((c) => c.result.status)).toEqual(['applied']);

    const balance = await trialBalance(t.db);
    const charged = (await deductionRunStatus(t.db, 1)).charged.chargedFen;
    expect(balance.byPurpose.find((p) => p.purpose === 'carrier_billing_receivable')?.balanceFen).toBe(1_000);
    expect(balance.byPurpose.find((p) => p.purpose === 'custody_bank_cash')?.balanceFen).toBe(charged - 1_000);
    const breaks = await listBillingBreaks(t.db, '2026-02-28');
    expect(breaks).toEqual([expect.objectContaining({ kind: 'amount_mismatch', referenceCode: charge!.reference_code, expectedFen: 3_333, actualFen: 2_333 })]);
  });

  it('gives installments waiting on low credit a new attempt when the recharge feed shows a top-up', async () => {
    const [waiting] = await t.db.query<{ loan_id: number; msisdn: string }>(
      `SELECT loan_id, msisdn FROM deduction_attempts WHERE status = 'insufficient' ORDER BY id LIMIT 1`);
    const event = book.recharge(waiting!.msisdn, 10_000, new Date('2026-02-16T02:00:00Z'));
    await sim.produceRechargeFile([event]);
    expect((await collectCarrierFiles(deps)).map((c) => c.result.status)).toEqual(['applied']);
    const attempts = await t.db.query<{ attempt_no: number; status: string; trigger: string }>(
      `SELECT attempt_no, status, trigger FROM deduction_attempts WHERE loan_id = $1 ORDER BY attempt_no`, [waiting!.loan_id]);
    expect(attempts).toEqual([{ attempt_no: 1, status: 'insufficient', trigger: 'schedule' }, { attempt_no: 2, status: 'pending', trigger: 'recharge' }]);
    const jobs = await t.db.query(`SELECT 1 FROM outbox WHERE queue = 'billing-charges'`);
    expect(jobs).toHaveLength(1);
  });

  it('lists a request the carrier left without a result as a break', async () => {
    const run = await startDeductionRun(t.db, { businessDate: '2026-03-15', daysBefore: 0, attemptsMax: 5, mode: 'batch', actor: 'test' });
    await sendDeductionRequests(deps, '2026-03-15', NOW);
    await sim.settled();
    // An attempt of the same run that the carrier's answer does not mention.
    const [lost] = await t.db.query<{ reference_code: string }>(`INSERT INTO deduction_attempts
        (run_id, loan_id, installment_number, attempt_no, trigger, reference_code, msisdn, plan, due_fen, status)
      SELECT $1, loan_id, 3, 1, 'schedule', 'DED' || loan_id || 'I3A1', msisdn, plan, 3333, 'requested_in_file'
      FROM deduction_mandates ORDER BY loan_id LIMIT 1 RETURNING reference_code`, [run.runId]);
    expect((await collectCarrierFiles(deps)).map((c) => c.result.status)).toEqual(['applied']);
    const breaks = await listBillingBreaks(t.db, '2026-03-15');
    expect(breaks.filter((b) => b.kind === 'no_result')).toEqual([expect.objectContaining({ referenceCode: lost!.reference_code, expectedFen: 3_333 })]);
    const events = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE job_name = 'billing.deduction_charged'`);
    expect(events[0]!.n).toBeGreaterThan(0);
  });
});
