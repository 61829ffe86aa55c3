/**
 * Finding a borrower at the counter by phone number, ID number or loan number, with what is
 * due today on each of the store's loans (overdue first, penalty included) and the payoff.
 */
import { amountDueNow } from '../core/allocation.js';
import { DomainError } from '../core/domain-error.js';
import { maskIdNumber, maskMobile, parseIdNumber, parseMobile } from '../core/identity.js';
import type { Queryable } from '../db/database.js';
import { loadInstallments, outstanding, isSettled } from '../loans/loan-repository.js';
import { payoffQuote } from '../loans/post-repayment.js';
import type { PosActor } from './pos-actor.js';

export interface LookupQuery {
  mobile?: string;
  idNumber?: string;
  loanId?: number;
}

export interface DueLine {
  installment: number;
  dueDate: string;
  overdue: boolean;
  principalFen: number;
  interestFen: number;
  feeFen: number;
  penaltyFen: number;
}

export interface StoreLoanSummary {
  loanId: number;
  status: string;
  productCode: string;
  principalFen: number;
  daysPastDue: number;
  dueToday: { totalFen: number; lines: DueLine[] };
  payoff: { payoffFen: number; waivedInterestFen: number };
}

function whereClause(query: LookupQuery): { sql: string; value: string | number } {
  const given = [query.mobile, query.idNumber, query.loanId].filter((v) => v !== undefined);
  if (given.length !== 1) throw new DomainError('VALIDATION_FAILED', 'give exactly one of mobile, idNumber or loanId', 'query');
  if (query.mobile !== undefined) return { sql: 'b.mobile = $2', value: parseMobile(query.mobile, 'mobile') };
  if (query.idNumber !== undefined) return { sql: 'b.id_number = $2', value: parseIdNumber(query.idNumber, 'idNumber') };
  return { sql: 'l.id = $2', value: query.loanId! };
}

export async function lookupCustomer(q: Queryable, actor: PosActor, query: LookupQuery, businessDate: string) {
  const where = whereClause(query);
  const loans = await q.query<{ id: number; status: string; code: string; principal_fen: number; days_past_due: number; name: string; mobile: string; id_number: string }>(
    `SELECT l.id, l.status, p.code, l.principal_fen, l.days_past_due, b.name, b.mobile, b.id_number
     FROM loans l JOIN borrowers b ON b.id = l.borrower_id JOIN products p ON p.id = l.product_id
     WHERE l.store_code = $1 AND ${where.sql} ORDER BY l.id`, [actor.storeCode, where.value]);
  if (loans.length === 0) throw new DomainError('CUSTOMER_NOT_FOUND', 'no customer of this store matches', 'query');
  const summaries: StoreLoanSummary[] = [];
  for (const loan of loans) {
    const installments = await loadInstallments(q, loan.id);
    const open = installments.filter((i) => !isSettled(i));
    const balances = open.map(outstanding);
    const current = balances.find((b) => b.dueDate >= businessDate);
    const due = balances.filter((b) => b.dueDate < businessDate || b === current);
    summaries.push({
      loanId: loan.id, status: loan.status, productCode: loan.code, principalFen: loan.principal_fen, daysPastDue: loan.days_past_due,
      dueToday: {
        totalFen: balances.length > 0 ? amountDueNow(balances, businessDate) : 0,
        lines: due.map((b) => ({ installment: b.number, dueDate: b.dueDate, overdue: b.dueDate < businessDate,
          principalFen: b.principalFen, interestFen: b.interestFen, feeFen: b.feeFen, penaltyFen: b.penaltyFen })),
      },
      payoff: payoffQuote(open),
    });
  }
  const first = loans[0]!;
  return {
    borrower: { name: first.name, mobileMasked: maskMobile(first.mobile), idNumberMasked: maskIdNumber(first.id_number) },
    loans: summaries,
  };
}
