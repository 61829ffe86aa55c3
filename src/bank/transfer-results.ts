/**
 * The custody bank's result notifications (adapters/bank/API.md "Result notifications"):
 * after accepting a transfer the bank POSTs its outcome to our callback URL, signed with the
 * shared callback secret in the same scheme as the carrier's webhooks (X-Carrier-Timestamp,
 * X-Carrier-Signature over `timestamp + "." + raw body`, five-minute window), at least once
 * and in no particular order across transfers.
 *
 * This module reads and checks a notification; applying it to disbursement orders and the
 * ledger is the caller's (a TransferResultSink). It must be idempotent on notificationId (a
 * repeat is the same result) and on reference (a transfer completes once; a second, different
 * result for one reference is a bank error for ops, never a second ledger entry). A result may
 * also arrive before our job has recorded the bank's 202, so the sink must not require that.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { verifyCarrierWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, type WebhookVerdict } from '../billing/carrier-webhook.js';
import { DomainError } from '../core/domain-error.js';
import type { TransferResult } from './bank.port.js';
import { parseBankId, parseBankText, parseInstant, parseTransferReference } from './bank-values.js';

export const BANK_RESULT_INVALID = 'BANK_RESULT_INVALID';
/** Longest failure reason accepted from the bank, in characters. */
export const FAILURE_REASON_CHARS_MAX = 200;

/**
 * Applies one result to our records and says whether it had been applied before. Resolving
 * means "recorded, acknowledge it" (the route answers 200); rejecting makes the bank retry.
 */
export type TransferResultSink = (result: TransferResult) => Promise<{ duplicate: boolean }>;

function invalid(field: string, message: string): DomainError {
  return new DomainError(BANK_RESULT_INVALID, message, field);
}

/** Re-labels a shared value parser's error as BANK_RESULT_INVALID, keeping its field. */
function field<T>(parse: (code: string) => T): T {
  try {
    return parse(BANK_RESULT_INVALID);
  } catch (error) {
    if (error instanceof DomainError) throw invalid(error.field ?? 'body', error.message);
    throw error;
  }
}

/**
 * A parsed JSON notification body into a TransferResult, or a DomainError BANK_RESULT_INVALID
 * naming the field at fault. Every documented field is checked strictly (`failureReason` is
 * required exactly when the status is `failed`); fields the contract does not name are
 * ignored and never read, so a bank that adds one (API.md "Compatibility") does not make us
 * refuse, and so retry, every notification. The failure reason comes back with long digit runs masked.
 */
export function parseTransferResult(body: unknown): TransferResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  const notificationId = field((code) => parseBankId(b.notificationId, 'notificationId', code));
  const reference = field((code) => parseTransferReference(b.reference, 'reference', code));
  const bankReference = field((code) => parseBankId(b.bankReference, 'bankReference', code));
  if (b.status !== 'succeeded' && b.status !== 'failed') throw invalid('status', 'status must be succeeded or failed');
  const completedAt = field((code) => parseInstant(b.completedAt, 'completedAt', code));
  if (b.status === 'succeeded') {
    // null is how many JSON writers say "absent"; any reason at all contradicts success.
    if (b.failureReason !== undefined && b.failureReason !== null) throw invalid('failureReason', 'failureReason must be absent when status is succeeded');
    return { notificationId, reference, bankReference, status: 'succeeded', completedAt };
  }
  if (b.failureReason === undefined || b.failureReason === null) throw invalid('failureReason', 'failureReason is required when status is failed');
  const failureReason = field((code) => parseBankText(b.failureReason, 'failureReason', code, FAILURE_REASON_CHARS_MAX));
  return { notificationId, reference, bankReference, status: 'failed', failureReason, completedAt };
}

function single(value: string | string[] | undefined): string | undefined {
  // A header sent twice is ambiguous; treating it as missing refuses the request.
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks a notification's signature over the raw body exactly as received (before any JSON
 * parsing), with the shared callback secret. `headers` are node's lower-cased request headers.
 */
export function verifyBankCallback(
  secret: string, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, rawBody: string | Buffer, now: Date,
): WebhookVerdict {
  return verifyCarrierWebhook(secret, {
    timestamp: single(headers[WEBHOOK_TIMESTAMP_HEADER]), signature: single(headers[WEBHOOK_SIGNATURE_HEADER]),
  }, rawBody, now);
}
