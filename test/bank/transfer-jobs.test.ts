/**
 * The bank-transfers queue handler: definite answers go to onOutcome, uncertain ones throw so
 * the queue retries with the same reference; and, against the simulated bank, a retry after a
 * lost reply pays once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BankPort, TransferOutcome, TransferRequest } from '../../src/bank/bank.port.js';
import {
  BANK_TRANSFER_JOB_NAME, BankTransferRetryError, bankTransferHandler, bankTransferMessage, type BankTransferJob, type BankTransferJobContext,
  type DefiniteTransferOutcome,
} from '../../src/bank/transfer-jobs.js';
import { DomainError } from '../../src/core/domain-error.js';
import type { Database } from '../../src/db/database.js';
import { QUEUE_BANK_TRANSFERS } from '../../src/queue/queues.js';
import type { QueueJob } from '../../src/queue/workers.js';
import { createBankHttpClient } from '../../adapters/bank/client.js';
import { startBankSimulator, type BankSimulator } from '../../adapters/bank/simulator.js';

/** The handler only hands the database on to the callbacks; these tests never query it. */
const db = { kind: 'pglite' } as unknown as Database;

const request = (reference: string): TransferRequest => ({
  reference, amountFen: 500_000, payee: { name: '梁梅秀', accountNumber: '6228480012345678901', bankName: '某县农商银行' },
  purpose: 'loan_disbursement', memo: `贷款发放 ${reference}`,
});

const job = (data: unknown, attemptsMade = 0): QueueJob => ({ id: 'outbox-7', name: BANK_TRANSFER_JOB_NAME, data, attemptsMade });

function fakeBank(outcomes: TransferOutcome[]): BankPort & { sent: TransferRequest[] } {
  const sent: TransferRequest[] = [];
  return {
    sent,
    transfer: async (r) => {
      sent.push(r);
      const next = outcomes.shift();
      if (!next) throw new Error('no outcome scripted');
      return next;
    },
    close: () => undefined,
  };
}

function harness(outcomes: TransferOutcome[], requestFor: (p: BankTransferJob) => TransferRequest | undefined = (p) => request(p.reference)) {
  const bank = fakeBank(outcomes);
  const recorded: { payload: BankTransferJob; outcome: DefiniteTransferOutcome; context: BankTransferJobContext }[] = [];
  const handler = bankTransferHandler({
    db, bank,
    requestFor: async (payload) => requestFor(payload),
    onOutcome: async (payload, outcome, context) => {
      recorded.push({ payload, outcome, context });
    },
  });
  return { bank, recorded, handler };
}

describe('bankTransferHandler', () => {
  it('passes an acceptance to onOutcome with the job context', async () => {
    const { bank, recorded, handler } = harness([{ kind: 'accepted', bankReference: 'CB1' }]);
    await handler(job({ reference: 'DSB-1' }, 2));
    expect(bank.sent).toEqual([request('DSB-1')]);
    expect(recorded).toEqual([{ payload: { reference: 'DSB-1' }, outcome: { kind: 'accepted', bankReference: 'CB1' }, context: { db, jobId: 'outbox-7', attemptsMade: 2 } }]);
  });

  it('passes a rejection to onOutcome', async () => {
    const { recorded, handler } = harness([{ kind: 'rejected', code: 'ACCOUNT_CLOSED', detail: '账户已销户' }]);
    await handler(job({ reference: 'DSB-1' }));
    expect(recorded.map((r) => r.outcome)).toEqual([{ kind: 'rejected', code: 'ACCOUNT_CLOSED', detail: '账户已销户' }]);
  });

  it('throws on a timeout or a service error so the queue retries, and records nothing', async () => {
    const { recorded, handler } = harness([
      { kind: 'timeout', code: 'TIMEOUT', detail: 'no reply' },
      { kind: 'service_error', code: 'HTTP_503', detail: 'busy' },
    ]);
    await expect(handler(job({ reference: 'DSB-1' }))).rejects.toMatchObject({ code: 'BANK_TIMEOUT', name: 'BankTransferRetryError' });
    await expect(handler(job({ reference: 'DSB-1' }))).rejects.toThrow(BankTransferRetryError);
    expect(recorded).toEqual([]);
  });

  it('never passes REFERENCE_CONFLICT on as a rejection: the first transfer may be paid, so the job dead-letters', async () => {
    const { recorded, handler } = harness([{ kind: 'rejected', code: 'REFERENCE_CONFLICT', detail: 'different body' }]);
    await expect(handler(job({ reference: 'DSB-1' }))).rejects.toMatchObject({ code: 'BANK_REFERENCE_CONFLICT', name: 'BankTransferConflictError' });
    expect(recorded).toEqual([]);
  });

  it('sends nothing when requestFor says the transfer is no longer wanted', async () => {
    const { bank, recorded, handler } = harness([], () => undefined);
    await handler(job({ reference: 'DSB-1' }));
    expect(bank.sent).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('refuses to send under another reference than the job names', async () => {
    const { bank, handler } = harness([], () => request('DSB-2'));
    await expect(handler(job({ reference: 'DSB-1' }))).rejects.toThrow(/sends the reference it names/);
    expect(bank.sent).toEqual([]);
  });

  it('refuses job data without a valid reference', async () => {
    const { handler } = harness([]);
    for (const data of [null, {}, { reference: '' }, { reference: 'a/b' }, { reference: 7 }]) {
      await expect(handler(job(data))).rejects.toMatchObject({ code: 'BANK_JOB_INVALID', field: 'reference' });
    }
    await expect(handler(job({}))).rejects.toBeInstanceOf(DomainError);
  });
});

describe('bankTransferMessage', () => {
  it('is the outbox message for the bank-transfers queue', () => {
    expect(bankTransferMessage('DSB-1')).toEqual({ queue: QUEUE_BANK_TRANSFERS, name: BANK_TRANSFER_JOB_NAME, payload: { reference: 'DSB-1' } });
    expect(() => bankTransferMessage('bad ref')).toThrow(DomainError);
  });
});

describe('against the simulated bank', () => {
  let sim: BankSimulator | undefined;

  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('a run whose reply was lost is retried under the same reference; the bank pays once', async () => {
    sim = await startBankSimulator({ merchantId: 'M-1', secret: 'api-secret-0123456789', callbackSecret: 'cb-secret-0123456789', completionDelayMs: 10 });
    const bank = createBankHttpClient({ baseUrl: sim.url, merchantId: 'M-1', secret: 'api-secret-0123456789', timeoutMs: 200 });
    const outcomes: DefiniteTransferOutcome[] = [];
    const handler = bankTransferHandler({ db, bank, requestFor: async (p) => request(p.reference), onOutcome: async (_p, o) => void outcomes.push(o) });
    sim.faults.hang({ afterProcessing: true });
    await expect(handler(job({ reference: 'DSB-9' }, 0))).rejects.toMatchObject({ code: 'BANK_TIMEOUT' });
    await handler(job({ reference: 'DSB-9' }, 1));
    bank.close();
    await sim.idle();
    expect(outcomes).toEqual([{ kind: 'accepted', bankReference: sim.transfers()[0]!.bankReference }]);
    expect(sim.paidOutFen('6228480012345678901')).toBe(500_000);
  });
});
