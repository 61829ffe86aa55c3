import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchedule } from '../../src/core/schedule.js';
import { SEED_PRODUCTS, type ProductDefinition } from '../../src/core/product.js';
import type { Database } from '../../src/db/database.js';
import { closeOfBusiness } from '../../src/jobs/close-of-business.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { applyForLoan } from '../../src/loans/apply-for-loan.js';
import { disburseLoan } from '../../src/loans/disburse-loan.js';
import { postRepayment } from '../../src/loans/post-repayment.js';
import { transitionLoan } from '../../src/loans/transition-loan.js';
import { writeOffLoan } from '../../src/loans/write-off-loan.js';
import { changeProduct, createProduct, retireProduct, seedProductLibrary } from '../../src/products/product-library.js';
import { findLatestProduct } from '../../src/products/product-repository.js';
import { freshIdNumber, freshMobile, idNumberFromPrefix } from '../support/identities.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  accountBalance, activeLoan, apply, domainCode, installments, loanBalances, loanRow, outboxEvents, RATE_CEILING_PPM, transitions,
} from './loan-helpers.js';

const CUSTODY = 'bank:custody:custody_bank_cash';
const STORE = 'store:S001:store_cash_in_transit';
const INTEREST_INCOME = 'platform:platform:interest_income';
const LOSS = 'platform:platform:loan_loss_expense';

async function ledgerCounts(db: Database): Promise<{ entries: number; postings: number; sum: number }> {
  const [row] = await db.query<{ entries: number; postings: number; sum: number }>(
    `SELECT (SELECT count(*) FROM journal_entries)::int AS entries, (SELECT count(*) FROM postings)::int AS postings,
            (SELECT coalesce(sum(balance_fen), 0) FROM ledger_accounts)::bigint AS sum`);
  return row!;
}

