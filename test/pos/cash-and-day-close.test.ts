/**
 * Cash at the counter: finding the customer, what is due today across overdue installments,
 * repayment in the house order with a receipt and an SMS receipt, idempotent retries, early
 * full repayment, and the manager's end of day with its reconciliation break.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate, addDays } from '../../src/core/calendar-date.js';
import { closeOfBusiness } from '../../src/jobs/close-of-business.js';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { importLoanBook } from '../../src/loans/import-loan-book.js';
import { waitFor } from '../queue/support.js';
import { createPosWorld, freshBorrower, type PosWorld } from './pos-world.js';
import type { TerminalClient } from '../../adapters/pos/terminal-client.js';

let world: PosWorld;
const TODAY = shanghaiDate(new Date());
beforeAll(async () => { world = await createPosWorld(); });
afterAll(async () => { await world.close(); });

/** A Z001 loan of this store started 125 days ago: four installments overdue, penalties charged up to yesterday. */
async function overdueLoan(storeCode: string) {
  const borrower = freshBorrower();
  const line = JSON.stringify({ borrowerName: borrower.name, idNumber: borrower.idNumber, mobile: borrower.mobile, productCode: 'Z001',
    principalFen: 3_000_000, startDate: addDays(TODAY, -125), repaymentChannels: ['store_cash'], externalRef: `OLD-${borrower.idNumber}` });
  const { loanIds } = await importLoanBook(world.db, line, 'test');
  await world.db.query(`UPDATE loans SET store_code = $2 WHERE id = $1`, [loanIds[0], storeCode]);
  await closeOfBusiness(world.db, addDays(TODAY, -1));
  return { loanId: loanIds[0]!, borrower };
}

interface Lookup { loans: { loanId: number; dueToday: { totalFen: number; lines: { installment: number; overdue: boolean; penaltyFen: number }[] }; payoff: { payoffFen: number; waivedInterestFen: number } }[] }
interface Receipt { receiptNo: string; allocation: { lines: { installment: number; component: string; amountFen: number }[]; creditFen: number }; remainingFen: number; loanStatus: string }

describe('cash repayment at the counter', () => {
  let clerk: TerminalClient;
  let loanId: number;
  let mobile: string;
  beforeAll(async () => {
    clerk = await world.terminal('CS-001');
    ({ loanId, borrower: { mobile } } = await overdueLoan('CS-001'));
  });

  it('shows what is due today, overdue first with penalty, and the payoff', async () => {
    const found = await clerk.request<Lookup>('POST', '/v1/pos/customer-lookups', { mobile });
    expect(found.status).toBe(200);
    const loan = found.body.loans[0]!;
    expect(loan.loanId).toBe(loanId);
    expect(loan.dueToday.lines.filter((l) => l.overdue).map((l) => l.installment)).toEqual([1, 2, 3, 4]);
    expect(loan.dueToday.lines[0]!.penaltyFen).toBeGreaterThan(0);
    expect(loan.payoff.payoffFen).toBeGreaterThan(loan.dueToday.totalFen);
    expect(loan.payoff.waivedInterestFen).toBeGreaterThan(0);
  });

  it('allocates cash penalty first, then the oldest installment\'s interest and principal; receipt and SMS receipt', async () => {
    const taken = await clerk.request<Receipt>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 600_000 });
    expect(taken.status).toBe(201);
    const components = taken.body.allocation.lines.map((l) => `${l.component}#${l.installment}`);
    expect(components.slice(0, 4)).toEqual(['penalty#1', 'penalty#2', 'penalty#3', 'penalty#4']);
    // Then overdue interest oldest first, then overdue principal oldest first.
    const interest1 = components.indexOf('interest#1');
    expect(interest1).toBeGreaterThan(3);
    expect(components.indexOf('principal#1')).toBeGreaterThan(components.lastIndexOf('interest#4'));
    expect(taken.body.receiptNo).toMatch(/^RC-CS-001-\d{8}-\d+$/);
    await waitFor('the SMS receipt', async () => world.sms.inbox(mobile).some((m) => m.text.includes(taken.body.receiptNo)));
  });

  it('a retry with the same Idempotency-Key returns the first receipt and posts nothing again', async () => {
    const key = `retry-${loanId}-1`;
    const first = await clerk.request<Receipt>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 10_000 }, { idempotencyKey: key });
    const again = await clerk.request<Receipt>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 10_000 }, { idempotencyKey: key });
    expect(again.replayed).toBe(true);
    expect(again.body.receiptNo).toBe(first.body.receiptNo);
    const other = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 20_000 }, { idempotencyKey: key });
    expect(other.status).toBe(422);
    const rows = await world.db.query(`SELECT 1 FROM repayments WHERE external_ref = $1`, [first.body.receiptNo]);
    expect(rows).toHaveLength(1);
  });

  it('an early full repayment settles the loan with unaccrued interest waived', async () => {
    const quote = (await clerk.request<Lookup>('POST', '/v1/pos/customer-lookups', { loanId })).body.loans[0]!.payoff;
    const short = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: quote.payoffFen - 1, payoff: true });
    expect(short.body.code).toBe('PAYOFF_SHORT');
    const paid = await clerk.request<Receipt>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: quote.payoffFen, payoff: true });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ loanStatus: 'settled', remainingFen: 0 });
    expect(paid.body.allocation.creditFen).toBe(0);
    expect((await trialBalance(world.db)).totalFen).toBe(0);
  });
});

