/** Messages loan events put on the outbox, in the same transaction as the event itself. */
import type { Queryable } from '../db/database.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';

export type LoanEventName = 'loan.disbursed' | 'loan.repayment_posted' | 'loan.settled' | 'loan.overdue' | 'loan.written_off';

export async function publishLoanEvent(
  tx: Queryable, name: LoanEventName, payload: { loanId: number } & Record<string, string | number | boolean | null>,
): Promise<void> {
  await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name, payload });
}
