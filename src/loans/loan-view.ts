import { maskIdNumber, maskMobile } from '../core/identity.js';
import type { Queryable } from '../db/database.js';
import { findLoan, loadInstallments, type InstallmentRecord, type LoanRecord } from './loan-repository.js';

export interface LoanView extends LoanRecord {
  borrower: { id: number; name: string; mobileMasked: string; idNumberMasked: string };
  productCode: string;
  productVersion: number;
  installments: InstallmentRecord[];
  transitions: { fromStatus: string | null; toStatus: string; actor: string; reason: string; at: string }[];
  balances: Record<string, number>;
}

/** Everything ops need to see on one loan; personal numbers are masked. */
export async function loanView(q: Queryable, loanId: number): Promise<LoanView | undefined> {
  const loan = await findLoan(q, loanId);
  if (!loan) return undefined;
  const [borrower] = await q.query<{ id: number; name: string; mobile: string; id_number: string; code: string; version: number }>(
    `SELECT b.id, b.name, b.mobile, b.id_number, p.code, p.version FROM borrowers b, products p WHERE b.id = $1 AND p.id = $2`,
    [loan.borrowerId, loan.productId]);
  const transitions = await q.query<{ fromStatus: string | null; toStatus: string; actor: string; reason: string; at: Date }>(
    `SELECT from_status AS "fromStatus", to_status AS "toStatus", actor, reason, at FROM loan_transitions WHERE loan_id = $1 ORDER BY id`, [loanId]);
  const balances = await q.query<{ purpose: string; balance_fen: number }>(
    `SELECT purpose, balance_fen FROM ledger_accounts WHERE owner_type = 'loan' AND owner_id = $1 ORDER BY purpose`, [String(loanId)]);
  return {
    ...loan,
    borrower: { id: borrower!.id, name: borrower!.name, mobileMasked: maskMobile(borrower!.mobile), idNumberMasked: maskIdNumber(borrower!.id_number) },
    productCode: borrower!.code,
    productVersion: borrower!.version,
    installments: await loadInstallments(q, loanId),
    transitions: transitions.map((t) => ({ ...t, at: t.at.toISOString() })),
    balances: Object.fromEntries(balances.map((b) => [b.purpose, b.balance_fen])),
  };
}
