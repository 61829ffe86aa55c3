/**
 * End of day at a store: what each terminal took and paid out, the drawer the store should
 * hold, and the manager's close with the counted cash and the bank deposit slip. The
 * deposit moves the store's cash to the custody bank in the ledger; any difference from the
 * expected drawer, or between counted and deposited cash, becomes a reconciliation break for
 * ops. A closed day takes no more cash for that business date.
 */
import { shanghaiDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import type { AccountRef } from '../core/journal-entry.js';
import type { Database, Queryable } from '../db/database.js';
import { postEntry } from '../ledger/post-entries.js';
import type { PosActor } from './pos-actor.js';
import { holdStoreDay } from './store-loans.js';

export interface TerminalDay {
  terminalId: string;
  cashInFen: number;
  cashOutFen: number;
  repayments: number;
  payouts: number;
}

export interface StoreDaySummary {
  storeCode: string;
  businessDate: string;
  terminals: TerminalDay[];
  cashInFen: number;
  cashOutFen: number;
  /** Cash the drawer should hold from today's loan business: taken minus paid out. */
  expectedDrawerFen: number;
  closed: null | { countedCashFen: number; depositedFen: number; depositSlipRef: string; closedBy: string; closedAt: string };
}

export async function storeDaySummary(q: Queryable, storeCode: string, businessDate: string): Promise<StoreDaySummary> {
  const terminals = await q.query<{ terminal_id: string; cash_in: number; cash_out: number; repayments: number; payouts: number }>(
    `SELECT terminal_id,
       coalesce(sum(amount_fen) FILTER (WHERE kind = 'repayment_in'), 0)::bigint AS cash_in,
       coalesce(sum(amount_fen) FILTER (WHERE kind = 'disbursement_out'), 0)::bigint AS cash_out,
       count(*) FILTER (WHERE kind = 'repayment_in')::int AS repayments,
       count(*) FILTER (WHERE kind = 'disbursement_out')::int AS payouts
     FROM store_cash_movements WHERE store_code = $1 AND business_date = $2 GROUP BY terminal_id ORDER BY terminal_id`, [storeCode, businessDate]);
  const [closed] = await q.query<{ counted_cash_fen: number; deposited_fen: number; deposit_slip_ref: string; closed_by: string; closed_at: Date }>(
    `SELECT counted_cash_fen, deposited_fen, deposit_slip_ref, closed_by, closed_at FROM store_days WHERE store_code = $1 AND business_date = $2`,
    [storeCode, businessDate]);
  const cashInFen = terminals.reduce((s, t) => s + t.cash_in, 0);
  const cashOutFen = terminals.reduce((s, t) => s + t.cash_out, 0);
  return {
    storeCode, businessDate, cashInFen, cashOutFen, expectedDrawerFen: cashInFen - cashOutFen,
    terminals: terminals.map((t) => ({ terminalId: t.terminal_id, cashInFen: t.cash_in, cashOutFen: t.cash_out, repayments: t.repayments, payouts: t.payouts })),
    closed: closed ? { countedCashFen: closed.counted_cash_fen, depositedFen: closed.deposited_fen, depositSlipRef: closed.deposit_slip_ref,
      closedBy: closed.closed_by, closedAt: closed.closed_at.toISOString() } : null,
  };
}

export interface CloseDayInput {
  businessDate: string;
  /** Loan-business cash in the drawer: receipts taken minus cash paid out; negative when payouts exceeded takings. */
  countedCashFen: number;
  depositedFen: number;
  depositSlipRef: string;
}

const storeCash = (storeCode: string): AccountRef => ({ ownerType: 'store', ownerId: storeCode, purpose: 'store_cash_in_transit' });
const CUSTODY_CASH: AccountRef = { ownerType: 'bank', ownerId: 'custody', purpose: 'custody_bank_cash' };

async function recordBreak(tx: Queryable, kind: string, reference: string, businessDate: string, expectedFen: number, actualFen: number, detail: string) {
  await tx.query(
    `INSERT INTO reconciliation_breaks (source, business_date, kind, reference_code, expected_fen, actual_fen, detail)
     VALUES ('store_cash', $1, $2, $3, $4, $5, $6)`, [businessDate, kind, reference, expectedFen, actualFen, detail]);
}

export async function closeStoreDay(db: Database, actor: PosActor, input: CloseDayInput, now: Date) {
  if (actor.role !== 'manager') throw new DomainError('FORBIDDEN', 'only the store manager closes the day', 'role');
  if (input.businessDate > shanghaiDate(now)) {
    throw new DomainError('VALIDATION_FAILED', 'businessDate is in the future; a day is closed at its end, not before it starts', 'businessDate');
  }
  // Payouts can exceed takings: the drawer is then short of the store's own money, the
  // platform owes the store, and there is nothing to deposit.
  const depositDueFen = Math.max(0, input.countedCashFen);
  if (input.depositedFen < 0 || input.depositedFen > depositDueFen) {
    throw new DomainError('VALIDATION_FAILED', `depositedFen must be between 0 and the counted cash (${depositDueFen} fen)`, 'depositedFen');
  }
  return db.transaction(async (tx) => {
    await holdStoreDay(tx, actor.storeCode, input.businessDate, true);
    const summary = await storeDaySummary(tx, actor.storeCode, input.businessDate);
    const reference = `${actor.storeCode}:${input.businessDate}`;
    const breaks: { kind: string; expectedFen: number; actualFen: number }[] = [];
    if (input.countedCashFen !== summary.expectedDrawerFen) {
      const kind = input.countedCashFen < summary.expectedDrawerFen ? 'drawer_short' : 'drawer_over';
      breaks.push({ kind, expectedFen: summary.expectedDrawerFen, actualFen: input.countedCashFen });
      await recordBreak(tx, kind, reference, input.businessDate, summary.expectedDrawerFen, input.countedCashFen,
        `store ${actor.storeCode} counted ${input.countedCashFen} fen against ${summary.expectedDrawerFen} fen expected`);
    }
    if (input.depositedFen !== depositDueFen) {
      breaks.push({ kind: 'deposit_short', expectedFen: depositDueFen, actualFen: input.depositedFen });
      await recordBreak(tx, 'deposit_short', reference, input.businessDate, depositDueFen, input.depositedFen,
        `store ${actor.storeCode} deposited ${input.depositedFen} fen of ${depositDueFen} fen counted (slip ${input.depositSlipRef})`);
    }
    if (input.depositedFen > 0) {
      await postEntry(tx, {
        idempotencyKey: `store-day:${reference}:deposit`, kind: 'store_deposit', businessRef: input.depositSlipRef, businessDate: input.businessDate,
        lines: [{ account: CUSTODY_CASH, amountFen: input.depositedFen }, { account: storeCash(actor.storeCode), amountFen: -input.depositedFen }],
      });
    }
    await tx.query(
      `INSERT INTO store_days (store_code, business_date, status, cash_in_fen, cash_out_fen, expected_drawer_fen, counted_cash_fen,
         deposited_fen, deposit_slip_ref, closed_by, closed_at)
       VALUES ($1, $2, 'closed', $3, $4, $5, $6, $7, $8, $9, $10)`,
      [actor.storeCode, input.businessDate, summary.cashInFen, summary.cashOutFen, summary.expectedDrawerFen, input.countedCashFen,
        input.depositedFen, input.depositSlipRef, `${actor.terminalId}/${actor.staffId}`, now]);
    return { ...(await storeDaySummary(tx, actor.storeCode, input.businessDate)), breaks };
  });
}
