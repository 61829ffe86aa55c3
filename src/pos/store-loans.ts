/**
 * A store sees only its own customers: the loans it took, signed or serves. Anything else
 * is answered as not found, so a terminal cannot even learn that another store's loan exists.
 */
import { DomainError } from '../core/domain-error.js';
import type { Queryable } from '../db/database.js';
import { lockLoan, type LoanRecord } from '../loans/loan-repository.js';
import type { PosActor } from './pos-actor.js';

export interface StoreLoanParty {
  name: string;
  idNumber: string;
  mobile: string;
}

/** The loan if it belongs to the actor's store, locked for the transaction. */
export async function lockStoreLoan(tx: Queryable, actor: PosActor, loanId: number): Promise<LoanRecord & { borrower: StoreLoanParty }> {
  const [row] = await tx.query<{ store_code: string | null; name: string; id_number: string; mobile: string }>(
    `SELECT l.store_code, b.name, b.id_number, b.mobile FROM loans l JOIN borrowers b ON b.id = l.borrower_id WHERE l.id = $1`, [loanId]);
  if (!row || row.store_code !== actor.storeCode) throw new DomainError('LOAN_NOT_FOUND', `no loan ${loanId} at this store`, 'loanId');
  return { ...(await lockLoan(tx, loanId)), borrower: { name: row.name, idNumber: row.id_number, mobile: row.mobile } };
}

/** Serialises cash at a store for one business date against the day's close. */
export async function holdStoreDay(tx: Queryable, storeCode: string, businessDate: string, exclusive: boolean): Promise<void> {
  await tx.query(exclusive ? `SELECT pg_advisory_xact_lock(hashtext($1))` : `SELECT pg_advisory_xact_lock_shared(hashtext($1))`,
    [`store-day:${storeCode}:${businessDate}`]);
  const closed = await tx.query(`SELECT 1 FROM store_days WHERE store_code = $1 AND business_date = $2`, [storeCode, businessDate]);
  if (closed.length > 0) {
    throw new DomainError('STORE_DAY_CLOSED', `the store closed business date ${businessDate}; no more cash is taken or paid out for it`, 'businessDate');
  }
}

/** A receipt number unique across stores, readable at the counter: RC-<store>-<yyyymmdd>-<n>. */
export async function nextReceiptNo(tx: Queryable, prefix: 'RC' | 'PC', storeCode: string, businessDate: string): Promise<{ id: number; receiptNo: string }> {
  const [row] = await tx.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('store_cash_movements', 'id'))::bigint AS id`);
  return { id: row!.id, receiptNo: `${prefix}-${storeCode}-${businessDate.replaceAll('-', '')}-${row!.id}` };
}
