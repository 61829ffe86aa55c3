/**
 * Phone-credit deductions end to end over the real SOAP wire: the billing simulator
 * (Parlay X Payment and Account Management from our WSDL) and the SOAP client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBillingSoapClient, type BillingSoapClient } from '../../adapters/billing/soap-client.js';
import { startBillingSoapSimulator, type BillingSoapSimulator } from '../../adapters/billing/soap-simulator.js';
import { SubscriberBook } from '../../adapters/billing/subscriber-book.js';
import { RetryableChargeError, workChargeAttempt, type ChargeDeps } from '../../src/billing/charge-attempt.handler.js';
import { startDeductionRun } from '../../src/billing/deduction-runs.js';
import { registerMandate } from '../../src/billing/mandates.js';
import { recordRecharge } from '../../src/billing/recharges.js';
import { refundHandler, requestRefund } from '../../src/billing/refunds.js';
import { loadConfig } from '../../src/config.js';
import { addDays } from '../../src/core/calendar-date.js';
import type { Database } from '../../src/db/database.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { applyForLoan } from '../../src/loans/apply-for-loan.js';
import { disburseLoan } from '../../src/loans/disburse-loan.js';
import { closeOfBusiness } from '../../src/jobs/close-of-business.js';
import { writeOffLoan } from '../../src/loans/write-off-loan.js';
import { transitionLoan } from '../../src/loans/transition-loan.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { freshIdNumber } from '../support/identities.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const NOW = new Date('2026-02-15T02:00:00Z');
let t: TestDatabase;
let db: Database;
let book: SubscriberBook;
let sim: BillingSoapSimulator;
let client: BillingSoapClient;
let nextMsisdn = 13_712_340_000;

function deps(overrides: Partial<ChargeDeps['config']> = {}): ChargeDeps {
  const config = { ...loadConfig({}).billing, ...overrides };
  return { db, billing: client, config, clock: () => NOW };
}

/** An X001 loan of CNY 10,000 disbursed 2026-01-15: 3,333 fen interest due 2026-02-15. */
async function phoneCreditLoan(plan: 'prepaid' | 'postpaid', balanceFen: number, status: 'active' | 'suspended' = 'active') {
  nextMsisdn += 1;
  const msisdn = String(nextMsisdn);
  book.set({ msisdn, plan, status, balanceFen, billFen: 0 });
  const loan = await applyForLoan(db, { borrowerName: '王五', idNumber: freshIdNumber(), mobile: msisdn, productCode: 'X001',
    principalFen: 1_000_000, repaymentChannels: ['phone_credit'] }, 'test');
  await transitionLoan(db, loan.id, 'approved', 'test', 'review passed');
  await transitionLoan(db, loan.id, 'contracted', 'test', 'signed');
  await disburseLoan(db, loan.id, { channel: 'passbook', businessDate: '2026-01-15', reference: `B${loan.id}` }, 'test');
  await registerMandate(db, loan.id, plan);
  return { loanId: loan.id, msisdn };
}

async function attemptsOf(loanId: number) {
  return db.query<{ id: number; installment_number: number; status: string; charged_fen: number; attempt_no: number; reference_code: string; outcome_code: string | null }>(
    `SELECT id, installment_number, status, charged_fen, attempt_no, reference_code, outcome_code FROM deduction_attempts
     WHERE loan_id = $1 ORDER BY installment_number, attempt_no`, [loanId]);
}

let runDay = 0;

/** A run on the next free business date from the first due date on (a date runs once). */
async function runFor(loanId: number) {
  runDay += 1;
  await startDeductionRun(db, { businessDate: addDays('2026-02-14', runDay), daysBefore: 0, attemptsMax: 5, mode: 'realtime', actor: 'test' });
  return (await attemptsOf(loanId)).at(-1)!;
}

async function expectBooksBalanced() {
  const balance = await trialBalance(db);
  expect(balance.totalFen).toBe(0);
  expect(balance.mismatchedAccounts).toEqual([]);
}

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  await seedProductLibrary(db, 120_000);
  book = new SubscriberBook(0);
  sim = await startBillingSoapSimulator({ book });
  client = await createBillingSoapClient({ url: sim.url, timeoutMs: 1_500 });
});
afterAll(async () => {
  client.close();
  await sim.close();
  await t.drop();
});
beforeEach(() => { sim.faults.clear(); });

