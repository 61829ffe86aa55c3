/**
 * What the lending side needs from the custody bank to move money out: a transfer that the
 * bank accepts at once and completes later, reporting the result by a signed callback. The
 * HTTP adapter (adapters/bank/client.ts) implements it.
 */
import type { Fen } from '../core/money.js';

export interface BankAccount {
  /** Account holder's name as the bank has it. */
  name: string;
  /** Passbook or card account number (digits). */
  accountNumber: string;
  /** The receiving bank, e.g. 农村信用合作社 of the county. */
  bankName: string;
}

export const TRANSFER_PURPOSES = ['loan_disbursement', 'supplier_payment', 'investor_withdrawal'] as const;
export type TransferPurpose = (typeof TRANSFER_PURPOSES)[number];

export interface TransferRequest {
  /** Our unique reference; the bank de-duplicates on it, so a retry never pays twice. */
  reference: string;
  amountFen: Fen;
  payee: BankAccount;
  purpose: TransferPurpose;
  /** Shown on the payee's statement. */
  memo: string;
}

export type TransferOutcome =
  /** Accepted for processing; the result arrives as a callback (TransferResult). */
  | { kind: 'accepted'; bankReference: string }
  /** Refused outright (bad account, limits); nothing was paid. */
  | { kind: 'rejected'; code: string; detail: string }
  | { kind: 'timeout'; code: 'TIMEOUT'; detail: string }
  | { kind: 'service_error'; code: string; detail: string };

/** The bank's asynchronous result of an accepted transfer. */
export interface TransferResult {
  /** The bank's id of this notification; a repeat is the same result delivered twice. */
  notificationId: string;
  reference: string;
  bankReference: string;
  status: 'succeeded' | 'failed';
  /** Why a transfer failed (account closed, name mismatch …). */
  failureReason?: string;
  completedAt: string;
}

export interface BankPort {
  transfer(request: TransferRequest): Promise<TransferOutcome>;
  close(): void;
}
