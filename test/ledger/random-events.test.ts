/**
 * Random sequences of loan events over a few loans keep the books right: after every event
 * the trial balance is zero with no mismatched account, and each loan's ledger accounts
 * agree with its installments:
 *   loan_principal      = sum(principal - principal_paid)
 *   interest_receivable = sum(interest_accrued - interest_paid)   (accrued >= paid on every installment)
 *   penalty_receivable  = sum(penalty - penalty_paid)
 *   fee_receivable      = sum(fee - fee_paid)
 *   borrower_credit     = -(credit of every repayment posted)
 * and all of them are 0 once the loan is written off (credit stays). Income accounts
 * agree with the installments too: interest income = -sum(interest_accrued) (interest paid
 * ahead of accrual is accrued at payment), penalty income = -sum(penalty), fee income =
 * -sum(fee). Each fast-check run gets its own database.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateRepayment, amountDueNow } from '../../src/core/allocation.js';
import { addDays } from '../../src/core/calendar-date.js';
import { DISBURSEMENT_CHANNELS, REPAYMENT_CHANNELS, type DisbursementChannel, type RepaymentChannel } from '../../src/core/loan-accounting.js';
import type { Database } from '../../src/db/database.js';
import { closeOfBusiness } from '../../src/jobs/close-of-business.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { disburseLoan } from '../../src/loans/disburse-loan.js';
import { isSettled, outstanding } from '../../src/loans/loan-repository.js';
import { postRepayment, type RepaymentRequest } from '../../src/loans/post-repayment.js';
import { transitionLoan } from '../../src/loans/transition-loan.js';
import { writeOffLoan } from '../../src/loans/write-off-loan.js';
import { createProduct, seedProductLibrary } from '../../src/products/product-library.js';
import { createTestDatabase } from '../support/test-database.js';
import { accountBalance, apply, domainCode, installments, loanBalances, loanRow, RATE_CEILING_PPM } from '../loans/loan-helpers.js';

const LOANS = 3;
const PRODUCTS = ['Z001', 'Y001', 'F001', 'B001', 'E001'] as const;

type Event =
  | { kind: 'disburse'; loan: number; channel: DisbursementChannel; store: string }
  | { kind: 'repay'; loan: number; channel: RepaymentChannel; store: string; size: 'exact' | 'part' | 'over' | 'tiny' | 'huge'; share: number; extra: number }
  | { kind: 'repeat'; loan: number; sameAmount: boolean }
  | { kind: 'cob'; advanceDays: number }
  | { kind: 'writeOff'; loan: number };

const loanIndex = fc.integer({ min: 0, max: LOANS - 1 });
const store = fc.constantFrom('S001', 'S002');
const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('disburse' as const), loan: loanIndex, channel: fc.constantFrom(...DISBURSEMENT_CHANNELS), store }) },
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('repay' as const), loan: loanIndex, channel: fc.constantFrom(...REPAYMENT_CHANNELS), store,
    size: fc.constantFrom('exact', 'part', 'over', 'tiny', 'huge'), share: fc.double({ min: 0, max: 1, noNaN: true }), extra: fc.integer({ min: 1, max: 500_000 }),
  }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), loan: loanIndex, sameAmount: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('cob' as const), advanceDays: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 45 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('writeOff' as const), loan: loanIndex }) },
);

const scenario = fc.record({
  startOffset: fc.integer({ min: 0, max: 40 }),
  loans: fc.array(fc.record({ product: fc.constantFrom(...PRODUCTS), principalYuan: fc.integer({ min: 1_000, max: 50_000 }) }), { minLength: LOANS, maxLength: LOANS }),
  events: fc.array(event, { minLength: 15, maxLength: 45 }),
});

interface LoanModel {
  id: number;
  creditFen: number;
  writtenOff: boolean;
  lastRequest?: RepaymentRequest;
}

async function seedProducts(db: Database): Promise<void> {
  await seedProductLibrary(db, RATE_CEILING_PPM);
  await createProduct(db, { code: 'F001', name: '等额本息带费', minAmountFen: 100_000, maxAmountFen: 5_000_000, annualRatePpm: 120_000, termMonths: 4,
    method: 'equal_installment', penaltyRatePpm: 120_000, serviceFeePpm: 20_000 }, RATE_CEILING_PPM);
  await createProduct(db, { code: 'B001', name: '一次性还本付息', minAmountFen: 100_000, maxAmountFen: 5_000_000, annualRatePpm: 80_000, termMonths: 3,
    method: 'bullet', penaltyRatePpm: 100_000, serviceFeePpm: 5_000 }, RATE_CEILING_PPM);
  await createProduct(db, { code: 'E001', name: '按月付息', minAmountFen: 100_000, maxAmountFen: 5_000_000, annualRatePpm: 96_000, termMonths: 3,
    method: 'interest_monthly_principal_at_maturity', penaltyRatePpm: 110_000, serviceFeePpm: 0 }, RATE_CEILING_PPM);
}

/** Negation without -0, so toBe compares amounts. */
const neg = (n: number) => (n === 0 ? 0 : -n);