describe('end of day', () => {
  it('sums cash per terminal, records the drawer difference as a break, and closes the day to cash', async () => {
    const clerk = await world.terminal('CS-002');
    const manager = await world.terminal('CS-002', 'manager');
    const { loanId } = await overdueLoan('CS-002');
    await clerk.request('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 50_000 });
    await manager.request('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 30_000 });
    const summary = await manager.request<{ cashInFen: number; expectedDrawerFen: number; terminals: { terminalId: string; cashInFen: number }[] }>('GET', `/v1/pos/days/${TODAY}`);
    expect(summary.body.cashInFen).toBe(80_000);
    expect(summary.body.terminals.map((t) => t.cashInFen).sort()).toEqual([30_000, 50_000]);

    const tomorrow = await manager.request<{ field: string }>('POST', `/v1/pos/days/${addDays(TODAY, 1)}/close`, { countedCashFen: 0, depositedFen: 0, depositSlipRef: 'X' });
    expect(tomorrow.status).toBe(400);
    expect(tomorrow.body.field).toBe('businessDate');
    const byClerk = await clerk.request<{ code: string }>('POST', `/v1/pos/days/${TODAY}/close`, { countedCashFen: 80_000, depositedFen: 80_000, depositSlipRef: 'SLIP-1' });
    expect(byClerk.status).toBe(403);
    const closed = await manager.request<{ breaks: { kind: string; expectedFen: number; actualFen: number }[] }>('POST', `/v1/pos/days/${TODAY}/close`,
      { countedCashFen: 79_000, depositedFen: 79_000, depositSlipRef: 'SLIP-CS-002' });
    expect(closed.status).toBe(201);
    expect(closed.body.breaks).toEqual([{ kind: 'drawer_short', expectedFen: 80_000, actualFen: 79_000 }]);
    const breaks = await world.db.query<{ kind: string }>(`SELECT kind FROM reconciliation_breaks WHERE source = 'store_cash' AND reference_code = $1`, [`CS-002:${TODAY}`]);
    expect(breaks.map((b) => b.kind)).toEqual(['drawer_short']);

    const late = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/cash-repayments`, { amountFen: 1_000 });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('STORE_DAY_CLOSED');
    expect((await trialBalance(world.db)).totalFen).toBe(0);
  });
});
