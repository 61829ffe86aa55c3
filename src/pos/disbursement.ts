/**
 * Paying out a contracted loan in one of the seed's three ways:
 * - passbook (存折): a custody-bank transfer to the borrower's own account;
 * - supplier (代付采购): a custody-bank transfer straight to the farm-materials supplier;
 * - store_cash: cash handed out at the counter, confirmed by the borrower with an SMS code.
 * Bank transfers leave custody cash for "transfers in transit" when sent; the bank's result
 * either disburses the loan from there or returns the money to custody cash and tells the
 * store (the order shows failed with the bank's reason, and `disbursement.failed` is published).
 */
import { shanghaiDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import { parsePersonName } from '../core/identity.js';
import type { AccountRef } from '../core/journal-entry.js';
import type { Database, Queryable } from '../db/database.js';
import { postEntry } from '../ledger/post-entries.js';
import { disburseLoanInTransaction } from '../loans/disburse-loan.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';
import type { BankAccount, TransferRequest, TransferResult } from '../bank/bank.port.js';
import { bankTransferMessage, type DefiniteTransferOutcome } from '../bank/transfer-jobs.js';
import { confirmWithOtp, issueOtp, type OtpChallenge } from '../sms/otp.js';
import { describeActor, type PosActor } from './pos-actor.js';
import { holdStoreDay, lockStoreLoan, nextReceiptNo } from './store-loans.js';

const CUSTODY_CASH: AccountRef = { ownerType: 'bank', ownerId: 'custody', purpose: 'custody_bank_cash' };
const IN_TRANSIT: AccountRef = { ownerType: 'bank', ownerId: 'custody', purpose: 'bank_transfers_in_transit' };

export type DisbursementWay = 'passbook' | 'supplier' | 'store_cash';

export interface DisbursementOrder {
  orderId: number;
  loanId: number;
  channel: DisbursementWay;
  amountFen: number;
  status: 'awaiting_receipt' | 'sent' | 'succeeded' | 'failed';
  reference: string;
  bankReference: string | null;
  failureReason: string | null;
  payee: { name: string; bankName: string; accountNumberMasked: string } | null;
  otp?: OtpChallenge;
}

interface OrderRow {
  id: number; loan_id: number; channel: DisbursementWay; amount_fen: number; status: DisbursementOrder['status']; reference: string;
  bank_reference: string | null; failure_reason: string | null; payee: BankAccount | null; store_code: string; otp_challenge_id: number | null;
}

const ORDER_COLUMNS = `id, loan_id, channel, amount_fen, status, reference, bank_reference, failure_reason, payee, store_code, otp_challenge_id`;
const maskAccount = (n: string) => `****${n.slice(-4)}`;

function orderView(r: OrderRow): DisbursementOrder {
  return {
    orderId: r.id, loanId: r.loan_id, channel: r.channel, amountFen: r.amount_fen, status: r.status, reference: r.reference,
    bankReference: r.bank_reference, failureReason: r.failure_reason,
    payee: r.payee ? { name: r.payee.name, bankName: r.payee.bankName, accountNumberMasked: maskAccount(r.payee.accountNumber) } : null,
  };
}

export function parsePayee(payee: BankAccount, field: string): BankAccount {
  const accountNumber = payee.accountNumber.replace(/\s/g, '');
  if (!/^\d{12,30}$/.test(accountNumber)) throw new DomainError('VALIDATION_FAILED', `${field}.accountNumber must be 12 to 30 digits`, `${field}.accountNumber`);
  const bankName = payee.bankName.trim();
  if (bankName.length < 2 || bankName.length > 60) throw new DomainError('VALIDATION_FAILED', `${field}.bankName must be 2 to 60 characters`, `${field}.bankName`);
  return { name: parsePersonName(payee.name, `${field}.name`), accountNumber, bankName };
}

async function findOrder(q: Queryable, where: string, value: string | number, lock: boolean): Promise<OrderRow | undefined> {
  const rows = await q.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM disbursement_orders WHERE ${where} = $1${lock ? ' FOR UPDATE' : ''}`, [value]);
  return rows[0];
}

export async function startDisbursement(
  db: Database, actor: PosActor, loanId: number, input: { channel: DisbursementWay; payee?: BankAccount }, now: Date,
): Promise<DisbursementOrder> {
  const businessDate = shanghaiDate(now);
  return db.transaction(async (tx) => {
    const loan = await lockStoreLoan(tx, actor, loanId);
    if (loan.status !== 'contracted') {
      throw new DomainError('LOAN_NOT_DISBURSABLE', `loan ${loanId} is ${loan.status}; only a signed (contracted) loan is paid out`, 'loanId');
    }
    const live = await tx.query<{ id: number; status: string }>(
      `SELECT id, status FROM disbursement_orders WHERE loan_id = $1 AND status <> 'failed'`, [loanId]);
    if (live[0]) throw new DomainError('DISBURSEMENT_IN_PROGRESS', `loan ${loanId} already has disbursement order ${live[0].id} (${live[0].status})`, 'loanId');
    const [attempt] = await tx.query<{ n: number }>(`SELECT count(*)::int + 1 AS n FROM disbursement_orders WHERE loan_id = $1`, [loanId]);
    const reference = `DSB${loanId}N${attempt!.n}`;
    let payee: BankAccount | null = null;
    if (input.channel !== 'store_cash') {
      if (!input.payee) throw new DomainError('VALIDATION_FAILED', `payee is required for a ${input.channel} disbursement`, 'payee');
      payee = parsePayee(input.payee, 'payee');
      if (input.channel === 'passbook' && payee.name !== loan.borrower.name) {
        throw new DomainError('PAYEE_NOT_BORROWER', 'a passbook disbursement goes only to an account in the borrower\'s own name', 'payee.name');
      }
    } else {
      await holdStoreDay(tx, actor.storeCode, businessDate, false);
    }
    const status = input.channel === 'store_cash' ? 'awaiting_receipt' : 'sent';
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO disbursement_orders (loan_id, channel, amount_fen, payee, status, reference, store_code, terminal_id, staff_id)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9) RETURNING id`,
      [loanId, input.channel, loan.principalFen, payee ? JSON.stringify(payee) : null, status, reference, actor.storeCode, actor.terminalId, actor.staffId]);
    const orderId = row!.id;
    if (input.channel === 'store_cash') {
      const otp = await issueOtp(tx, { purpose: 'cash_receipt', loanId, msisdn: loan.borrower.mobile, amountFen: loan.principalFen }, now);
      await tx.query(`UPDATE disbursement_orders SET otp_challenge_id = $2 WHERE id = $1`, [orderId, otp.challengeId]);
      return { ...orderView((await findOrder(tx, 'id', orderId, false))!), otp };
    }
    await postEntry(tx, {
      idempotencyKey: `disbursement-order:${orderId}:sent`, kind: 'disbursement_transfer_sent', businessRef: reference, businessDate,
      lines: [{ account: IN_TRANSIT, amountFen: loan.principalFen }, { account: CUSTODY_CASH, amountFen: -loan.principalFen }],
    });
    const message = bankTransferMessage(reference);
    await enqueueInTransaction(tx, { ...message, payload: { reference: message.payload.reference } });
    return orderView((await findOrder(tx, 'id', orderId, false))!);
  });
}

