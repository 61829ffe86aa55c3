import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Allocation, AllocationComponent } from './allocation.js';
import { assertBalanced, accountCode, type AccountRef, type JournalEntryDraft } from './journal-entry.js';
import {
  channelAccount, DISBURSEMENT_CHANNELS, disbursementEntry, REPAYMENT_CHANNELS, repaymentEntry, writeOffEntry,
} from './loan-accounting.js';

const amount = fc.integer({ min: 1, max: 1_000_000_000 });
const loanId = fc.integer({ min: 1, max: 1_000_000 });
const storeCode = fc.stringMatching(/^S[0-9]{3}$/);
const date = fc.constantFrom('2026-01-15', '2026-02-28', '2027-12-31');
const component = fc.constantFrom<AllocationComponent>('penalty', 'fee', 'interest', 'principal');

/** A random allocation: lines on random installments and components, and a credit (maybe zero). */
const allocation: fc.Arbitrary<Allocation> = fc.record({
  lines: fc.array(fc.record({ installment: fc.integer({ min: 1, max: 12 }), component, amountFen: amount }), { maxLength: 10 }),
  creditFen: fc.oneof(fc.constant(0), amount),
}).filter((a) => a.lines.length > 0 || a.creditFen > 0);

const balanceOf = (entry: JournalEntryDraft, account: AccountRef) =>
  entry.lines.filter((l) => accountCode(l.account) === accountCode(account)).reduce((s, l) => s + l.amountFen, 0);

/** Negation without -0, so toBe compares amounts. */
const neg = (n: number) => (n === 0 ? 0 : -n);

const loanAcc = (id: number, purpose: AccountRef['purpose']): AccountRef => ({ ownerType: 'loan', ownerId: String(id), purpose });

describe('disbursementEntry', () => {
  it('is balanced for any principal, fee and channel, and moves exactly principal + fee', () => {
    fc.assert(fc.property(loanId, amount, fc.oneof(fc.constant(0), amount), fc.constantFrom(...DISBURSEMENT_CHANNELS), storeCode, date,
      (id, principal, fee, channel, store, businessDate) => {
        const source = channelAccount(channel, store);
        const entry = disbursementEntry({ loanId: id, principalFen: principal, serviceFeeFen: fee, source, businessDate, reference: 'R' });
        assertBalanced(entry);
        expect(entry.idempotencyKey).toBe(`loan:${id}:disbursement`);
        expect(balanceOf(entry, loanAcc(id, 'loan_principal'))).toBe(principal);
        expect(balanceOf(entry, source)).toBe(neg(principal));
        expect(balanceOf(entry, loanAcc(id, 'fee_receivable'))).toBe(fee);
        expect(entry.lines.every((l) => l.amountFen !== 0)).toBe(true);
      }), { numRuns: 300 });
  });
});

describe('repaymentEntry', () => {
  it('is balanced for any allocation and unaccrued interest, and each receivable falls by what was paid on it', () => {
    fc.assert(fc.property(loanId, allocation, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...REPAYMENT_CHANNELS), storeCode,
      (id, alloc, unaccruedShare, channel, store) => {
        const paid = { penalty: 0, fee: 0, interest: 0, principal: 0 };
        for (const l of alloc.lines) paid[l.component] += l.amountFen;
        const unaccrued = Math.floor(paid.interest * unaccruedShare);
        const total = paid.penalty + paid.fee + paid.interest + paid.principal + alloc.creditFen;
        const source = channelAccount(channel, store);
        const entry = repaymentEntry({
          loanId: id, repaymentKey: `${channel}:X1`, amountFen: total, allocation: alloc, unaccruedInterestPaidFen: unaccrued,
          source, businessDate: '2026-02-15', reference: 'X1',
        });
        assertBalanced(entry);
        expect(entry.idempotencyKey).toBe(`loan:${id}:repayment:${channel}:X1`);
        expect(balanceOf(entry, source)).toBe(total);
        expect(balanceOf(entry, loanAcc(id, 'penalty_receivable'))).toBe(neg(paid.penalty));
        expect(balanceOf(entry, loanAcc(id, 'fee_receivable'))).toBe(neg(paid.fee));
        expect(balanceOf(entry, loanAcc(id, 'interest_receivable'))).toBe(neg(paid.interest - unaccrued));
        expect(balanceOf(entry, { ownerType: 'platform', ownerId: 'platform', purpose: 'interest_income' })).toBe(neg(unaccrued));
        expect(balanceOf(entry, loanAcc(id, 'loan_principal'))).toBe(neg(paid.principal));
        expect(balanceOf(entry, loanAcc(id, 'borrower_credit'))).toBe(neg(alloc.creditFen));
      }), { numRuns: 300 });
  });

  it('refuses more unaccrued interest than interest paid', () => {
    expect(() => repaymentEntry({
      loanId: 1, repaymentKey: 'k', amountFen: 100,
      allocation: { lines: [{ installment: 1, component: 'interest', amountFen: 100 }], creditFen: 0 },
      unaccruedInterestPaidFen: 101, source: channelAccount('passbook', undefined), businessDate: '2026-02-15', reference: 'k',
    })).toThrow(/unaccrued/);
  });
});

