/**
 * Cash repayment at the counter: any amount, allocated in the house order (or an early full
 * repayment), posted against the store's cash, a receipt with the allocation and what is
 * left, and an SMS receipt to the borrower. A closed store day takes no more cash.
 */
import { shanghaiDate } from '../core/calendar-date.js';
import type { Allocation } from '../core/allocation.js';
import type { Database } from '../db/database.js';
import { loadInstallments } from '../loans/loan-repository.js';
import { payoffQuote, postRepaymentInTransaction } from '../loans/post-repayment.js';
import { queueSms } from '../sms/outbound.js';
import type { PosActor } from './pos-actor.js';
import { holdStoreDay, lockStoreLoan, nextReceiptNo } from './store-loans.js';

export interface CashReceipt {
  receiptNo: string;
  loanId: number;
  amountFen: number;
  businessDate: string;
  allocation: Allocation;
  /** Still owed after this payment if the loan were paid off today. */
  remainingFen: number;
  loanStatus: string;
  storeCode: string;
  terminalId: string;
  staffId: string;
}

const yuan = (fen: number) => (fen / 100).toFixed(2);

export async function takeCashRepayment(
  db: Database, actor: PosActor, loanId: number, input: { amountFen: number; payoff?: boolean }, now: Date,
): Promise<CashReceipt> {
  const businessDate = shanghaiDate(now);
  return db.transaction(async (tx) => {
    await holdStoreDay(tx, actor.storeCode, businessDate, false);
    const loan = await lockStoreLoan(tx, actor, loanId);
    const { id, receiptNo } = await nextReceiptNo(tx, 'RC', actor.storeCode, businessDate);
    const posted = await postRepaymentInTransaction(tx, loanId, {
      amountFen: input.amountFen, channel: 'store_cash', externalRef: receiptNo, businessDate, storeCode: actor.storeCode,
      ...(input.payoff ? { payoff: true } : {}),
    });
    await tx.query(
      `INSERT INTO store_cash_movements (id, store_code, terminal_id, staff_id, business_date, kind, amount_fen, loan_id, receipt_no)
       VALUES ($1, $2, $3, $4, $5, 'repayment_in', $6, $7, $8)`,
      [id, actor.storeCode, actor.terminalId, actor.staffId, businessDate, input.amountFen, loanId, receiptNo]);
    const remainingFen = payoffQuote(await loadInstallments(tx, loanId)).payoffFen;
    const [store] = await tx.query<{ name: string }>(`SELECT name FROM stores WHERE code = $1`, [actor.storeCode]);
    await queueSms(tx, {
      msisdn: loan.borrower.mobile, template: 'repayment_receipt', kind: 'transactional', reference: `cash-receipt-${id}`,
      text: `您已于${businessDate}在${store?.name ?? actor.storeCode}现金还款${yuan(input.amountFen)}元（借款编号${loanId}，收据号${receiptNo}）。`
        + (posted.loanStatus === 'settled' ? '您的借款已全部结清。' : `按今日提前结清计，尚欠${yuan(remainingFen)}元。`)
        + (posted.allocation.creditFen > 0 ? `多付${yuan(posted.allocation.creditFen)}元已存为您的余额。` : ''),
    });
    return {
      receiptNo, loanId, amountFen: input.amountFen, businessDate, allocation: posted.allocation, remainingFen, loanStatus: posted.loanStatus,
      storeCode: actor.storeCode, terminalId: actor.terminalId, staffId: actor.staffId,
    };
  });
}