/** The borrower confirms with the SMS code that the cash was received; only then is the loan paid out. */
export async function confirmCashReceipt(
  db: Database, actor: PosActor, orderId: number, input: { challengeId: number; code: string }, now: Date,
): Promise<DisbursementOrder & { receiptNo: string }> {
  const businessDate = shanghaiDate(now);
  const order = await findOrder(db, 'id', orderId, false);
  if (!order || order.store_code !== actor.storeCode || order.channel !== 'store_cash') {
    throw new DomainError('DISBURSEMENT_NOT_FOUND', `no cash disbursement ${orderId} at this store`, 'orderId');
  }
  return confirmWithOtp(db, input.challengeId, { purpose: 'cash_receipt', loanId: order.loan_id }, input.code, now, async (tx) => {
    await holdStoreDay(tx, actor.storeCode, businessDate, false);
    const locked = (await findOrder(tx, 'id', orderId, true))!;
    if (locked.status !== 'awaiting_receipt' || locked.otp_challenge_id !== input.challengeId) {
      throw new DomainError('DISBURSEMENT_NOT_AWAITING_RECEIPT', `disbursement ${orderId} is ${locked.status}`, 'orderId');
    }
    const { id, receiptNo } = await nextReceiptNo(tx, 'PC', actor.storeCode, businessDate);
    await disburseLoanInTransaction(tx, locked.loan_id, { channel: 'store_cash', storeCode: actor.storeCode, businessDate, reference: receiptNo }, describeActor(actor));
    await tx.query(
      `INSERT INTO store_cash_movements (id, store_code, terminal_id, staff_id, business_date, kind, amount_fen, loan_id, receipt_no)
       VALUES ($1, $2, $3, $4, $5, 'disbursement_out', $6, $7, $8)`,
      [id, actor.storeCode, actor.terminalId, actor.staffId, businessDate, locked.amount_fen, locked.loan_id, receiptNo]);
    await tx.query(`UPDATE disbursement_orders SET status = 'succeeded', bank_reference = $2, updated_at = now() WHERE id = $1`, [orderId, receiptNo]);
    return { ...orderView((await findOrder(tx, 'id', orderId, false))!), receiptNo };
  });
}

