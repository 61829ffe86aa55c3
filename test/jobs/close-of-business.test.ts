import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/core/calendar-date.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { closeOfBusiness } from '../../src/jobs/close-of-business.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { postRepayment } from '../../src/loans/post-repayment.js';
import { writeOffLoan } from '../../src/loans/write-off-loan.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  activeLoan, domainCode, installments, loanBalances, loanRow, owedOn, RATE_CEILING_PPM, transitions,
} from '../loans/loan-helpers.js';

/** Z001 CNY 50,000 from 2026-01-15: installment 1 is due 2026-02-15 with principal 833,333 and interest 41,667. */
const START = '2026-01-15';
const DUE_1 = '2026-02-15';
const PRINCIPAL_1 = 833_333;
const INTEREST_1 = 41_667;
/** Penalty per day on installment 1 by hand: 833,333 x 12% / 360 = 277.78 -> 278 fen. */
const PENALTY_PER_DAY_1 = 278;

async function freshDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  await seedProductLibrary(t.db, RATE_CEILING_PPM);
  return t;
}

/** Every row of the tables close of business reads or writes, as text. */
async function everything(q: Queryable): Promise<string> {
  const tables = {
    journal_entries: await q.query(`SELECT * FROM journal_entries ORDER BY id`),
    postings: await q.query(`SELECT * FROM postings ORDER BY id`),
    ledger_accounts: await q.query(`SELECT * FROM ledger_accounts ORDER BY id`),
    installments: await q.query(`SELECT * FROM installments ORDER BY loan_id, number`),
    loans: await q.query(`SELECT * FROM loans ORDER BY id`),
    loan_transitions: await q.query(`SELECT * FROM loan_transitions ORDER BY id`),
    outbox: await q.query(`SELECT * FROM outbox ORDER BY id`),
    cob_runs: await q.query(`SELECT * FROM cob_runs ORDER BY business_date`),
  };
  return JSON.stringify(tables);
}

/** The ledger agrees with the installments of the loan, and the books balance. */
async function expectLedgerMatchesInstallments(db: Database, loanId: number): Promise<void> {
  const owed = owedOn(await installments(db, loanId));
  expect(await loanBalances(db, loanId)).toMatchObject({
    loan_principal: owed.principal, interest_receivable: owed.interestAccruedUnpaid, penalty_receivable: owed.penalty, fee_receivable: owed.fee,
  });
  const tb = await trialBalance(db);
  expect(tb.totalFen).toBe(0);
  expect(tb.mismatchedAccounts).toEqual([]);
}

