/**
 * Asking the custody bank where one transfer stands (GET /api/v1/transfers/:reference). Not
 * part of BankPort: transfers complete through callbacks; this is for reconciliation and for
 * ops when a callback is overdue. The HTTP adapter (adapters/bank/client.ts) implements both.
 */
import type { Fen } from '../core/money.js';

export const BANK_TRANSFER_STATES = ['accepted', 'succeeded', 'failed'] as const;
export type BankTransferState = (typeof BANK_TRANSFER_STATES)[number];

export interface TransferStatusRecord {
  reference: string;
  bankReference: string;
  /** `accepted`: still being processed; the other two are final. */
  status: BankTransferState;
  amountFen: Fen;
  /** Present exactly when `failed`; long digit runs masked. */
  failureReason?: string;
  acceptedAt: string;
  /** Present exactly when the status is final. */
  completedAt?: string;
}

export type TransferStatusOutcome =
  | { kind: 'found'; transfer: TransferStatusRecord }
  /** The bank holds no transfer under this reference: it never arrived, or it was rejected (rejections keep no record). */
  | { kind: 'not_found' }
  | { kind: 'timeout'; code: 'TIMEOUT'; detail: string }
  | { kind: 'service_error'; code: string; detail: string };

export interface TransferStatusPort {
  transferStatus(reference: string): Promise<TransferStatusOutcome>;
}
