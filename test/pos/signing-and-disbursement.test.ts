/**
 * Signing the five documents at the store with the SMS code, and the three ways of paying
 * out: cash at the counter (confirmed by the borrower's code), passbook and supplier through
 * the custody bank, including a failed transfer that returns the money and tells the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trialBalance } from '../../src/ledger/trial-balance.js';
import { waitFor } from '../queue/support.js';
import { approvedLoan, createPosWorld, type PosWorld } from './pos-world.js';

let world: PosWorld;
beforeAll(async () => { world = await createPosWorld(); });
afterAll(async () => { await world.close(); });

interface Doc { kind: string; title: string; sha256: string; content: string }

async function sign(storeCode: string, loanId: number, mobile: string, passbook?: object) {
  const clerk = await world.terminal(storeCode);
  const prepared = await clerk.request<{ documents: Doc[]; otp: { challengeId: number } }>('POST', `/v1/pos/loans/${loanId}/signing`, passbook ? { passbook } : {});
  expect(prepared.status).toBe(201);
  const code = await world.otpFor(mobile);
  const confirmed = await clerk.request<{ loanStatus: string; documents: Doc[] }>('POST', `/v1/pos/loans/${loanId}/signing/confirm`, {
    challengeId: prepared.body.otp.challengeId, code, documentHashes: prepared.body.documents.map((d) => d.sha256), ...(passbook ? { passbook } : {}),
  });
  return { clerk, prepared, confirmed };
}

const balance = async (code: string) =>
  (await world.db.query<{ balance_fen: number }>(`SELECT balance_fen FROM ledger_accounts WHERE code = $1`, [code]))[0]?.balance_fen ?? 0;

describe('signing at the store', () => {
  it('renders the five documents with the terms in capitals, and the code signs them', async () => {
    const { loanId, borrower } = await approvedLoan(world, 'QY-001', undefined, 5_000_000);
    const clerk = await world.terminal('QY-001');
    const prepared = await clerk.request<{ documents: Doc[]; otp: { challengeId: number } }>('POST', `/v1/pos/loans/${loanId}/signing`, {});
    expect(prepared.body.documents.map((d) => d.title)).toEqual(['借款协议', '信用咨询及管理服务协议', '还款事项提醒函', '委托划扣协议书', '风险获知及承诺书']);
    const agreement = prepared.body.documents[0]!.content;
    expect(agreement).toContain('伍万元整');
    expect(agreement).toContain(borrower.name);
    const code = await world.otpFor(borrower.mobile);
    const wrong = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/signing/confirm`, {
      challengeId: prepared.body.otp.challengeId, code: code === '000000' ? '111111' : '000000', documentHashes: prepared.body.documents.map((d) => d.sha256) });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('OTP_WRONG');
    const tampered = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/signing/confirm`, {
      challengeId: prepared.body.otp.challengeId, code, documentHashes: prepared.body.documents.map((d, i) => (i === 0 ? 'a'.repeat(64) : d.sha256)) });
    expect(tampered.body.code).toBe('DOCUMENTS_CHANGED');
    const confirmed = await clerk.request<{ loanStatus: string; storeCode: string; terminalId: string }>('POST', `/v1/pos/loans/${loanId}/signing/confirm`, {
      challengeId: prepared.body.otp.challengeId, code, documentHashes: prepared.body.documents.map((d) => d.sha256) });
    expect(confirmed.status).toBe(201);
    expect(confirmed.body).toMatchObject({ loanStatus: 'contracted', storeCode: 'QY-001', terminalId: clerk.terminalId });

    const again = await clerk.request<{ documents: Doc[]; otpVerifiedAt: string }>('GET', `/v1/pos/loans/${loanId}/contract`);
    expect(again.body.documents.map((d) => d.sha256)).toEqual(prepared.body.documents.map((d) => d.sha256));
    await expect(world.db.query(`UPDATE contract_documents SET content = 'x' WHERE loan_id = $1`, [loanId])).rejects.toThrow();
    // The code is used: it cannot sign twice.
    const reused = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/signing/confirm`, {
      challengeId: prepared.body.otp.challengeId, code, documentHashes: prepared.body.documents.map((d) => d.sha256) });
    expect(reused.body.code).toBe('OTP_USED');
    const stored = await world.db.query<{ text: string }>(`SELECT text FROM sms_messages WHERE template = 'otp' AND msisdn = $1`, [borrower.mobile]);
    expect(stored[0]!.text).not.toContain(code);
  });

  it('a terminal of another store cannot sign, read the contract or find the customer', async () => {
    const { loanId, borrower } = await approvedLoan(world, 'QY-002');
    await sign('QY-002', loanId, borrower.mobile);
    const other = await world.terminal('YD-009');
    expect((await other.request('GET', `/v1/pos/loans/${loanId}/contract`)).status).toBe(404);
    expect((await other.request('POST', '/v1/pos/customer-lookups', { mobile: borrower.mobile })).status).toBe(404);
    expect((await other.request('POST', '/v1/pos/customer-lookups', { loanId })).status).toBe(404);
    expect((await other.request('POST', `/v1/pos/loans/${loanId}/disbursements`, { channel: 'store_cash' })).status).toBe(404);
  });
});

describe('disbursement', () => {
  it('cash at the counter: the borrower confirms receipt with the code, the store\'s cash pays out', async () => {
    const { loanId, borrower } = await approvedLoan(world, 'QY-003');
    const { clerk } = await sign('QY-003', loanId, borrower.mobile);
    const before = await balance('store:QY-003:store_cash_in_transit');
    const order = await clerk.request<{ orderId: number; status: string; otp: { challengeId: number } }>('POST', `/v1/pos/loans/${loanId}/disbursements`, { channel: 'store_cash' });
    expect(order.body.status).toBe('awaiting_receipt');
    const code = await waitFor('the receipt code', async () => {
      const last = world.sms.inbox(borrower.mobile).at(-1);
      return last?.text.includes('领取现金') ? last.text.match(/验证码(\d{6})/)?.[1] : undefined;
    });
    const received = await clerk.request<{ status: string; receiptNo: string }>('POST', `/v1/pos/disbursements/${order.body.orderId}/receipt`,
      { challengeId: order.body.otp.challengeId, code });
    expect(received.status).toBe(201);
    expect(received.body.status).toBe('succeeded');
    expect(received.body.receiptNo).toMatch(/^PC-QY-003-/);
    expect(await balance('store:QY-003:store_cash_in_transit')).toBe(before - 3_000_000);
    const [loan] = await world.db.query<{ status: string }>(`SELECT status FROM loans WHERE id = $1`, [loanId]);
    expect(loan!.status).toBe('active');
  });

  it('passbook: the bank pays the borrower\'s own account and reports it; the loan becomes active', async () => {
    const { loanId, borrower } = await approvedLoan(world, 'QY-004', undefined, 2_000_000, ['passbook']);
    const passbook = { name: borrower.name, accountNumber: '6228480012345678901', bankName: '清远农村商业银行' };
    const { clerk } = await sign('QY-004', loanId, borrower.mobile, passbook);
    const stranger = await clerk.request<{ code: string }>('POST', `/v1/pos/loans/${loanId}/disbursements`,
      { channel: 'passbook', payee: { ...passbook, name: '张三丰' } });
    expect(stranger.body.code).toBe('PAYEE_NOT_BORROWER');
    const order = await clerk.request<{ orderId: number; status: string }>('POST', `/v1/pos/loans/${loanId}/disbursements`, { channel: 'passbook', payee: passbook });
    expect(order.body.status).toBe('sent');
    await waitFor('the loan to be paid out', async () =>
      (await world.db.query<{ status: string }>(`SELECT status FROM loans WHERE id = $1`, [loanId]))[0]!.status === 'active');
    expect(world.bank.paidOutFen(passbook.accountNumber)).toBe(2_000_000);
    const orders = await clerk.request<{ status: string; payee: { accountNumberMasked: string } }[]>('GET', `/v1/pos/loans/${loanId}/disbursements`);
    expect(orders.body[0]).toMatchObject({ status: 'succeeded', payee: { accountNumberMasked: '****8901' } });
  });

  it('a failed transfer returns the money to custody cash and tells the store; a second order then succeeds', async () => {
    const { loanId, borrower } = await approvedLoan(world, 'QY-005', undefined, 1_500_000, ['store_cash']);
    const { clerk } = await sign('QY-005', loanId, borrower.mobile);
    const custodyBefore = await balance('bank:custody:custody_bank_cash');
    world.bank.failAccount('6228480099990000111', '账户已销户');
    const failed = await clerk.request<{ orderId: number }>('POST', `/v1/pos/loans/${loanId}/disbursements`,
      { channel: 'supplier', payee: { name: '清远农资有限公司', accountNumber: '6228480099990000111', bankName: '清远农村商业银行' } });
    await waitFor('the failure', async () => {
      const orders = await clerk.request<{ status: string; failureReason: string | null }[]>('GET', `/v1/pos/loans/${loanId}/disbursements`);
      return orders.body[0]?.status === 'failed' ? orders.body[0] : undefined;
    });
    const orders = await clerk.request<{ status: string; failureReason: string }[]>('GET', `/v1/pos/loans/${loanId}/disbursements`);
    expect(orders.body[0]!.failureReason).toContain('账户已销户');
    expect(await balance('bank:custody:custody_bank_cash')).toBe(custodyBefore);
    expect(await balance('bank:custody:bank_transfers_in_transit')).toBe(0);
    const events = await world.db.query(`SELECT 1 FROM outbox WHERE job_name = 'disbursement.failed' AND payload->>'orderId' = $1`, [String(failed.body.orderId)]);
    expect(events).toHaveLength(1);
    expect((await world.db.query<{ status: string }>(`SELECT status FROM loans WHERE id = $1`, [loanId]))[0]!.status).toBe('contracted');

    const retry = await clerk.request<{ status: string }>('POST', `/v1/pos/loans/${loanId}/disbursements`,
      { channel: 'supplier', payee: { name: '清远农资有限公司', accountNumber: '6228480099990000222', bankName: '清远农村商业银行' } });
    expect(retry.status).toBe(201);
    await waitFor('the second order to pay out', async () =>
      (await world.db.query<{ status: string }>(`SELECT status FROM loans WHERE id = $1`, [loanId]))[0]!.status === 'active');
    expect((await trialBalance(world.db)).totalFen).toBe(0);
  });
});