describe('writeOffEntry', () => {
  it('is balanced for any receivables and books their total as loan-loss expense', () => {
    const part = fc.oneof(fc.constant(0), amount);
    fc.assert(fc.property(loanId, part, part, part, part, (id, principal, interest, penalty, fee) => {
      fc.pre(principal + interest + penalty + fee > 0);
      const entry = writeOffEntry({
        loanId: id, principalFen: principal, interestReceivableFen: interest, penaltyReceivableFen: penalty, feeReceivableFen: fee,
        businessDate: '2026-06-01', reference: `write-off:${id}`,
      });
      assertBalanced(entry);
      expect(entry.idempotencyKey).toBe(`loan:${id}:write-off`);
      expect(balanceOf(entry, { ownerType: 'platform', ownerId: 'platform', purpose: 'loan_loss_expense' })).toBe(principal + interest + penalty + fee);
      expect(balanceOf(entry, loanAcc(id, 'loan_principal'))).toBe(neg(principal));
      expect(balanceOf(entry, loanAcc(id, 'interest_receivable'))).toBe(neg(interest));
      expect(balanceOf(entry, loanAcc(id, 'penalty_receivable'))).toBe(neg(penalty));
      expect(balanceOf(entry, loanAcc(id, 'fee_receivable'))).toBe(neg(fee));
    }), { numRuns: 300 });
  });

  it('refuses a loan with nothing to write off', () => {
    expect(() => writeOffEntry({
      loanId: 1, principalFen: 0, interestReceivableFen: 0, penaltyReceivableFen: 0, feeReceivableFen: 0, businessDate: '2026-06-01', reference: 'w',
    })).toThrow(/nothing to write off/);
  });
});

describe('channelAccount', () => {
  it('maps every channel to its account', () => {
    expect(accountCode(channelAccount('store_cash', 'S001'))).toBe('store:S001:store_cash_in_transit');
    expect(accountCode(channelAccount('passbook', undefined))).toBe('bank:custody:custody_bank_cash');
    expect(accountCode(channelAccount('supplier', undefined))).toBe('bank:custody:custody_bank_cash');
    expect(accountCode(channelAccount('phone_credit', undefined))).toBe('carrier:billing:carrier_billing_receivable');
    expect(() => channelAccount('store_cash', undefined)).toThrow(/store code/);
  });
});

describe('assertBalanced', () => {
  const acc = (purpose: AccountRef['purpose']): AccountRef => ({ ownerType: 'platform', ownerId: 'platform', purpose });
  const draft = (amounts: number[]): JournalEntryDraft => ({
    idempotencyKey: 'k', kind: 't', businessRef: 'r', businessDate: '2026-01-01',
    lines: amounts.map((a, i) => ({ account: acc(i % 2 === 0 ? 'interest_income' : 'fee_income'), amountFen: a })),
  });
  it('refuses unbalanced, one-line, zero-line and fractional entries with LEDGER_UNBALANCED or INVALID_AMOUNT', () => {
    expect(() => assertBalanced(draft([5, -5]))).not.toThrow();
    for (const [amounts, code] of [[[5, -4], 'LEDGER_UNBALANCED'], [[5], 'LEDGER_UNBALANCED'], [[5, -5, 0], 'LEDGER_UNBALANCED'],
      [[0.5, -0.5], 'INVALID_AMOUNT']] as const) {
      expect(() => assertBalanced(draft([...amounts]))).toThrow(expect.objectContaining({ code }));
    }
  });
});