describe('close of business: idempotency', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await freshDatabase(); });
  afterAll(async () => { await t.drop(); });

  it('a date run twice: the second reports alreadyCompleted and changes nothing at all', async () => {
    const loan = await activeLoan(t.db, START);
    const first = await closeOfBusiness(t.db, '2026-02-20');
    expect(first).toMatchObject({ alreadyCompleted: false, loansNewlyOverdue: 1, installmentsNewlyOverdue: 1, loansAccrued: 1, loansPenalised: 1 });
    expect(first.entriesPosted).toBe(2); // one accrual and one penalty entry for the loan
    const before = await everything(t.db);
    const second = await closeOfBusiness(t.db, '2026-02-20');
    expect(second).toEqual({ ...first, alreadyCompleted: true });
    expect(await everything(t.db)).toBe(before);
    await expectLedgerMatchesInstallments(t.db, loan.id);
  });

  it('two concurrent runs for the same date post once', async () => {
    const runs = await Promise.all([closeOfBusiness(t.db, '2026-02-21'), closeOfBusiness(t.db, '2026-02-21'), closeOfBusiness(t.db, '2026-02-21')]);
    expect(runs.filter((r) => !r.alreadyCompleted)).toHaveLength(1);
    const fresh = runs.find((r) => !r.alreadyCompleted)!;
    for (const r of runs) expect(r).toEqual({ ...fresh, alreadyCompleted: r.alreadyCompleted });
    const [entries] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key LIKE 'cob:2026-02-21:%'`);
    expect(entries!.n).toBe(fresh.entriesPosted);
    expect(fresh.penaltyChargedFen).toBe(PENALTY_PER_DAY_1);
    const [run] = await t.db.query<{ status: string; n: number }>(`SELECT status, (SELECT count(*) FROM cob_runs WHERE business_date = '2026-02-21')::int AS n FROM cob_runs WHERE business_date = '2026-02-21'`);
    expect(run).toEqual({ status: 'completed', n: 1 });
  });

  it('refuses a date that is not a calendar date', async () => {
    expect(await domainCode(closeOfBusiness(t.db, '2026-02-30'))).toBe('INVALID_DATE');
    expect(await domainCode(closeOfBusiness(t.db, '20260220'))).toBe('INVALID_DATE');
  });
});

describe('close of business: daily interest accrual and penalty', () => {
  let t: TestDatabase;
  let loanId: number;
  beforeAll(async () => {
    t = await freshDatabase();
    loanId = (await activeLoan(t.db, START)).id;
  });
  afterAll(async () => { await t.drop(); });

  it('accrues day by day to exactly the installment interest by its due date', async () => {
    const accrualEntries: number[] = [];
    for (let date = addDays(START, 1); date <= DUE_1; date = addDays(date, 1)) {
      const summary = await closeOfBusiness(t.db, date);
      accrualEntries.push(summary.interestAccruedFen);
      const [first] = await installments(t.db, loanId);
      const elapsed = Math.round((Date.parse(date) - Date.parse(START)) / 86_400_000);
      // Cumulative accrual = round(interest x elapsed / days in period), half-up; period is 31 days.
      expect(first!.interestAccruedFen).toBe(Math.floor((INTEREST_1 * elapsed * 2 + 31) / 62));
      expect(first!.status).toBe('pending');
    }
    expect(accrualEntries).toHaveLength(31);
    expect(accrualEntries[0]).toBe(1_344); // round(41,667 / 31) = round(1,344.1)
    expect(accrualEntries.reduce((s, x) => s + x, 0)).toBe(INTEREST_1);
    expect((await installments(t.db, loanId))[0]!.interestAccruedFen).toBe(INTEREST_1);
    expect((await installments(t.db, loanId))[1]!.interestAccruedFen).toBe(0);
    expect((await loanBalances(t.db, loanId)).interest_receivable).toBe(INTEREST_1);
    expect(await loanRow(t.db, loanId)).toMatchObject({ status: 'active', days_past_due: 0, bucket: 'current' });
    await expectLedgerMatchesInstallments(t.db, loanId);
  });

  it('the day after the due date the unpaid installment and the loan go overdue, with a transition and an outbox row', async () => {
    const summary = await closeOfBusiness(t.db, '2026-02-16');
    expect(summary).toMatchObject({ installmentsNewlyOverdue: 1, loansNewlyOverdue: 1, penaltyChargedFen: PENALTY_PER_DAY_1, loansPenalised: 1 });
    expect(summary.buckets).toEqual({ '1-30': 1 });
    const [first] = await installments(t.db, loanId);
    expect(first).toMatchObject({ status: 'overdue', penaltyFen: PENALTY_PER_DAY_1 });
    expect(await loanRow(t.db, loanId)).toMatchObject({ status: 'overdue', days_past_due: 1, bucket: '1-30' });
    expect((await transitions(t.db, loanId)).at(-1)).toEqual({
      from_status: 'active', to_status: 'overdue', actor: 'close-of-business',
      reason: 'installment unpaid after its due date, business date 2026-02-16',
    });
    const outbox = await t.db.query<{ queue: string; payload: unknown }>(`SELECT queue, payload FROM outbox WHERE job_name = 'loan.overdue'`);
    expect(outbox).toEqual([{ queue: expect.any(String), payload: { loanId, businessDate: '2026-02-16' } }]);
    await expectLedgerMatchesInstallments(t.db, loanId);
  });

  it('charges penalty every day on the overdue principal and keeps accruing the next installment', async () => {
    for (let date = '2026-02-17'; date <= '2026-03-15'; date = addDays(date, 1)) {
      const summary = await closeOfBusiness(t.db, date);
      expect(summary.penaltyChargedFen).toBe(PENALTY_PER_DAY_1);
      expect(summary.loansNewlyOverdue).toBe(0);
    }
    const [first, second] = await installments(t.db, loanId);
    expect(first!.penaltyFen).toBe(PENALTY_PER_DAY_1 * 28); // 2026-02-16 .. 2026-03-15
    expect(second!.interestAccruedFen).toBe(second!.interestFen);
    expect((await loanBalances(t.db, loanId)).penalty_receivable).toBe(PENALTY_PER_DAY_1 * 28);
    // Only one overdue transition and outbox row, however many days it stays overdue.
    expect((await transitions(t.db, loanId)).filter((r) => r.to_status === 'overdue')).toHaveLength(1);
    expect(await t.db.query(`SELECT id FROM outbox WHERE job_name = 'loan.overdue'`)).toHaveLength(1);
    await expectLedgerMatchesInstallments(t.db, loanId);
  });

  it('once the second installment is missed, penalty runs on both and days past due counts from the oldest', async () => {
    const summary = await closeOfBusiness(t.db, '2026-03-16');
    // Installment 2 principal 833,333 too: 278 + 278.
    expect(summary.penaltyChargedFen).toBe(2 * PENALTY_PER_DAY_1);
    expect(summary.installmentsNewlyOverdue).toBe(1);
    expect(summary.loansNewlyOverdue).toBe(0);
    expect(await loanRow(t.db, loanId)).toMatchObject({ status: 'overdue', days_past_due: 29, bucket: '1-30' });
  });

  it('repaying everything overdue cures the loan: active again, zero days past due, no more penalty', async () => {
    const rows = await installments(t.db, loanId);
    const overdue = rows.filter((r) => r.dueDate < '2026-03-17');
    const overdueOwed = overdue.reduce((s, r) => s + (r.principalFen - r.principalPaidFen) + (r.interestFen - r.interestPaidFen) + (r.penaltyFen - r.penaltyPaidFen), 0);
    const result = await postRepayment(t.db, loanId, { amountFen: overdueOwed, channel: 'passbook', externalRef: 'CURE-1', businessDate: '2026-03-17' });
    expect(result.loanStatus).toBe('active');
    expect(result.allocation.creditFen).toBe(0);
    // Penalty first, then overdue interest, then overdue principal; nothing on installment 3.
    expect(result.allocation.lines.map((l) => `${l.installment}:${l.component}`)).toEqual([
      '1:penalty', '2:penalty', '1:interest', '2:interest', '1:principal', '2:principal',
    ]);
    expect(await loanRow(t.db, loanId)).toMatchObject({ status: 'active', days_past_due: 0, bucket: 'current' });
    expect((await transitions(t.db, loanId)).at(-1)).toMatchObject({ from_status: 'overdue', to_status: 'active', actor: 'repayment' });
    expect((await installments(t.db, loanId)).slice(0, 2).map((r) => r.status)).toEqual(['paid', 'paid']);
    await expectLedgerMatchesInstallments(t.db, loanId);
    const next = await closeOfBusiness(t.db, '2026-03-17');
    expect(next).toMatchObject({ penaltyChargedFen: 0, loansNewlyOverdue: 0, installmentsNewlyOverdue: 0 });
    expect(await loanRow(t.db, loanId)).toMatchObject({ status: 'active', days_past_due: 0, bucket: 'current' });
    expect((await loanBalances(t.db, loanId)).penalty_receivable).toBe(0);
    await expectLedgerMatchesInstallments(t.db, loanId);
  });
});

describe('close of business: skipped days catch up', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await freshDatabase(); });
  afterAll(async () => { await t.drop(); });

  it('interest accrued across skipped days is the same as day by day, and penalty for skipped days is charged at once', async () => {
    const loan = await activeLoan(t.db, START);
    const first = await closeOfBusiness(t.db, '2026-01-25');
    // 10 of 31 days: round(41,667 x 10 / 31) = round(13,440.97) = 13,441.
    expect(first.interestAccruedFen).toBe(13_441);
    const second = await closeOfBusiness(t.db, '2026-02-16');
    // The rest of installment 1 (41,667 - 13,441) and 1 of 28 days of installment 2: round(34,722 / 28) = 1,240.
    const [, i2] = await installments(t.db, loan.id);
    expect(i2!.interestFen).toBe(34_722);
    expect(second.interestAccruedFen).toBe(INTEREST_1 - 13_441 + 1_240);
    expect(second.penaltyChargedFen).toBe(PENALTY_PER_DAY_1);
    // Skip nine days: ten days of penalty at once, round(833,333 x 12% x 10 / 360) = round(2,777.78) = 2,778.
    const third = await closeOfBusiness(t.db, '2026-02-26');
    expect(third.penaltyChargedFen).toBe(2_778);
    const [i1] = await installments(t.db, loan.id);
    expect(i1!.penaltyFen).toBe(PENALTY_PER_DAY_1 + 2_778);
    const [through] = await t.db.query<{ penalty_through_date: string }>(
      `SELECT penalty_through_date FROM installments WHERE loan_id = $1 AND number = 1`, [loan.id]);
    expect(through!.penalty_through_date).toBe('2026-02-26');
    expect(await loanRow(t.db, loan.id)).toMatchObject({ status: 'overdue', days_past_due: 11, bucket: '1-30' });
    await expectLedgerMatchesInstallments(t.db, loan.id);
  });
});

describe('close of business: delinquency buckets', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await freshDatabase(); });
  afterAll(async () => { await t.drop(); });

  it.each([
    [0, 'current', 'active'], [1, '1-30', 'overdue'], [30, '1-30', 'overdue'], [31, '31-60', 'overdue'], [60, '31-60', 'overdue'],
    [61, '61-90', 'overdue'], [90, '61-90', 'overdue'], [91, '90+', 'overdue'], [120, '90+', 'overdue'],
  ] as const)('%i days after the first missed due date the loan is in bucket %s', async (days, bucket, status) => {
    const [existing] = await t.db.query<{ id: number }>(`SELECT id FROM loans ORDER BY id LIMIT 1`);
    const loanId = existing?.id ?? (await activeLoan(t.db, START)).id;
    const summary = await closeOfBusiness(t.db, addDays(DUE_1, days));
    expect(await loanRow(t.db, loanId)).toMatchObject({ status, days_past_due: days, bucket });
    expect(summary.buckets).toEqual({ [bucket]: 1 });
    await expectLedgerMatchesInstallments(t.db, loanId);
  });
});

/** A Database whose transactions finish their work, then wait for `release()` before committing. */
function heldOpen(db: Database): { db: Database; release: () => void; workDone: Promise<void> } {
  let release!: () => void;
  let done!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const workDone = new Promise<void>((resolve) => { done = resolve; });
  return {
    release, workDone,
    db: { ...db, transaction: (fn) => db.transaction(async (tx) => { const result = await fn(tx); done(); await gate; return result; }) },
  };
}

async function untilSomeoneWaitsOnALock(db: Database): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const waiting = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if (waiting.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('close of business never waited on a lock');
}

describe('close of business and loan events committed while it runs', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await freshDatabase(); });
  afterAll(async () => { await t.drop(); });

  it('a repayment committing during the run leaves no penalty on a paid installment', async () => {
    const loan = await activeLoan(t.db, START);
    await closeOfBusiness(t.db, '2026-02-18');
    const [i1] = await installments(t.db, loan.id);
    const owed = i1!.principalFen + i1!.interestFen + i1!.penaltyFen;
    const held = heldOpen(t.db);
    const repayment = postRepayment(held.db, loan.id, { amountFen: owed, channel: 'passbook', externalRef: 'RACE-1', businessDate: '2026-02-19' });
    await held.workDone;
    const cob = closeOfBusiness(t.db, '2026-02-19');
    await untilSomeoneWaitsOnALock(t.db);
    held.release();
    expect((await repayment).loanStatus).toBe('active');
    const summary = await cob;
    expect(summary.penaltyChargedFen).toBe(0);
    const [after] = await installments(t.db, loan.id);
    expect(after).toMatchObject({ status: 'paid', penaltyFen: after!.penaltyPaidFen });
    await expectLedgerMatchesInstallments(t.db, loan.id);
  });

  it('a write-off committing during the run leaves nothing on the written-off loan', async () => {
    const loan = await activeLoan(t.db, '2026-03-10');
    await closeOfBusiness(t.db, '2026-04-20');
    expect((await loanRow(t.db, loan.id)).status).toBe('overdue');
    const held = heldOpen(t.db);
    const writeOff = writeOffLoan(held.db, loan.id, '2026-04-21', 'ops:risk', 'fraud confirmed');
    await held.workDone;
    const cob = closeOfBusiness(t.db, '2026-04-21');
    await untilSomeoneWaitsOnALock(t.db);
    held.release();
    await writeOff;
    await cob;
    expect(await loanBalances(t.db, loan.id)).toEqual({ loan_principal: 0, interest_receivable: 0, penalty_receivable: 0, fee_receivable: 0, borrower_credit: 0 });
    const tb = await trialBalance(t.db);
    expect(tb.totalFen).toBe(0);
    expect(tb.mismatchedAccounts).toEqual([]);
  });
});
