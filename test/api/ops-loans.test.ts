import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call, createApiApp, loanApplication, nextIdNumber, nextMobile, withWrongCheckChar, type ApiTestContext,
} from '../support/api-app.js';

const PRINCIPAL = [833_333, 833_333, 833_333, 833_333, 833_333, 833_335];
const INTEREST = [41_667, 34_722, 27_778, 20_833, 13_889, 6_944];
const DUE = ['2026-02-15', '2026-03-15', '2026-04-15', '2026-05-15', '2026-06-15', '2026-07-15'];

describe('ops loans over HTTP', () => {
  let ctx: ApiTestContext;
  beforeAll(async () => { ctx = await createApiApp(); });
  afterAll(async () => { await ctx?.close(); });

  const trialBalance = async () => {
    const { status, body } = await call(ctx.app, 'GET', '/v1/ops/ledger/trial-balance');
    expect(status).toBe(200);
    return body as { totalFen: number; mismatchedAccounts: string[]; accounts: { code: string; balanceFen: number }[] };
  };

  describe('the life of one loan', () => {
    const application = loanApplication({ productCode: 'Z001', principalFen: 5_000_000 });
    let loanId: number;

    it('an application is recorded (201, applied) with the product terms', async () => {
      const { status, body } = await call(ctx.app, 'POST', '/v1/ops/loans', application);
      expect(status).toBe(201);
      expect(body).toMatchObject({
        status: 'applied', principalFen: 5_000_000, termMonths: 6, method: 'equal_principal', startDate: null,
        daysPastDue: 0, bucket: 'current', annualRatePpm: 100_000,
      });
      expect(Number.isInteger(body.id)).toBe(true);
      loanId = body.id;
    });

    it('is approved, then contracted', async () => {
      const approved = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/transitions`, { to: 'approved', reason: 'callback verified' });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ id: loanId, status: 'approved' });
      const contracted = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/transitions`, { to: 'contracted', reason: 'contract signed' });
      expect(contracted.status).toBe(200);
      expect(contracted.body).toMatchObject({ id: loanId, status: 'contracted' });
    });

    it('a repayment before disbursement is refused (409 LOAN_NOT_REPAYABLE)', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/repayments`,
        { amountFen: 100, channel: 'passbook', externalRef: 'EARLY-1', businessDate: '2026-01-10' });
      expect(status).toBe(409);
      expect(body).toMatchObject({ code: 'LOAN_NOT_REPAYABLE' });
    });

    it('is disbursed to the passbook and becomes active from the disbursement date', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/disbursement`,
        { channel: 'passbook', businessDate: '2026-01-15', reference: 'BANK-TX-0001' });
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: loanId, status: 'active', startDate: '2026-01-15' });
    });

    it('a second disbursement is refused (409 LOAN_ILLEGAL_TRANSITION)', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/disbursement`,
        { channel: 'passbook', businessDate: '2026-01-16', reference: 'BANK-TX-0002' });
      expect(status).toBe(409);
      expect(body).toMatchObject({ code: 'LOAN_ILLEGAL_TRANSITION' });
    });

    it('GET shows the schedule, the transitions with their actor, and the ledger balances; personal numbers masked', async () => {
      const { status, body, response } = await call(ctx.app, 'GET', `/v1/ops/loans/${loanId}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: loanId, status: 'active', startDate: '2026-01-15', productCode: 'Z001', productVersion: 1 });
      expect(body.installments.map((i: Record<string, unknown>) => [i.number, i.dueDate, i.principalFen, i.interestFen, i.status]))
        .toEqual(PRINCIPAL.map((p, n) => [n + 1, DUE[n], p, INTEREST[n], 'pending']));
      expect(body.installments[0].periodStart).toBe('2026-01-15');
      expect(body.transitions.map((t: Record<string, unknown>) => [t.fromStatus, t.toStatus, t.actor])).toEqual([
        [null, 'applied', 'ops:admin-token'],
        ['applied', 'approved', 'ops:admin-token'],
        ['approved', 'contracted', 'ops:admin-token'],
        ['contracted', 'active', 'ops:admin-token'],
      ]);
      expect(body.transitions[1].reason).toBe('callback verified');
      expect(body.transitions[3].reason).toContain('BANK-TX-0001');
      expect(body.balances).toEqual({ loan_principal: 5_000_000 });
      expect(body.borrower).toMatchObject({
        name: application.borrowerName,
        idNumberMasked: `${String(application.idNumber).slice(0, 6)}********${String(application.idNumber).slice(14)}`,
        mobileMasked: `${String(application.mobile).slice(0, 3)}****${String(application.mobile).slice(7)}`,
      });
      expect(response.body).not.toContain(String(application.idNumber));
      expect(response.body).not.toContain(String(application.mobile));
      const trial = await trialBalance();
      expect(trial.accounts).toEqual(expect.arrayContaining([
        expect.objectContaining({ code: 'bank:custody:custody_bank_cash', balanceFen: -5_000_000 }),
      ]));
    });

    it('a repayment of the first installment on its due date is allocated interest first, then principal', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/repayments`,
        { amountFen: 875_000, channel: 'passbook', externalRef: 'PB-0001', businessDate: '2026-02-15' });
      expect(status).toBe(200);
      expect(body).toEqual({
        repaymentId: expect.any(Number), loanId, amountFen: 875_000, loanStatus: 'active', duplicate: false,
        allocation: { lines: [
          { installment: 1, component: 'interest', amountFen: 41_667 },
          { installment: 1, component: 'principal', amountFen: 833_333 },
        ], creditFen: 0 },
      });
    });

    it('the same externalRef again returns the first result with duplicate:true and posts nothing', async () => {
      const before = await trialBalance();
      const first = await ctx.db.query<{ id: number }>('SELECT id FROM repayments WHERE loan_id = $1', [loanId]);
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/repayments`,
        { amountFen: 875_000, channel: 'passbook', externalRef: 'PB-0001', businessDate: '2026-02-16' });
      expect(status).toBe(200);
      expect(body).toMatchObject({ duplicate: true, repaymentId: first[0]!.id, amountFen: 875_000, loanId });
      expect(body.allocation.lines).toHaveLength(2);
      expect(await ctx.db.query('SELECT id FROM repayments WHERE loan_id = $1', [loanId])).toHaveLength(1);
      expect((await trialBalance()).accounts).toEqual(before.accounts);
    });

    it('the same externalRef with a different amount is refused (409 REPAYMENT_REFERENCE_REUSED)', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/repayments`,
        { amountFen: 1_000, channel: 'passbook', externalRef: 'PB-0001', businessDate: '2026-02-16' });
      expect(status).toBe(409);
      expect(body).toMatchObject({ code: 'REPAYMENT_REFERENCE_REUSED', field: 'externalRef' });
    });

    it('a cash repayment without a store is refused (400 STORE_REQUIRED)', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/repayments`,
        { amountFen: 1_000, channel: 'store_cash', externalRef: 'CASH-1', businessDate: '2026-02-16' });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'STORE_REQUIRED', field: 'storeCode' });
    });

    it('approving an active loan is an illegal transition (409 LOAN_ILLEGAL_TRANSITION); the loan stays active', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/transitions`, { to: 'approved', reason: 'again' });
      expect(status).toBe(409);
      expect(body).toMatchObject({ code: 'LOAN_ILLEGAL_TRANSITION' });
      expect(body.message).toContain('active');
      const cancel = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/transitions`, { to: 'cancelled', reason: 'too late' });
      expect(cancel.status).toBe(409);
      const view = await call(ctx.app, 'GET', `/v1/ops/loans/${loanId}`);
      expect(view.body.status).toBe('active');
      expect(view.body.transitions).toHaveLength(4);
    });

    it('close of business runs once per date: the second call reports alreadyCompleted and posts nothing', async () => {
      const first = await call(ctx.app, 'POST', '/v1/ops/cob', { businessDate: '2026-02-20' });
      expect(first.status).toBe(200);
      // Installment 2 runs 2026-02-15..2026-03-15 (28 days): 5 days of 34722 fen accrue, 6200 fen.
      expect(first.body).toMatchObject({
        businessDate: '2026-02-20', alreadyCompleted: false, interestAccruedFen: 6_200, loansAccrued: 1,
        installmentsNewlyOverdue: 0, loansNewlyOverdue: 0, penaltyChargedFen: 0, entriesPosted: 1,
      });
      const afterFirst = await trialBalance();
      const second = await call(ctx.app, 'POST', '/v1/ops/cob', { businessDate: '2026-02-20' });
      expect(second.status).toBe(200);
      expect(second.body).toEqual({ ...first.body, alreadyCompleted: true });
      expect((await trialBalance()).accounts).toEqual(afterFirst.accounts);
      const view = await call(ctx.app, 'GET', `/v1/ops/loans/${loanId}`);
      expect(view.body.balances).toMatchObject({ interest_receivable: 6_200 });
    });

    it('GET /v1/ops/cob/:date shows the completed run; a date never run is 404 COB_RUN_NOT_FOUND', async () => {
      const { status, body } = await call(ctx.app, 'GET', '/v1/ops/cob/2026-02-20');
      expect(status).toBe(200);
      expect(body).toMatchObject({ businessDate: '2026-02-20', status: 'completed', summary: { interestAccruedFen: 6_200 } });
      expect(Date.parse(body.startedAt)).not.toBeNaN();
      expect(Date.parse(body.finishedAt)).toBeGreaterThanOrEqual(Date.parse(body.startedAt));
      const missing = await call(ctx.app, 'GET', '/v1/ops/cob/2026-02-21');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'COB_RUN_NOT_FOUND', field: 'businessDate' });
      const bad = await call(ctx.app, 'GET', '/v1/ops/cob/2026-02-31');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ field: 'businessDate' });
    });

    it('an overpayment pays the current installment and keeps the rest as borrower credit', async () => {
      const { status, body } = await call(ctx.app, 'POST', `/v1/ops/loans/${loanId}/repayments`,
        { amountFen: 900_000, channel: 'passbook', externalRef: 'PB-0002', businessDate: '2026-02-21' });
      expect(status).toBe(200);
      expect(body.allocation).toEqual({ lines: [
        { installment: 2, component: 'interest', amountFen: 34_722 },
        { installment: 2, component: 'principal', amountFen: 833_333 },
      ], creditFen: 31_945 });
      const view = await call(ctx.app, 'GET', `/v1/ops/loans/${loanId}`);
      expect(view.body.balances).toEqual({ loan_principal: 3_333_334, interest_receivable: 0, borrower_credit: -31_945 });
      expect(view.body.installments.map((i: { status: string }) => i.status))
        .toEqual(['paid', 'paid', 'pending', 'pending', 'pending', 'pending']);
    });

    it('the trial balance sums to zero and every running balance agrees with its postings', async () => {
      const trial = await trialBalance();
      expect(trial.totalFen).toBe(0);
      expect(trial.mismatchedAccounts).toEqual([]);
      const balances = Object.fromEntries(trial.accounts.map((a) => [a.code, a.balanceFen]));
      expect(balances['bank:custody:custody_bank_cash']).toBe(-5_000_000 + 875_000 + 900_000);
      expect(balances['platform:platform:interest_income']).toBe(-(41_667 + 34_722));
    });
  });

  describe('ids and lookups', () => {
    it('an unknown loan id is 404 LOAN_NOT_FOUND on reads and writes', async () => {
      const read = await call(ctx.app, 'GET', '/v1/ops/loans/987654');
      expect(read.status).toBe(404);
      expect(read.body).toMatchObject({ code: 'LOAN_NOT_FOUND' });
      for (const [path, body] of [
        ['transitions', { to: 'approved', reason: 'x' }],
        ['disbursement', { channel: 'passbook', businessDate: '2026-01-15', reference: 'R1' }],
        ['repayments', { amountFen: 100, channel: 'passbook', externalRef: 'R1', businessDate: '2026-01-15' }],
        ['write-off', { businessDate: '2026-01-15', reason: 'x' }],
      ] as const) {
        const response = await call(ctx.app, 'POST', `/v1/ops/loans/987654/${path}`, body);
        expect(response.status, path).toBe(404);
        expect(response.body, path).toMatchObject({ code: 'LOAN_NOT_FOUND' });
      }
    });

    it('a malformed id is 400 naming the field id', async () => {
      for (const id of ['abc', '0', '-1', '1.5', '01', '12345678901234567', "1'%20OR%20'1'='1"]) {
        const response = await call(ctx.app, 'GET', `/v1/ops/loans/${id}`);
        expect(response.status, id).toBe(400);
        expect(response.body, id).toMatchObject({ field: 'id' });
      }
    });
  });

  describe('applications', () => {
    it('a bad ID check character is 400 INVALID_ID_NUMBER naming idNumber; nothing stored', async () => {
      const before = await ctx.db.query('SELECT id FROM loans');
      const { status, body } = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ idNumber: withWrongCheckChar(nextIdNumber()) }));
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'INVALID_ID_NUMBER', field: 'idNumber' });
      expect(await ctx.db.query('SELECT id FROM loans')).toHaveLength(before.length);
    });

    it('an unknown product is 404 PRODUCT_NOT_FOUND; an amount outside the product is 400', async () => {
      const unknown = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ productCode: 'NOPE1' }));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'PRODUCT_NOT_FOUND', field: 'productCode' });
      const tooBig = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ productCode: 'Z001', principalFen: 5_000_001 }));
      expect(tooBig.status).toBe(400);
      expect(tooBig.body).toMatchObject({ code: 'AMOUNT_OUT_OF_RANGE', field: 'principalFen' });
    });

    it('a schema violation names its field (wrong channel, string amount, unknown field)', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [loanApplication({ repaymentChannels: ['bitcoin'] }), 'repaymentChannels.0'],
        [loanApplication({ repaymentChannels: [] }), 'repaymentChannels'],
        [loanApplication({ principalFen: '500000' }), 'principalFen'],
        [loanApplication({ interestFree: true }), 'interestFree'],
        [loanApplication({ mobile: '12345678901' }), 'mobile'],
      ];
      for (const [payload, field] of cases) {
        const { status, body } = await call(ctx.app, 'POST', '/v1/ops/loans', payload);
        expect(status, field).toBe(400);
        expect(body.field, field).toBe(field);
      }
    });

    it('the platform borrowing cap (CNY 200,000 per person) is 422 BORROWING_CAP_EXCEEDED', async () => {
      const person = { idNumber: nextIdNumber(), mobile: nextMobile(), productCode: 'Y001', principalFen: 8_000_000 };
      const first = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication(person));
      const second = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication(person));
      expect([first.status, second.status]).toEqual([201, 201]);
      const loansBefore = await ctx.db.query('SELECT id FROM loans');
      const third = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication(person));
      expect(third.status).toBe(422);
      expect(third.body).toMatchObject({ code: 'BORROWING_CAP_EXCEEDED', field: 'principalFen' });
      expect(await ctx.db.query('SELECT id FROM loans')).toHaveLength(loansBefore.length);
      // Exactly up to the cap is allowed: 160,000 + 40,000 = 200,000 CNY.
      const upToCap = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ ...person, principalFen: 4_000_000 }));
      expect(upToCap.status).toBe(201);
      const oneFenOver = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication({ ...person, principalFen: 100_000 }));
      expect(oneFenOver.status).toBe(422);
      // A rejected application no longer counts against the cap.
      const rejected = await call(ctx.app, 'POST', `/v1/ops/loans/${first.body.id}/transitions`, { to: 'rejected', reason: 'income too low' });
      expect(rejected.status).toBe(200);
      const afterReject = await call(ctx.app, 'POST', '/v1/ops/loans', loanApplication(person));
      expect(afterReject.status).toBe(201);
    });
  });
});
