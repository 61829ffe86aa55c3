/**
 * Deduction mandates (委托划扣协议书): a loan whose borrower chose phone-credit repayment
 * may be charged on the borrower's own number. The mandate records the number and whether
 * the account is prepaid or postpaid; revoking it stops new attempts at once.
 */
import { DomainError } from '../core/domain-error.js';
import { maskMobile } from '../core/identity.js';
import type { SubscriberPlan } from '../core/deduction.js';
import type { Database } from '../db/database.js';
import { lockLoan } from '../loans/loan-repository.js';

export interface Mandate { loanId: number; msisdnMasked: string; plan: SubscriberPlan; status: 'active' | 'revoked' }

export async function registerMandate(db: Database, loanId: number, plan: SubscriberPlan): Promise<Mandate> {
  return db.transaction(async (tx) => {
    const loan = await lockLoan(tx, loanId);
    if (!loan.repaymentChannels.includes('phone_credit')) {
      throw new DomainError('NO_PHONE_CREDIT_CHANNEL', `loan ${loanId} was not contracted with phone-credit repayment`, 'loanId');
    }
    if (['rejected', 'cancelled', 'settled', 'written_off'].includes(loan.status)) {
      throw new DomainError('LOAN_ILLEGAL_TRANSITION', `loan ${loanId} is ${loan.status}; no mandate can start`, 'loanId');
    }
    const [row] = await tx.query<{ mobile: string }>(
      `INSERT INTO deduction_mandates (loan_id, msisdn, plan) SELECT $1, b.mobile, $2 FROM borrowers b WHERE b.id = $3
       ON CONFLICT (loan_id) DO UPDATE SET plan = EXCLUDED.plan, status = 'active' RETURNING msisdn AS mobile`, [loanId, plan, loan.borrowerId]);
    return { loanId, msisdnMasked: maskMobile(row!.mobile), plan, status: 'active' };
  });
}

export async function revokeMandate(db: Database, loanId: number): Promise<void> {
  const rows = await db.query(`UPDATE deduction_mandates SET status = 'revoked' WHERE loan_id = $1 RETURNING loan_id`, [loanId]);
  if (rows.length === 0) throw new DomainError('MANDATE_NOT_FOUND', `loan ${loanId} has no deduction mandate`, 'loanId');
}
