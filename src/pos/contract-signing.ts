/**
 * Signing at the store (签约): the store prints the five documents rendered from the loan's
 * terms, the borrower confirms with the SMS code, and the evidence is kept: each document's
 * text and SHA-256, template version, the code's verification, terminal, staff and time.
 * Signed documents are immutable (database triggers) and only the borrower's store reads them.
 *
 * The schedule in the documents starts on the signing date; installments are fixed at
 * disbursement from the disbursement date, and the documents say so.
 */
import { shanghaiDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import type { RepaymentChannel } from '../core/loan-accounting.js';
import { buildSchedule, type RepaymentMethod } from '../core/schedule.js';
import type { Config } from '../config.js';
import type { Database, Queryable } from '../db/database.js';
import { renderContractSet, type RenderedDocument } from '../contracts/render-contract.js';
import { findLoan, recordTransition } from '../loans/loan-repository.js';
import type { BankAccount } from '../bank/bank.port.js';
import { parsePayee } from './disbursement.js';
import { confirmWithOtp, issueOtp, type OtpChallenge } from '../sms/otp.js';
import { describeActor, type PosActor } from './pos-actor.js';

type StoreLoan = Awaited<ReturnType<typeof loadSigningFacts>>;

/** A loan the store may sign: approved, and either unassigned or already this store's. */
async function loadSigningFacts(q: Queryable, actor: PosActor, loanId: number, lock: boolean) {
  const [row] = await q.query<{
    id: number; status: string; store_code: string | null; principal_fen: number; annual_rate_ppm: number; penalty_rate_ppm: number;
    service_fee_fen: number; term_months: number; method: string; repayment_channels: RepaymentChannel[]; code: string; product_name: string;
    name: string; id_number: string; mobile: string; purpose: string | null; county: string | null; village: string | null;
  }>(
    `SELECT l.id, l.status, l.store_code, l.principal_fen, l.annual_rate_ppm, l.penalty_rate_ppm, l.service_fee_fen, l.term_months, l.method,
       l.repayment_channels, p.code, p.name AS product_name, b.name, b.id_number, b.mobile, a.purpose, a.county, a.village
     FROM loans l JOIN products p ON p.id = l.product_id JOIN borrowers b ON b.id = l.borrower_id
     LEFT JOIN applications a ON a.loan_id = l.id
     WHERE l.id = $1${lock ? ' FOR UPDATE OF l' : ''}`, [loanId]);
  if (!row || (row.store_code !== null && row.store_code !== actor.storeCode)) {
    throw new DomainError('LOAN_NOT_FOUND', `no loan ${loanId} at this store`, 'loanId');
  }
  return row;
}

async function render(q: Queryable, config: Config, actor: PosActor, loan: StoreLoan, signingDate: string, passbook: BankAccount | undefined): Promise<RenderedDocument[]> {
  const [store] = await q.query<{ code: string; name: string; county: string }>(`SELECT code, name, county FROM stores WHERE code = $1`, [actor.storeCode]);
  const terms = { principalFen: loan.principal_fen, annualRatePpm: loan.annual_rate_ppm, termMonths: loan.term_months,
    method: loan.method as RepaymentMethod, startDate: signingDate };
  return renderContractSet({
    loan: { id: loan.id, principalFen: loan.principal_fen, annualRatePpm: loan.annual_rate_ppm, penaltyRatePpm: loan.penalty_rate_ppm,
      serviceFeeFen: loan.service_fee_fen, termMonths: loan.term_months, method: terms.method, productCode: loan.code, productName: loan.product_name,
      purpose: loan.purpose ?? '借款人申请用途' },
    borrower: { name: loan.name, idNumber: loan.id_number, mobile: loan.mobile,
      address: loan.county && loan.village ? `${loan.county}${loan.village}` : store!.county },
    lenders: [],
    platform: config.platform,
    store: store!,
    channels: loan.repayment_channels,
    schedule: buildSchedule(terms),
    signingDate,
    ...(passbook ? { passbook: { bankName: passbook.bankName, accountNumber: passbook.accountNumber } } : {}),
    prepaidReserveFen: config.billing.prepaidReserveFen,
  });
}

function checkSignable(loan: StoreLoan, passbook: BankAccount | undefined): void {
  if (loan.status !== 'approved') throw new DomainError('LOAN_NOT_SIGNABLE', `loan ${loan.id} is ${loan.status}; only an approved loan is signed`, 'loanId');
  if (loan.repayment_channels.includes('passbook') && !passbook) {
    throw new DomainError('VALIDATION_FAILED', 'passbook is required when the borrower repays by passbook auto-debit', 'passbook');
  }
}

export interface SigningPreparation {
  loanId: number;
  signingDate: string;
  documents: RenderedDocument[];
  otp: OtpChallenge;
}

/** Renders the documents for printing and sends the borrower the code that signs them. */
export async function prepareSigning(
  db: Database, config: Config, actor: PosActor, loanId: number, input: { passbook?: BankAccount }, now: Date,
): Promise<SigningPreparation> {
  const passbook = input.passbook ? parsePayee(input.passbook, 'passbook') : undefined;
  return db.transaction(async (tx) => {
    const loan = await loadSigningFacts(tx, actor, loanId, true);
    checkSignable(loan, passbook);
    const signingDate = shanghaiDate(now);
    const documents = await render(tx, config, actor, loan, signingDate, passbook);
    const otp = await issueOtp(tx, { purpose: 'contract_signing', loanId, msisdn: loan.mobile, amountFen: loan.principal_fen }, now);
    return { loanId, signingDate, documents, otp };
  });
}

export interface SigningRecord {
  signingId: number;
  loanId: number;
  loanStatus: string;
  signedAt: string;
  storeCode: string;
  terminalId: string;
  staffId: string;
  documents: { kind: string; title: string; templateVersion: string; sha256: string }[];
}

/**
 * The borrower's code signs exactly the documents that were printed: the terminal sends back
 * their hashes, and they must match the documents rendered again from today's terms.
 */
export async function confirmSigning(
  db: Database, config: Config, actor: PosActor, loanId: number,
  input: { challengeId: number; code: string; documentHashes: string[]; passbook?: BankAccount }, now: Date,
): Promise<SigningRecord> {
  const passbook = input.passbook ? parsePayee(input.passbook, 'passbook') : undefined;
  return confirmWithOtp(db, input.challengeId, { purpose: 'contract_signing', loanId }, input.code, now, async (tx) => {
    const loan = await loadSigningFacts(tx, actor, loanId, true);
    checkSignable(loan, passbook);
    const [challenge] = await tx.query<{ created_at: Date }>(`SELECT created_at FROM otp_challenges WHERE id = $1`, [input.challengeId]);
    const documents = await render(tx, config, actor, loan, shanghaiDate(challenge!.created_at), passbook);
    const rendered = documents.map((d) => d.sha256);
    if (rendered.length !== input.documentHashes.length || rendered.some((h, i) => h !== input.documentHashes[i])) {
      throw new DomainError('DOCUMENTS_CHANGED', 'the printed documents differ from the loan\'s current terms; print them again', 'documentHashes');
    }
    const [signing] = await tx.query<{ id: number }>(
      `INSERT INTO contract_signings (loan_id, otp_challenge_id, store_code, terminal_id, staff_id, signed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [loanId, input.challengeId, actor.storeCode, actor.terminalId, actor.staffId, now]);
    for (const d of documents) {
      await tx.query(
        `INSERT INTO contract_documents (signing_id, loan_id, kind, template_version, title, content, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [signing!.id, loanId, d.kind, d.templateVersion, d.title, d.content, d.sha256]);
    }
    await tx.query(`UPDATE loans SET store_code = $2 WHERE id = $1`, [loanId, actor.storeCode]);
    const contracted = await recordTransition(tx, (await findLoan(tx, loanId))!, 'contracted', describeActor(actor),
      `signed at store ${actor.storeCode}, signing ${signing!.id}`);
    return {
      signingId: signing!.id, loanId, loanStatus: contracted.status, signedAt: now.toISOString(), storeCode: actor.storeCode,
      terminalId: actor.terminalId, staffId: actor.staffId,
      documents: documents.map((d) => ({ kind: d.kind, title: d.title, templateVersion: d.templateVersion, sha256: d.sha256 })),
    };
  });
}

export interface SignedDocuments {
  loanId: number;
  signingId: number;
  signedAt: string;
  storeCode: string;
  terminalId: string;
  staffId: string;
  otpVerifiedAt: string;
  documents: { kind: string; title: string; templateVersion: string; sha256: string; content: string }[];
}

/** The signed documents again, for the borrower's store only. */
export async function signedDocuments(q: Queryable, actor: PosActor, loanId: number): Promise<SignedDocuments> {
  const [signing] = await q.query<{ id: number; signed_at: Date; store_code: string; terminal_id: string; staff_id: string; verified_at: Date }>(
    `SELECT s.id, s.signed_at, s.store_code, s.terminal_id, s.staff_id, o.verified_at
     FROM contract_signings s JOIN loans l ON l.id = s.loan_id JOIN otp_challenges o ON o.id = s.otp_challenge_id
     WHERE s.loan_id = $1 AND l.store_code = $2`, [loanId, actor.storeCode]);
  if (!signing) throw new DomainError('CONTRACT_NOT_FOUND', `no signed contract for loan ${loanId} at this store`, 'loanId');
  const documents = await q.query<{ kind: string; title: string; template_version: string; sha256: string; content: string }>(
    `SELECT kind, title, template_version, sha256, content FROM contract_documents WHERE signing_id = $1 ORDER BY id`, [signing.id]);
  return {
    loanId, signingId: signing.id, signedAt: signing.signed_at.toISOString(), storeCode: signing.store_code, terminalId: signing.terminal_id,
    staffId: signing.staff_id, otpVerifiedAt: signing.verified_at.toISOString(),
    documents: documents.map((d) => ({ kind: d.kind, title: d.title, templateVersion: d.template_version, sha256: d.sha256, content: d.content })),
  };
}