/** Money back to custody cash, the order failed, the store told; the loan stays contracted for another try. */
async function failOrder(tx: Queryable, order: OrderRow, reason: string, businessDate: string): Promise<void> {
  await postEntry(tx, {
    idempotencyKey: `disbursement-order:${order.id}:returned`, kind: 'disbursement_transfer_returned', businessRef: order.reference, businessDate,
    lines: [{ account: CUSTODY_CASH, amountFen: order.amount_fen }, { account: IN_TRANSIT, amountFen: -order.amount_fen }],
  });
  await tx.query(`UPDATE disbursement_orders SET status = 'failed', failure_reason = $2, updated_at = now() WHERE id = $1`, [order.id, reason.slice(0, 300)]);
  await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'disbursement.failed',
    payload: { orderId: order.id, loanId: order.loan_id, storeCode: order.store_code, reason: reason.slice(0, 300) } });
}

/** What the bank-transfer job sends for an order still waiting to go out. */
export async function transferRequestFor(q: Queryable, reference: string): Promise<TransferRequest | undefined> {
  const order = await findOrder(q, 'reference', reference, false);
  if (!order || order.status !== 'sent' || order.bank_reference !== null || !order.payee) return undefined;
  return {
    reference: order.reference, amountFen: order.amount_fen, payee: order.payee,
    purpose: order.channel === 'supplier' ? 'supplier_payment' : 'loan_disbursement', memo: `借款${order.loan_id}放款`,
  };
}

/** The bank's immediate answer: accepted (result follows by callback) or rejected (money returns at once). */
export async function recordTransferOutcome(db: Database, reference: string, outcome: DefiniteTransferOutcome, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const order = await findOrder(tx, 'reference', reference, true);
    if (!order || order.status !== 'sent') return;
    if (outcome.kind === 'accepted') {
      await tx.query(`UPDATE disbursement_orders SET bank_reference = $2, updated_at = now() WHERE id = $1`, [order.id, outcome.bankReference]);
    } else {
      await failOrder(tx, order, `${outcome.code}: ${outcome.detail}`, shanghaiDate(now));
    }
  });
}

/** The bank's asynchronous result; repeats and late contradictions change nothing. */
export async function applyTransferResult(db: Database, result: TransferResult, now: Date): Promise<{ duplicate: boolean }> {
  return db.transaction(async (tx) => {
    const order = await findOrder(tx, 'reference', result.reference, true);
    if (!order) throw new DomainError('DISBURSEMENT_NOT_FOUND', `no disbursement order with reference ${result.reference}`, 'reference');
    const businessDate = shanghaiDate(now);
    if (order.status === 'failed' && result.status === 'succeeded') {
      // We already gave the money back to custody cash; the bank says it paid. Ops must look.
      await tx.query(
        `INSERT INTO reconciliation_breaks (source, business_date, kind, reference_code, expected_fen, actual_fen, detail)
         VALUES ('bank', $1, 'transfer_result_conflict', $2, 0, $3, $4) ON CONFLICT DO NOTHING`,
        [businessDate, order.reference, order.amount_fen, `the bank reports ${result.bankReference} succeeded after the order was failed (${order.failure_reason})`]);
    }
    if (order.status !== 'sent') return { duplicate: true };
    await tx.query(`UPDATE disbursement_orders SET bank_reference = coalesce(bank_reference, $2) WHERE id = $1`, [order.id, result.bankReference]);
    if (result.status === 'failed') {
      await failOrder(tx, order, result.failureReason ?? 'the bank reported the transfer failed', businessDate);
      return { duplicate: false };
    }
    await disburseLoanInTransaction(tx, order.loan_id, {
      channel: order.channel, businessDate, reference: result.bankReference, source: IN_TRANSIT,
    }, 'custody-bank');
    await tx.query(`UPDATE disbursement_orders SET status = 'succeeded', updated_at = now() WHERE id = $1`, [order.id]);
    return { duplicate: false };
  });
}

export async function storeDisbursements(q: Queryable, actor: PosActor, loanId: number): Promise<DisbursementOrder[]> {
  const rows = await q.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM disbursement_orders WHERE loan_id = $1 AND store_code = $2 ORDER BY id`, [loanId, actor.storeCode]);
  return rows.map(orderView);
}

/** The bank-transfer queue's hooks for disbursement orders. */
export function disbursementTransferHooks(db: Database, clock: () => Date) {
  return {
    requestFor: (payload: { reference: string }) => transferRequestFor(db, payload.reference),
    onOutcome: (payload: { reference: string }, outcome: DefiniteTransferOutcome) => recordTransferOutcome(db, payload.reference, outcome, clock()),
  };
}
