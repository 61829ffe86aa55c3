import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeductionRun } from '../../src/billing/deduction-runs.js';
import { registerMandate } from '../../src/billing/mandates.js';
import { applyForLoan } from '../../src/loans/apply-for-loan.js';
import { disburseLoan } from '../../src/loans/disburse-loan.js';
import { transitionLoan } from '../../src/loans/transition-loan.js';
import { seedProductLibrary } from '../../src/products/product-library.js';
import { freshIdNumber, freshMobile } from '../support/identities.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('which installments a deduction run charges', () => {
  let t: TestDatabase;
  const loans: { dueFeb15?: number; dueFeb20?: number; noMandate?: number } = {};

  async function loanDisbursedOn(date: string, withMandate = true): Promise<number> {
    const loan = await applyForLoan(t.db, { borrowerName: '周八', idNumber: freshIdNumber(), mobile: freshMobile(), productCode: 'X001',
      principalFen: 1_000_000, repaymentChannels: ['phone_credit', 'store_cash'] }, 'test');
    await transitionLoan(t.db, loan.id, 'approved', 'test', 'ok');
    await transitionLoan(t.db, loan.id, 'contracted', 'test', 'ok');
    await disburseLoan(t.db, loan.id, { channel: 'passbook', businessDate: date, reference: `B${loan.id}` }, 'test');
    if (withMandate) await registerMandate(t.db, loan.id, 'prepaid');
    return loan.id;
  }

  const attempts = async () => t.db.query<{ loan_id: number; installment_number: number; run_date: string }>(
    `SELECT a.loan_id, a.installment_number, r.business_date AS run_date FROM deduction_attempts a JOIN deduction_runs r ON r.id = a.run_id ORDER BY a.id`);

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedProductLibrary(t.db, 120_000);
    loans.dueFeb15 = await loanDisbursedOn('2026-01-15');
    loans.dueFeb20 = await loanDisbursedOn('2026-01-20');
    loans.noMandate = await loanDisbursedOn('2026-01-15', false);
  });
  afterAll(async () => { await t.drop(); });

  it('charges installments due within the configured days before the due date, once while an attempt is open', async () => {
    await startDeductionRun(t.db, { businessDate: '2026-02-12', daysBefore: 3, attemptsMax: 5, mode: 'realtime', actor: 'test' });
    expect(await attempts()).toEqual([{ loan_id: loans.dueFeb15, installment_number: 1, run_date: '2026-02-12' }]);
    await startDeductionRun(t.db, { businessDate: '2026-02-17', daysBefore: 3, attemptsMax: 5, mode: 'realtime', actor: 'test' });
    expect(await attempts()).toEqual([
      { loan_id: loans.dueFeb15, installment_number: 1, run_date: '2026-02-12' },
      { loan_id: loans.dueFeb20, installment_number: 1, run_date: '2026-02-17' },
    ]);
  });

  it('stops charging a loan whose mandate is revoked', async () => {
    await t.db.query(`UPDATE deduction_attempts SET status = 'insufficient'`);
    await t.db.query(`UPDATE deduction_mandates SET status = 'revoked' WHERE loan_id = $1`, [loans.dueFeb15]);
    await startDeductionRun(t.db, { businessDate: '2026-02-18', daysBefore: 0, attemptsMax: 5, mode: 'realtime', actor: 'test' });
    expect((await attempts()).filter((a) => a.run_date === '2026-02-18')).toEqual([]);
    await registerMandate(t.db, loans.dueFeb15!, 'prepaid');
    await startDeductionRun(t.db, { businessDate: '2026-02-19', daysBefore: 0, attemptsMax: 5, mode: 'realtime', actor: 'test' });
    expect((await attempts()).filter((a) => a.run_date === '2026-02-19')).toEqual([{ loan_id: loans.dueFeb15, installment_number: 1, run_date: '2026-02-19' }]);
  });
});
