import { assertWithinBorrowingCap } from '../core/borrowing-cap.js';
import { DomainError } from '../core/domain-error.js';
import { parseIdNumber, parseMobile, parsePersonName } from '../core/identity.js';
import { REPAYMENT_CHANNELS, type RepaymentChannel } from '../core/loan-accounting.js';
import { assertAmountInRange, serviceFeeFen } from '../core/product.js';
import type { Database, Queryable } from '../db/database.js';
import { requireActiveProduct, type StoredProduct } from '../products/product-repository.js';
import { findLoan, type LoanRecord } from './loan-repository.js';

export interface LoanApplicationInput {
  borrowerName: string;
  idNumber: string;
  mobile: string;
  productCode: string;
  principalFen: number;
  repaymentChannels: string[];
}

export function parseRepaymentChannels(value: readonly string[], field: string): RepaymentChannel[] {
  if (value.length === 0) throw new DomainError('INVALID_CHANNEL', `${field} must name at least one repayment channel`, field);
  for (const channel of value) {
    if (!(REPAYMENT_CHANNELS as readonly string[]).includes(channel)) {
      throw new DomainError('INVALID_CHANNEL', `${field}: "${channel}" is not one of ${REPAYMENT_CHANNELS.join(', ')}`, field);
    }
  }
  return [...new Set(value)] as RepaymentChannel[];
}

/** Finds the borrower by ID number or registers them; the ID number is the person's identity. */
export async function upsertBorrower(tx: Queryable, name: string, idNumber: string, mobile: string): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO borrowers (name, id_number, mobile) VALUES ($1, $2, $3)
     ON CONFLICT (id_number) DO UPDATE SET mobile = EXCLUDED.mobile RETURNING id`, [name, idNumber, mobile]);
  return row!.id;
}

/** Principal of the person's loans that are open or on their way to being open. */
export async function openPrincipalOf(tx: Queryable, borrowerId: number): Promise<number> {
  const [row] = await tx.query<{ total: number }>(
    `SELECT coalesce(sum(principal_fen), 0)::bigint AS total FROM loans
     WHERE borrower_id = $1 AND status IN ('applied', 'approved', 'contracted', 'active', 'overdue')`, [borrowerId]);
  return row!.total;
}

export interface NewLoan {
  name: string;
  idNumber: string;
  mobile: string;
  product: StoredProduct;
  principalFen: number;
  channels: RepaymentChannel[];
}

/** Inserts an `applied` loan inside the caller's transaction, after the amount and cap checks. */
export async function insertAppliedLoan(tx: Queryable, loan: NewLoan, actor: string, reason: string): Promise<LoanRecord> {
  const { product, principalFen } = loan;
  assertAmountInRange(product, principalFen, 'principalFen');
  const borrowerId = await upsertBorrower(tx, loan.name, loan.idNumber, loan.mobile);
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('borrower:' || $1::text))`, [borrowerId]);
  assertWithinBorrowingCap(await openPrincipalOf(tx, borrowerId), principalFen, 'principalFen');
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO loans (borrower_id, product_id, principal_fen, annual_rate_ppm, penalty_rate_ppm, service_fee_fen, term_months,
       method, status, repayment_channels)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'applied', $9) RETURNING id`,
    [borrowerId, product.id, principalFen, product.annualRatePpm, product.penaltyRatePpm,
      serviceFeeFen(principalFen, product.serviceFeePpm), product.termMonths, product.method, loan.channels]);
  await tx.query(`INSERT INTO loan_transitions (loan_id, from_status, to_status, actor, reason) VALUES ($1, NULL, 'applied', $2, $3)`,
    [row!.id, actor, reason]);
  return (await findLoan(tx, row!.id))!;
}

export async function applyForLoan(db: Database, input: LoanApplicationInput, actor: string): Promise<LoanRecord> {
  const name = parsePersonName(input.borrowerName, 'borrowerName');
  const idNumber = parseIdNumber(input.idNumber, 'idNumber');
  const mobile = parseMobile(input.mobile, 'mobile');
  const channels = parseRepaymentChannels(input.repaymentChannels, 'repaymentChannels');
  return db.transaction(async (tx) => {
    const product = await requireActiveProduct(tx, input.productCode, 'productCode');
    return insertAppliedLoan(tx, { name, idNumber, mobile, product, principalFen: input.principalFen, channels }, actor, 'application received');
  });
}