async function checkBooks(db: Database, models: readonly LoanModel[], afterCob: string | undefined, context: string): Promise<void> {
  const tb = await trialBalance(db);
  expect(tb.totalFen, context).toBe(0);
  expect(tb.mismatchedAccounts, context).toEqual([]);
  let accrued = 0;
  let penalties = 0;
  let fees = 0;
  for (const model of models) {
    const rows = await installments(db, model.id);
    const loan = await loanRow(db, model.id);
    const balances = await loanBalances(db, model.id);
    const owed = { principal: 0, interest: 0, penalty: 0, fee: 0 };
    for (const i of rows) {
      expect(i.interestAccruedFen, context).toBeGreaterThanOrEqual(i.interestPaidFen);
      expect(i.status === 'paid', `${context}: installment ${i.number} status ${i.status}`).toBe(isSettled(i));
      owed.principal += i.principalFen - i.principalPaidFen;
      owed.interest += i.interestAccruedFen - i.interestPaidFen;
      owed.penalty += i.penaltyFen - i.penaltyPaidFen;
      owed.fee += i.feeFen - i.feePaidFen;
      accrued += i.interestAccruedFen;
      penalties += i.penaltyFen;
      fees += i.feeFen;
    }
    const expected = loan.status === 'written_off'
      ? { loan_principal: 0, interest_receivable: 0, penalty_receivable: 0, fee_receivable: 0 }
      : { loan_principal: owed.principal, interest_receivable: owed.interest, penalty_receivable: owed.penalty, fee_receivable: owed.fee };
    expect(balances, `${context}: loan ${model.id} (${loan.status})`).toEqual({ ...expected, borrower_credit: neg(model.creditFen) });
    expect(loan.status === 'written_off', context).toBe(model.writtenOff);
    if (loan.status === 'settled') expect(rows.every((i) => i.status === 'paid'), context).toBe(true);
    if (loan.status === 'active' || loan.status === 'overdue') expect(rows.some((i) => i.status !== 'paid'), context).toBe(true);
    if (afterCob && (loan.status === 'active' || loan.status === 'overdue')) {
      // Right after close of business: overdue exactly when an installment is, days past due from the oldest.
      const overdue = rows.filter((i) => i.status === 'overdue');
      expect(loan.status, context).toBe(overdue.length > 0 ? 'overdue' : 'active');
      expect(rows.filter((i) => i.status === 'pending' && i.dueDate < afterCob), context).toEqual([]);
      const days = overdue.length > 0 ? Math.round((Date.parse(afterCob) - Date.parse(overdue[0]!.dueDate)) / 86_400_000) : 0;
      expect(loan.days_past_due, context).toBe(days);
    }
  }
  expect(await accountBalance(db, 'platform:platform:interest_income'), context).toBe(neg(accrued));
  expect(await accountBalance(db, 'platform:platform:penalty_income'), context).toBe(neg(penalties));
  expect(await accountBalance(db, 'platform:platform:fee_income'), context).toBe(neg(fees));
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function runScenario(input: Scenario): Promise<void> {
  const t = await createTestDatabase();
  const db = t.db;
  try {
    await seedProducts(db);
    let today = addDays('2026-01-01', input.startOffset);
    const models: LoanModel[] = [];
    for (const spec of input.loans) {
      const loan = await apply(db, spec.product, spec.principalYuan * 100);
      await transitionLoan(db, loan.id, 'approved', 'test', 'approved');
      await transitionLoan(db, loan.id, 'contracted', 'test', 'signed');
      models.push({ id: loan.id, creditFen: 0, writtenOff: false });
    }
    let refs = 0;
    for (const [step, e] of input.events.entries()) {
      const context = `step ${step} ${JSON.stringify(e)} on ${today}`;
      let afterCob: string | undefined;
      if (e.kind === 'cob') {
        await closeOfBusiness(db, today);
        afterCob = today;
        today = addDays(today, e.advanceDays);
      } else {
        const model = models[e.loan]!;
        const status = (await loanRow(db, model.id)).status;
        if (e.kind === 'disburse') {
          if (status === 'contracted') {
            await disburseLoan(db, model.id, { channel: e.channel, storeCode: e.store, businessDate: today, reference: `D-${model.id}` }, 'test');
          } else {
            expect(await domainCode(disburseLoan(db, model.id, { channel: e.channel, storeCode: e.store, businessDate: today, reference: 'again' }, 'test')), context)
              .toBe('LOAN_ILLEGAL_TRANSITION');
          }
        } else if (e.kind === 'writeOff') {
          if (status === 'overdue') {
            await writeOffLoan(db, model.id, today, 'test', 'random write-off');
            model.writtenOff = true;
          } else {
            expect(await domainCode(writeOffLoan(db, model.id, today, 'test', 'not overdue')), context).toBe('LOAN_ILLEGAL_TRANSITION');
          }
        } else if (e.kind === 'repeat') {
          if (!model.lastRequest) continue;
          const entriesBefore = await db.query(`SELECT count(*)::int AS n FROM journal_entries`);
          const request = e.sameAmount ? model.lastRequest : { ...model.lastRequest, amountFen: model.lastRequest.amountFen + 1 };
          if (e.sameAmount) {
            expect((await postRepayment(db, model.id, request)).duplicate, context).toBe(true);
          } else {
            expect(await domainCode(postRepayment(db, model.id, request)), context).toBe('REPAYMENT_REFERENCE_REUSED');
          }
          expect(await db.query(`SELECT count(*)::int AS n FROM journal_entries`), context).toEqual(entriesBefore);
        } else {
          refs += 1;
          const rows = (await installments(db, model.id)).filter((i) => !isSettled(i)).map(outstanding);
          const due = rows.length > 0 ? amountDueNow(rows, today) : 0;
          const amountFen = Math.max(1, {
            exact: due, part: Math.floor(due * e.share), over: due + e.extra, tiny: Math.ceil(e.share * 100), huge: due + 10_000_000,
          }[e.size]);
          const request: RepaymentRequest = { amountFen, channel: e.channel, externalRef: `REF-${refs}`, businessDate: today, storeCode: e.store };
          if (status !== 'active' && status !== 'overdue') {
            expect(await domainCode(postRepayment(db, model.id, request)), context).toBe('LOAN_NOT_REPAYABLE');
            continue;
          }
          const expected = allocateRepayment(rows, amountFen, today);
          const result = await postRepayment(db, model.id, request);
          expect(result.duplicate, context).toBe(false);
          expect(result.allocation, context).toEqual(expected);
          model.creditFen += result.allocation.creditFen;
          model.lastRequest = request;
          if (e.size === 'exact' || e.size === 'over' || e.size === 'huge') {
            // Everything due now is paid: nothing before today is still open.
            const open = (await installments(db, model.id)).filter((i) => !isSettled(i));
            expect(open.filter((i) => i.dueDate <= today), context).toEqual([]);
            expect(result.loanStatus, context).toBe(open.length === 0 ? 'settled' : 'active');
          }
        }
      }
      await checkBooks(db, models, afterCob, context);
    }
  } finally {
    await t.drop();
  }
}

describe('random loan events keep the books right', () => {
  it('holds for random sequences of disbursements, repayments, close of business and write-offs', async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: 25 });
  }, 240_000);
});