describe('loan lifecycle', () => {
  let t: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    t = await createTestDatabase();
    db = t.db;
    await seedProductLibrary(db, RATE_CEILING_PPM);
  });
  afterAll(async () => { await t.drop(); });

  it('identity helper builds numbers with the right check character', () => {
    expect(idNumberFromPrefix('11010519491231002')).toBe('11010519491231002X');
    expect(idNumberFromPrefix('44052418800101001')).toBe('440524188001010014');
  });

  describe('Z001 CNY 50,000 from application to first repayments', () => {
    let loanId: number;
    const schedule = buildSchedule({ principalFen: 5_000_000, annualRatePpm: 100_000, termMonths: 6, method: 'equal_principal', startDate: '2026-01-15' });

    it('applies, approves, contracts and disburses by passbook; the schedule matches buildSchedule', async () => {
      const custodyBefore = await accountBalance(db, CUSTODY);
      const applied = await apply(db, 'Z001', 5_000_000);
      loanId = applied.id;
      expect(applied).toMatchObject({ status: 'applied', principalFen: 5_000_000, annualRatePpm: 100_000, termMonths: 6, method: 'equal_principal', startDate: null });
      expect((await transitionLoan(db, loanId, 'approved', 'ops:reviewer', 'credit check passed')).status).toBe('approved');
      expect((await transitionLoan(db, loanId, 'contracted', 'ops:clerk', 'contract signed in store')).status).toBe('contracted');
      const active = await disburseLoan(db, loanId, { channel: 'passbook', businessDate: '2026-01-15', reference: 'BANK-0001' }, 'ops:clerk');
      expect(active.status).toBe('active');
      expect(active.startDate).toBe('2026-01-15');

      const rows = await installments(db, loanId);
      expect(rows.map((r) => ({ number: r.number, dueDate: r.dueDate, principalFen: r.principalFen, interestFen: r.interestFen })))
        .toEqual(schedule.map((s) => ({ number: s.number, dueDate: s.dueDate, principalFen: s.principalFen, interestFen: s.interestFen })));
      // By hand: 833,333 fen a month, the last takes 833,335; first interest round(5,000,000 x 10% / 12) = 41,667.
      expect(rows.map((r) => r.principalFen)).toEqual([833_333, 833_333, 833_333, 833_333, 833_333, 833_335]);
      expect(rows[0]).toMatchObject({ dueDate: '2026-02-15', interestFen: 41_667, periodStart: '2026-01-15', feeFen: 0, status: 'pending' });
      expect(rows.map((r) => r.periodStart)).toEqual(['2026-01-15', ...schedule.slice(0, -1).map((s) => s.dueDate)]);

      expect(await loanBalances(db, loanId)).toMatchObject({ loan_principal: 5_000_000, interest_receivable: 0 });
      expect(await accountBalance(db, CUSTODY)).toBe(custodyBefore - 5_000_000);
      const [loan] = await db.query<{ disbursement_channel: string; start_date: string }>(`SELECT disbursement_channel, start_date FROM loans WHERE id = $1`, [loanId]);
      expect(loan).toEqual({ disbursement_channel: 'passbook', start_date: '2026-01-15' });
      expect(await outboxEvents(db, loanId)).toEqual(['loan.disbursed']);
    });

    it('records every transition with actor and reason', async () => {
      expect(await transitions(db, loanId)).toEqual([
        { from_status: null, to_status: 'applied', actor: 'ops:clerk', reason: 'application received' },
        { from_status: 'applied', to_status: 'approved', actor: 'ops:reviewer', reason: 'credit check passed' },
        { from_status: 'approved', to_status: 'contracted', actor: 'ops:clerk', reason: 'contract signed in store' },
        { from_status: 'contracted', to_status: 'active', actor: 'ops:clerk', reason: 'disbursed by passbook, reference BANK-0001' },
      ]);
    });

    it('repays exactly the first installment in store cash on its due date: paid, allocated interest then principal', async () => {
      const storeBefore = await accountBalance(db, STORE);
      const incomeBefore = await accountBalance(db, INTEREST_INCOME);
      const result = await postRepayment(db, loanId, {
        amountFen: schedule[0]!.totalFen, channel: 'store_cash', storeCode: 'S001', externalRef: 'RCPT-1', businessDate: '2026-02-15',
      });
      expect(result).toMatchObject({ loanId, amountFen: 875_000, loanStatus: 'active', duplicate: false });
      expect(result.allocation).toEqual({
        lines: [{ installment: 1, component: 'interest', amountFen: 41_667 }, { installment: 1, component: 'principal', amountFen: 833_333 }],
        creditFen: 0,
      });
      const [first, second] = await installments(db, loanId);
      expect(first).toMatchObject({ status: 'paid', principalPaidFen: 833_333, interestPaidFen: 41_667, interestAccruedFen: 41_667 });
      expect(second).toMatchObject({ status: 'pending', principalPaidFen: 0, interestPaidFen: 0 });
      expect(await accountBalance(db, STORE)).toBe(storeBefore + 875_000);
      // No close of business ran, so the interest was never accrued: it is income now.
      expect(await accountBalance(db, INTEREST_INCOME)).toBe(incomeBefore - 41_667);
      expect(await loanBalances(db, loanId)).toMatchObject({ loan_principal: 5_000_000 - 833_333, interest_receivable: 0, borrower_credit: 0 });
      const [stored] = await db.query<{ channel: string; amount_fen: number; allocation: unknown; journal_entry_id: number }>(
        `SELECT channel, amount_fen, allocation, journal_entry_id FROM repayments WHERE id = $1`, [result.repaymentId]);
      expect(stored).toMatchObject({ channel: 'store_cash', amount_fen: 875_000, allocation: result.allocation });
      expect(await outboxEvents(db, loanId)).toEqual(['loan.disbursed', 'loan.repayment_posted']);
    });

    it('an overpayment is held as borrower credit', async () => {
      const due = schedule[1]!.totalFen;
      const result = await postRepayment(db, loanId, { amountFen: due + 12_345, channel: 'passbook', externalRef: 'BANK-IN-2', businessDate: '2026-03-15' });
      expect(result.allocation.creditFen).toBe(12_345);
      expect(result.allocation.lines.reduce((s, l) => s + l.amountFen, 0)).toBe(due);
      expect((await loanBalances(db, loanId)).borrower_credit).toBe(-12_345);
      expect((await installments(db, loanId))[1]!.status).toBe('paid');
      // Installment 3 was not prepaid.
      expect((await installments(db, loanId))[2]).toMatchObject({ principalPaidFen: 0, interestPaidFen: 0, status: 'pending' });
    });

    it('the same channel and reference twice posts once and reports a duplicate', async () => {
      const request = { amountFen: 50_000, channel: 'phone_credit' as const, externalRef: 'CBS-REF-77', businessDate: '2026-03-20' };
      const first = await postRepayment(db, loanId, request);
      const before = await ledgerCounts(db);
      const balancesBefore = await loanBalances(db, loanId);
      const installmentsBefore = await installments(db, loanId);
      const again = await postRepayment(db, loanId, request);
      expect(again).toMatchObject({ repaymentId: first.repaymentId, duplicate: true, amountFen: 50_000, allocation: first.allocation });
      expect(await ledgerCounts(db)).toEqual(before);
      expect(await loanBalances(db, loanId)).toEqual(balancesBefore);
      expect(await installments(db, loanId)).toEqual(installmentsBefore);
      const [n] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM repayments WHERE external_ref = 'CBS-REF-77'`);
      expect(n!.n).toBe(1);
      // Concurrent repeats of a new reference also post once.
      const concurrent = await Promise.all(Array.from({ length: 8 }, () =>
        postRepayment(db, loanId, { ...request, externalRef: 'CBS-REF-78', amountFen: 10_000 })));
      expect(new Set(concurrent.map((r) => r.repaymentId)).size).toBe(1);
      expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    });

    it('the same reference with a different amount, or on another loan, is refused with REPAYMENT_REFERENCE_REUSED', async () => {
      const before = await ledgerCounts(db);
      expect(await domainCode(postRepayment(db, loanId, { amountFen: 50_001, channel: 'phone_credit', externalRef: 'CBS-REF-77', businessDate: '2026-03-20' })))
        .toBe('REPAYMENT_REFERENCE_REUSED');
      const other = await activeLoan(db, '2026-01-20');
      expect(await domainCode(postRepayment(db, other.id, { amountFen: 50_000, channel: 'phone_credit', externalRef: 'CBS-REF-77', businessDate: '2026-03-20' })))
        .toBe('REPAYMENT_REFERENCE_REUSED');
      expect((await ledgerCounts(db)).entries).toBe(before.entries + 1); // only the other loan's disbursement
    });
  });

  describe('illegal moves', () => {
    it('a loan that is not active or overdue takes no repayment (LOAN_NOT_REPAYABLE) and nothing is written', async () => {
      const loan = await apply(db);
      const before = await ledgerCounts(db);
      expect(await domainCode(postRepayment(db, loan.id, { amountFen: 100, channel: 'passbook', externalRef: 'X-1', businessDate: '2026-02-01' })))
        .toBe('LOAN_NOT_REPAYABLE');
      expect(await ledgerCounts(db)).toEqual(before);
      expect(await db.query(`SELECT id FROM repayments WHERE loan_id = $1`, [loan.id])).toEqual([]);
    });

    it('refuses moves the state machine does not allow with LOAN_ILLEGAL_TRANSITION, writing nothing', async () => {
      const loan = await activeLoan(db, '2026-01-15');
      const before = await ledgerCounts(db);
      expect(await domainCode(transitionLoan(db, loan.id, 'approved', 'ops:x', 'again'))).toBe('LOAN_ILLEGAL_TRANSITION');
      expect(await domainCode(transitionLoan(db, loan.id, 'cancelled', 'ops:x', 'too late'))).toBe('LOAN_ILLEGAL_TRANSITION');
      expect(await domainCode(disburseLoan(db, loan.id, { channel: 'passbook', businessDate: '2026-01-16', reference: 'AGAIN' }, 'ops:x')))
        .toBe('LOAN_ILLEGAL_TRANSITION');
      expect(await domainCode(writeOffLoan(db, loan.id, '2026-01-16', 'ops:x', 'not overdue'))).toBe('LOAN_ILLEGAL_TRANSITION');
      expect(await ledgerCounts(db)).toEqual(before);
      expect((await installments(db, loan.id))).toHaveLength(6);

      const applied = await apply(db);
      expect(await domainCode(transitionLoan(db, applied.id, 'contracted', 'ops:x', 'skip approval'))).toBe('LOAN_ILLEGAL_TRANSITION');
      expect(await domainCode(disburseLoan(db, applied.id, { channel: 'passbook', businessDate: '2026-01-16', reference: 'EARLY' }, 'ops:x')))
        .toBe('LOAN_ILLEGAL_TRANSITION');
      expect(await installments(db, applied.id)).toEqual([]);
      expect(await ledgerCounts(db)).toEqual(before);
      await transitionLoan(db, applied.id, 'rejected', 'ops:reviewer', 'income too low');
      expect(await domainCode(transitionLoan(db, applied.id, 'approved', 'ops:x', 'changed mind'))).toBe('LOAN_ILLEGAL_TRANSITION');
      expect((await loanRow(db, applied.id)).status).toBe('rejected');
      expect(await transitions(db, applied.id)).toEqual([
        { from_status: null, to_status: 'applied', actor: 'ops:clerk', reason: 'application received' },
        { from_status: 'applied', to_status: 'rejected', actor: 'ops:reviewer', reason: 'income too low' },
      ]);
    });

    it('asks for a reason and a store code', async () => {
      const loan = await apply(db);
      expect(await domainCode(transitionLoan(db, loan.id, 'approved', 'ops:x', '  '))).toBe('REASON_REQUIRED');
      await transitionLoan(db, loan.id, 'approved', 'ops:x', 'ok');
      await transitionLoan(db, loan.id, 'contracted', 'ops:x', 'ok');
      expect(await domainCode(disburseLoan(db, loan.id, { channel: 'store_cash', businessDate: '2026-01-16', reference: 'C1' }, 'ops:x')))
        .toBe('STORE_REQUIRED');
      expect(await domainCode(transitionLoan(db, 999_999, 'approved', 'ops:x', 'ok'))).toBe('LOAN_NOT_FOUND');
    });
  });

  it('full repayment settles the loan; nothing is left on its receivable accounts', async () => {
    const loan = await activeLoan(db, '2026-01-31', 'Z001', 1_200_000, { channel: 'store_cash', storeCode: 'S001' });
    const rows = await installments(db, loan.id);
    for (const [index, row] of rows.entries()) {
      const result = await postRepayment(db, loan.id, {
        amountFen: row.principalFen + row.interestFen, channel: 'passbook', externalRef: `FULL-${loan.id}-${row.number}`, businessDate: row.dueDate,
      });
      expect(result.allocation.creditFen).toBe(0);
      expect(result.loanStatus).toBe(index === rows.length - 1 ? 'settled' : 'active');
    }
    // Due dates clamp to month end: Feb 28, Mar 31, Apr 30 ...
    expect(rows.map((r) => r.dueDate)).toEqual(['2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31']);
    expect((await installments(db, loan.id)).every((r) => r.status === 'paid')).toBe(true);
    expect(await loanRow(db, loan.id)).toMatchObject({ status: 'settled', days_past_due: 0, bucket: 'current' });
    expect(await loanBalances(db, loan.id)).toEqual({ loan_principal: 0, interest_receivable: 0, penalty_receivable: 0, fee_receivable: 0, borrower_credit: 0 });
    expect((await transitions(db, loan.id)).at(-1)).toMatchObject({ from_status: 'active', to_status: 'settled', actor: 'repayment' });
    expect(await outboxEvents(db, loan.id)).toContain('loan.settled');
    expect(await domainCode(postRepayment(db, loan.id, { amountFen: 1, channel: 'passbook', externalRef: `AFTER-${loan.id}`, businessDate: '2026-08-01' })))
      .toBe('LOAN_NOT_REPAYABLE');
  });

  it('refuses an application that would take the borrower above CNY 200,000 (BORROWING_CAP_EXCEEDED)', async () => {
    const idNumber = freshIdNumber();
    const first = await apply(db, 'Y001', 8_000_000, idNumber);
    await apply(db, 'Y001', 8_000_000, idNumber);
    expect(await domainCode(apply(db, 'Z001', 4_000_100, idNumber))).toBe('BORROWING_CAP_EXCEEDED');
    await apply(db, 'Z001', 4_000_000, idNumber); // exactly CNY 200,000
    expect(await domainCode(apply(db, 'Z001', 100_000, idNumber))).toBe('BORROWING_CAP_EXCEEDED');
    const [count] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM loans l JOIN borrowers b ON b.id = l.borrower_id WHERE b.id_number = $1`, [idNumber]);
    expect(count!.n).toBe(3);
    // A rejected application no longer counts.
    await transitionLoan(db, first.id, 'rejected', 'ops:reviewer', 'duplicate application');
    await apply(db, 'Z001', 100_000, idNumber);
    // Concurrent applications cannot slip past the cap together.
    const other = freshIdNumber();
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => apply(db, 'Z001', 5_000_000, other)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(4);
  });

  it('validates the applicant', async () => {
    const base = { borrowerName: '李四', idNumber: freshIdNumber(), mobile: '13800138000', productCode: 'Z001', principalFen: 5_000_000, repaymentChannels: ['passbook'] };
    const bad = base.idNumber.slice(0, 17) + (base.idNumber[17] === '0' ? '1' : '0');
    expect(await domainCode(applyForLoan(db, { ...base, idNumber: bad }, 'x'))).toBe('INVALID_ID_NUMBER');
    expect(await domainCode(applyForLoan(db, { ...base, mobile: '12345' }, 'x'))).toBe('INVALID_MOBILE');
    expect(await domainCode(applyForLoan(db, { ...base, principalFen: 5_000_001 }, 'x'))).toBe('AMOUNT_OUT_OF_RANGE');
    expect(await domainCode(applyForLoan(db, { ...base, productCode: 'NOPE' }, 'x'))).toBe('PRODUCT_NOT_FOUND');
    expect(await domainCode(applyForLoan(db, { ...base, repaymentChannels: ['cheque'] }, 'x'))).toBe('INVALID_CHANNEL');
    expect((await applyForLoan(db, { ...base, mobile: freshMobile() }, 'x')).status).toBe('applied');
  });

  it('product versioning: a used version is retired and replaced by the next; an unused one is edited in place', async () => {
    const definition: ProductDefinition = { ...SEED_PRODUCTS[2]!, code: 'T001', name: '测试贷' };
    const created = await createProduct(db, definition, RATE_CEILING_PPM);
    expect(created).toMatchObject({ code: 'T001', version: 1, status: 'active', annualRatePpm: 100_000 });
    expect(await domainCode(createProduct(db, definition, RATE_CEILING_PPM))).toBe('PRODUCT_EXISTS');

    const edited = await changeProduct(db, { ...definition, annualRatePpm: 90_000 }, RATE_CEILING_PPM);
    expect(edited.versioned).toBe(false);
    expect(edited.product).toMatchObject({ id: created.id, version: 1, annualRatePpm: 90_000, status: 'active' });
    expect(await db.query(`SELECT id FROM products WHERE code = 'T001'`)).toEqual([{ id: created.id }]);

    const loan = await apply(db, 'T001', 3_000_000);
    expect(loan).toMatchObject({ productId: created.id, annualRatePpm: 90_000 });
    const changed = await changeProduct(db, { ...definition, annualRatePpm: 110_000, penaltyRatePpm: 115_000 }, RATE_CEILING_PPM);
    expect(changed.versioned).toBe(true);
    expect(changed.product).toMatchObject({ version: 2, annualRatePpm: 110_000, status: 'active' });
    expect(changed.product.id).not.toBe(created.id);
    const versions = await db.query<{ id: number; version: number; status: string; annual_rate_ppm: number; retired: boolean }>(
      `SELECT id, version, status, annual_rate_ppm, retired_at IS NOT NULL AS retired FROM products WHERE code = 'T001' ORDER BY version`);
    expect(versions).toEqual([
      { id: created.id, version: 1, status: 'retired', annual_rate_ppm: 90_000, retired: true },
      { id: changed.product.id, version: 2, status: 'active', annual_rate_ppm: 110_000, retired: false },
    ]);
    // The loan keeps version 1 and its terms; new applications get version 2.
    expect((await loanRow(db, loan.id)).product_id).toBe(created.id);
    const [terms] = await db.query<{ annual_rate_ppm: number }>(`SELECT annual_rate_ppm FROM loans WHERE id = $1`, [loan.id]);
    expect(terms!.annual_rate_ppm).toBe(90_000);
    expect(await apply(db, 'T001', 3_000_000)).toMatchObject({ productId: changed.product.id, annualRatePpm: 110_000, penaltyRatePpm: 115_000 });

    expect(await domainCode(changeProduct(db, { ...definition, annualRatePpm: 120_001 }, RATE_CEILING_PPM))).toBe('RATE_ABOVE_CEILING');
    await retireProduct(db, 'T001');
    expect((await findLatestProduct(db, 'T001'))?.status).toBe('retired');
    expect(await domainCode(apply(db, 'T001', 3_000_000))).toBe('PRODUCT_RETIRED');
    expect(await domainCode(changeProduct(db, definition, RATE_CEILING_PPM))).toBe('PRODUCT_RETIRED');
  });

  it('seeding the product library twice changes nothing', async () => {
    const before = await db.query(`SELECT * FROM products ORDER BY id`);
    await seedProductLibrary(db, RATE_CEILING_PPM);
    expect(await db.query(`SELECT * FROM products ORDER BY id`)).toEqual(before);
  });

  // Runs close of business in 2030, after every other test of this file has finished with its dates.
  it('writing off an overdue loan moves every receivable to loan-loss expense', async () => {
    const loan = await activeLoan(db, '2030-01-10');
    await closeOfBusiness(db, '2030-03-01');
    expect((await loanRow(db, loan.id)).status).toBe('overdue');
    const before = await loanBalances(db, loan.id);
    expect(before.loan_principal).toBe(5_000_000);
    expect(before.interest_receivable).toBeGreaterThan(0);
    expect(before.penalty_receivable).toBeGreaterThan(0);
    // overdue -> active is a legal move (a cure), but it is no disbursement.
    expect(await domainCode(disburseLoan(db, loan.id, { channel: 'passbook', businessDate: '2030-03-01', reference: 'TWICE' }, 'ops:x')))
      .toBe('LOAN_ILLEGAL_TRANSITION');
    expect((await loanRow(db, loan.id)).status).toBe('overdue');
    const lossBefore = await accountBalance(db, LOSS);
    const written = await writeOffLoan(db, loan.id, '2030-03-02', 'ops:risk-lead', 'borrower unreachable');
    expect(written.status).toBe('written_off');
    expect(await accountBalance(db, LOSS)).toBe(lossBefore + before.loan_principal + before.interest_receivable + before.penalty_receivable + before.fee_receivable);
    expect(await loanBalances(db, loan.id)).toEqual({ loan_principal: 0, interest_receivable: 0, penalty_receivable: 0, fee_receivable: 0, borrower_credit: 0 });
    expect((await transitions(db, loan.id)).slice(-2)).toEqual([
      { from_status: 'active', to_status: 'overdue', actor: 'close-of-business', reason: 'installment unpaid after its due date, business date 2030-03-01' },
      { from_status: 'overdue', to_status: 'written_off', actor: 'ops:risk-lead', reason: 'borrower unreachable' },
    ]);
    expect(await outboxEvents(db, loan.id)).toEqual(['loan.disbursed', 'loan.overdue', 'loan.written_off']);
    expect(await domainCode(writeOffLoan(db, loan.id, '2030-03-03', 'ops:x', 'again'))).toBe('LOAN_ILLEGAL_TRANSITION');
    expect(await domainCode(postRepayment(db, loan.id, { amountFen: 100, channel: 'passbook', externalRef: 'LATE-1', businessDate: '2030-03-05' })))
      .toBe('LOAN_NOT_REPAYABLE');
    // Close of business leaves a written-off loan alone.
    const installmentsBefore = await installments(db, loan.id);
    await closeOfBusiness(db, '2030-03-20');
    expect(await loanBalances(db, loan.id)).toEqual({ loan_principal: 0, interest_receivable: 0, penalty_receivable: 0, fee_receivable: 0, borrower_credit: 0 });
    expect(await db.query(`SELECT id FROM journal_entries WHERE idempotency_key LIKE $1`, [`cob:2030-03-20:%:${loan.id}`])).toEqual([]);
    expect(await installments(db, loan.id)).toEqual(installmentsBefore);
    expect((await loanRow(db, loan.id)).status).toBe('written_off');
  });

  it('money never appeared or vanished over the whole file', async () => {
    const tb = await trialBalance(db);
    expect(tb.totalFen).toBe(0);
    expect(tb.mismatchedAccounts).toEqual([]);
  });
});
