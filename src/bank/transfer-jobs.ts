/**
 * The handler of the `bank-transfers` queue, kept generic: a job names our transfer reference;
 * the integrator's `requestFor` turns it into the TransferRequest (or undefined when nothing
 * is to be sent any more) and its `onOutcome` records an `accepted` or `rejected` answer.
 *
 * Safe to run any number of times: every attempt sends the same reference and the bank
 * de-duplicates on it (a repeat with the same body is answered `accepted` with the same
 * bankReference). So a `timeout` or `service_error`, after which the bank may or may not hold
 * the transfer, simply throws and the queue retries with backoff; exhausted, the job becomes a
 * dead letter for ops, never a guess. For that to hold, `requestFor` must build the same body
 * on every attempt (amount and payee fixed before the first send): a different body under the
 * same reference is answered `rejected` REFERENCE_CONFLICT, and the first transfer stands.
 * That one rejection does not mean "nothing was paid", so it never reaches onOutcome (which
 * would fail the order and free the money for a second payment): it throws
 * BankTransferConflictError and the job ends as a dead letter for ops, who settle it from the
 * bank's status (GET /api/v1/transfers/:reference) or its callback.
 *
 * The final result of an accepted transfer comes later as a callback (transfer-results.ts).
 */
import { DomainError, invariant } from '../core/domain-error.js';
import type { Database } from '../db/database.js';
import { QUEUE_BANK_TRANSFERS } from '../queue/queues.js';
import type { JobHandler, QueueJob } from '../queue/workers.js';
import type { BankPort, TransferOutcome, TransferRequest } from './bank.port.js';
import { parseTransferReference, REFERENCE_CONFLICT } from './bank-values.js';

export const BANK_TRANSFER_JOB_NAME = 'bank.transfer';

/** The job's data: our reference, nothing else (amount and payee are read fresh by requestFor). */
export interface BankTransferJob {
  reference: string;
}

/** The answers a handler passes on (a `rejected` is never REFERENCE_CONFLICT); the others throw. */
export type DefiniteTransferOutcome = Extract<TransferOutcome, { kind: 'accepted' | 'rejected' }>;

/** What a callback may want besides the payload: the database and which run of the job this is. */
export interface BankTransferJobContext {
  db: Database;
  jobId: string;
  /** Runs of this job before this one (0 on the first). */
  attemptsMade: number;
}

export interface BankTransferHandlerDeps {
  db: Database;
  bank: BankPort;
  /** The request to send for this reference; undefined when it is no longer wanted (already settled, cancelled). */
  requestFor: (payload: BankTransferJob, context: BankTransferJobContext) => Promise<TransferRequest | undefined>;
  /** Records a definite answer; must be idempotent (a crash after the bank answered runs the job again). */
  onOutcome: (payload: BankTransferJob, outcome: DefiniteTransferOutcome, context: BankTransferJobContext) => Promise<void>;
}

/** Thrown for `timeout` and `service_error` so the queue retries; the detail is already masked by the adapter. */
export class BankTransferRetryError extends DomainError {
  constructor(reference: string, outcome: Extract<TransferOutcome, { kind: 'timeout' | 'service_error' }>) {
    super(outcome.kind === 'timeout' ? 'BANK_TIMEOUT' : 'BANK_SERVICE_ERROR',
      `bank transfer ${reference}: ${outcome.kind} (${outcome.code}: ${outcome.detail}); retried with the same reference`);
    this.name = 'BankTransferRetryError';
  }
}

/**
 * The bank holds our reference with a different body: our records and the bank's disagree.
 * Retrying cannot change that (each retry is answered 409 again, harmlessly), so the job ends
 * as a dead letter; ops compare the order with the bank's transfer before anything else is paid.
 */
export class BankTransferConflictError extends DomainError {
  constructor(reference: string, detail: string) {
    super('BANK_REFERENCE_CONFLICT', `bank transfer ${reference}: the bank holds this reference with a different body (${detail}); `
      + 'that transfer stands and may be paid: check its status before paying again');
    this.name = 'BankTransferConflictError';
  }
}

/** The job data into a BankTransferJob, or a DomainError BANK_JOB_INVALID (a producer's bug: the job dead-letters). */
export function parseBankTransferJob(data: unknown): BankTransferJob {
  const reference = typeof data === 'object' && data !== null ? (data as { reference?: unknown }).reference : undefined;
  return { reference: parseTransferReference(reference, 'reference', 'BANK_JOB_INVALID') };
}

/** The outbox message that starts a transfer; write it in the transaction that creates the order. */
export function bankTransferMessage(reference: string): { queue: typeof QUEUE_BANK_TRANSFERS; name: string; payload: BankTransferJob } {
  return { queue: QUEUE_BANK_TRANSFERS, name: BANK_TRANSFER_JOB_NAME, payload: parseBankTransferJob({ reference }) };
}

export function bankTransferHandler(deps: BankTransferHandlerDeps): JobHandler {
  return async (job: QueueJob): Promise<void> => {
    const payload = parseBankTransferJob(job.data);
    const context: BankTransferJobContext = { db: deps.db, jobId: job.id, attemptsMade: job.attemptsMade };
    const request = await deps.requestFor(payload, context);
    if (request === undefined) return;
    // The bank's de-duplication is by reference: a request under any other one could pay twice.
    invariant(request.reference === payload.reference, `bank transfer job ${job.id} sends the reference it names`);
    const outcome = await deps.bank.transfer(request);
    if (outcome.kind === 'timeout' || outcome.kind === 'service_error') throw new BankTransferRetryError(payload.reference, outcome);
    if (outcome.kind === 'rejected' && outcome.code === REFERENCE_CONFLICT) throw new BankTransferConflictError(payload.reference, outcome.detail);
    await deps.onOutcome(payload, outcome, context);
  };
}