describe('real-time phone-credit deductions', () => {
  it('charges prepaid credit above the reserve and posts the repayment once', async () => {
    const { loanId, msisdn } = await phoneCreditLoan('prepaid', 10_000);
    const attempt = await runFor(loanId);
    await workChargeAttempt(deps(), attempt.id);
    await workChargeAttempt(deps(), attempt.id);
    expect(await attemptsOf(loanId)).toEqual([expect.objectContaining({ status: 'charged', charged_fen: 3_333, outcome_code: 'OK' })]);
    expect(book.get(msisdn)!.balanceFen).toBe(10_000 - 3_333);
    const [installment] = await db.query<{ status: string }>(`SELECT status FROM installments WHERE loan_id = $1 AND number = 1`, [loanId]);
    expect(installment!.status).toBe('paid');
    expect(await db.query(`SELECT amount_fen FROM repayments WHERE loan_id = $1 AND channel = 'phone_credit'`, [loanId])).toEqual([{ amount_fen: 3_333 }]);
    const events = await db.query<{ job_name: string }>(`SELECT job_name FROM outbox WHERE payload->>'loanId' = $1 AND job_name LIKE 'billing.%'`, [String(loanId)]);
    expect(events.map((e) => e.job_name)).toEqual(['billing.deduction_charged']);
    await expectBooksBalanced();
  });

  it('puts the full due on a postpaid bill and records a carrier receivable', async () => {
    const { loanId, msisdn } = await phoneCreditLoan('postpaid', 0);
    const before = (await db.query<{ balance_fen: number }>(`SELECT balance_fen FROM ledger_accounts WHERE code = 'carrier:billing:carrier_billing_receivable'`))[0]?.balance_fen ?? 0;
    await workChargeAttempt(deps(), (await runFor(loanId)).id);
    expect(book.get(msisdn)!.billFen).toBe(3_333);
    const [after] = await db.query<{ balance_fen: number }>(`SELECT balance_fen FROM ledger_accounts WHERE code = 'carrier:billing:carrier_billing_receivable'`);
    expect(after!.balance_fen - before).toBe(3_333);
  });

  it('charges part of the due when partial charges are allowed, and waits otherwise', async () => {
    const partial = await phoneCreditLoan('prepaid', 2_000);
    await workChargeAttempt(deps(), (await runFor(partial.loanId)).id);
    expect((await attemptsOf(partial.loanId))[0]).toMatchObject({ status: 'partial', charged_fen: 1_500 });
    expect(book.get(partial.msisdn)!.balanceFen).toBe(500);

    const waiting = await phoneCreditLoan('prepaid', 2_000);
    await workChargeAttempt(deps({ partialChargesAllowed: false }), (await runFor(waiting.loanId)).id);
    expect((await attemptsOf(waiting.loanId))[0]).toMatchObject({ status: 'insufficient', charged_fen: 0 });
    expect(book.get(waiting.msisdn)!.balanceFen).toBe(2_000);
  });

  it('retries after a recharge: insufficient credit, then a top-up, then success', async () => {
    const { loanId, msisdn } = await phoneCreditLoan('prepaid', 100);
    await workChargeAttempt(deps(), (await runFor(loanId)).id);
    expect((await attemptsOf(loanId))[0]!.status).toBe('insufficient');
    const event = book.recharge(msisdn, 5_000, NOW);
    const result = await recordRecharge(db, event, 'webhook', 5);
    expect(result).toEqual({ eventId: event.eventId, duplicate: false, attemptsTriggered: 1 });
    expect(await recordRecharge(db, event, 'sftp', 5)).toMatchObject({ duplicate: true, attemptsTriggered: 0 });
    const [, second] = await attemptsOf(loanId);
    expect(second).toMatchObject({ attempt_no: 2, status: 'pending', reference_code: `DED${loanId}I1A2` });
    await workChargeAttempt(deps(), second!.id);
    expect((await attemptsOf(loanId))[1]).toMatchObject({ status: 'charged', charged_fen: 3_333 });
    expect(book.get(msisdn)!.balanceFen).toBe(5_100 - 3_333);
  });

  it('hands the installment to collections when the last attempt finds no credit', async () => {
    const { loanId } = await phoneCreditLoan('prepaid', 0);
    await workChargeAttempt(deps({ attemptsPerInstallmentMax: 1 }), (await runFor(loanId)).id);
    expect((await attemptsOf(loanId))[0]!.status).toBe('collections');
    const events = await db.query<{ job_name: string }>(`SELECT job_name FROM outbox WHERE payload->>'loanId' = $1 AND job_name LIKE 'billing.%' ORDER BY id`, [String(loanId)]);
    expect(events.map((e) => e.job_name)).toEqual(['billing.deduction_insufficient', 'billing.handed_to_collections']);
    await startDeductionRun(db, { businessDate: '2026-03-15', daysBefore: 0, attemptsMax: 1, mode: 'realtime', actor: 'test' });
    const attempts = await attemptsOf(loanId);
    expect(attempts.filter((a) => a.installment_number === 1)).toHaveLength(1);
    expect(attempts.filter((a) => a.installment_number === 2)).toEqual([expect.objectContaining({ status: 'pending' })]);
  });

  it('retries a timed-out charge with the same reference and never charges twice', async () => {
    const { loanId, msisdn } = await phoneCreditLoan('prepaid', 10_000);
    const attempt = await runFor(loanId);
    sim.faults.hang({ operation: 'chargeAmount', mode: 'applyThenHang' });
    await expect(workChargeAttempt(deps(), attempt.id)).rejects.toBeInstanceOf(RetryableChargeError);
    expect(book.get(msisdn)!.balanceFen).toBe(10_000 - 3_333);
    expect((await attemptsOf(loanId))[0]!.status).toBe('charging');
    await workChargeAttempt(deps(), attempt.id);
    expect(book.get(msisdn)!.balanceFen).toBe(10_000 - 3_333);
    expect((await attemptsOf(loanId))[0]).toMatchObject({ status: 'charged', charged_fen: 3_333 });
    const charges = sim.requests().filter((r) => r.operation === 'chargeAmount' && r.referenceCode === attempt.reference_code);
    expect(charges).toHaveLength(2);
    await expectBooksBalanced();
  });

  it('recovers from a crash between the carrier charge and the posting without losing or doubling money', async () => {
    const { loanId, msisdn } = await phoneCreditLoan('prepaid', 10_000);
    const attempt = await runFor(loanId);
    // The worker fixed the amount and the carrier charged, then the process died before posting.
    sim.faults.hang({ operation: 'chargeAmount', mode: 'applyThenHang' });
    await expect(workChargeAttempt(deps(), attempt.id)).rejects.toThrow();
    await workChargeAttempt(deps(), attempt.id);
    expect(book.get(msisdn)!.balanceFen).toBe(10_000 - 3_333);
    expect(await db.query(`SELECT count(*)::int AS n FROM repayments WHERE external_ref = $1`, [attempt.reference_code])).toEqual([{ n: 1 }]);
  });

  it('records a suspended subscriber as failed with the carrier code', async () => {
    const { loanId } = await phoneCreditLoan('prepaid', 10_000, 'suspended');
    await workChargeAttempt(deps(), (await runFor(loanId)).id);
    const [attempt] = await attemptsOf(loanId);
    expect(attempt!.status).toBe('failed');
    expect(attempt!.outcome_code).toMatch(/^POL|^SVC/);
  });

  it('keeps a charge that completes after the loan closed as borrower credit, and refunds it through refundAmount', async () => {
    const { loanId, msisdn } = await phoneCreditLoan('prepaid', 10_000);
    const attempt = await runFor(loanId);
    // The amount is fixed and the call times out; meanwhile the loan goes overdue and is written off.
    sim.faults.hang({ operation: 'chargeAmount', mode: 'hangWithoutApplying' });
    await expect(workChargeAttempt(deps(), attempt.id)).rejects.toThrow();
    await closeOfBusiness(db, '2026-03-01');
    await writeOffLoan(db, loanId, '2026-03-01', 'test', 'borrower unreachable');
    await workChargeAttempt(deps(), attempt.id);
    expect(book.get(msisdn)!.balanceFen).toBe(10_000 - 3_333);
    const credit = async () => (await db.query<{ balance_fen: number }>(`SELECT balance_fen FROM ledger_accounts WHERE code = $1`, [`loan:${loanId}:borrower_credit`]))[0]!.balance_fen;
    expect(await credit()).toBe(-3_333);
    await expect(requestRefund(db, { originalReferenceCode: attempt.reference_code, amountFen: 3_334, reason: 'over-deduction', actor: 'test' }))
      .rejects.toMatchObject({ code: 'REFUND_EXCEEDS_CREDIT' });
    const refund = await requestRefund(db, { originalReferenceCode: attempt.reference_code, amountFen: 3_333, reason: 'paid twice', actor: 'test' });
    const handle = refundHandler({ db, billing: client, clock: () => NOW });
    await handle({ id: 'r1', name: 'refund', data: { refundId: refund.id }, attemptsMade: 0 });
    await handle({ id: 'r1', name: 'refund', data: { refundId: refund.id }, attemptsMade: 1 });
    expect(book.get(msisdn)!.balanceFen).toBe(10_000);
    expect(await credit()).toBe(0);
    expect(await db.query(`SELECT status FROM billing_refunds WHERE id = $1`, [refund.id])).toEqual([{ status: 'refunded' }]);
    await expectBooksBalanced();
  });
});
