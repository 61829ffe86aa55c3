/**
 * Loan-book import for carriers and lenders migrating from another system: JSON lines in,
 * active loans with schedules and opening ledger entries out, all or nothing. Every bad
 * line is reported with its number; nothing is stored unless every line is good.
 * Rows go in with set-based statements (unnest), never one round trip per loan.
 */
import { assertWithinBorrowingCap } from '../core/borrowing-cap.js';
import { parseCalendarDate } from '../core/calendar-date.js';
import { DomainError, invariant } from '../core/domain-error.js';
import { parseIdNumber, parseMobile, parsePersonName } from '../core/identity.js';
import { disbursementEntry, type RepaymentChannel } from '../core/loan-accounting.js';
import { platformAccount, type JournalEntryDraft } from '../core/journal-entry.js';
import { assertAmountInRange, serviceFeeFen } from '../core/product.js';
import type { Database, Queryable } from '../db/database.js';
import { postEntries } from '../ledger/post-entries.js';
import { enqueueInTransaction } from '../queue/outbox.js';
import { QUEUE_DOMAIN_EVENTS } from '../queue/queues.js';
import { listProducts, type StoredProduct } from '../products/product-repository.js';
import { parseRepaymentChannels } from './apply-for-loan.js';
import { insertInstallments, installmentRows } from './installment-rows.js';

export const IMPORT_LINES_MAX = 200_000;
const IMPORT_ERRORS_REPORTED_MAX = 1_000;
const LEDGER_CHUNK_ENTRIES = 5_000;
const EXTERNAL_REF_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface ImportLineError { line: number; field: string; code: string; message: string }

export class LoanImportError extends DomainError {
  constructor(readonly errors: ImportLineError[], readonly totalErrors: number) {
    super('IMPORT_INVALID', `${totalErrors} line(s) of the loan book are invalid; nothing was imported`);
  }
}

interface ImportLoan {
  line: number;
  borrowerName: string;
  idNumber: string;
  mobile: string;
  product: StoredProduct;
  principalFen: number;
  startDate: string;
  repaymentChannels: RepaymentChannel[];
  externalRef: string | null;
}

function field(record: Record<string, unknown>, name: string): unknown {
  return record[name];
}

function parseLine(text: string, line: number, products: Map<string, StoredProduct>): ImportLoan {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new DomainError('INVALID_JSON', 'line is not valid JSON', 'line');
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new DomainError('INVALID_JSON', 'line must be a JSON object', 'line');
  }
  const r = record as Record<string, unknown>;
  const code = field(r, 'productCode');
  const product = typeof code === 'string' ? products.get(code) : undefined;
  if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `productCode ${String(code)} is not an active product`, 'productCode');
  const principalFen = field(r, 'principalFen');
  if (typeof principalFen !== 'number') throw new DomainError('INVALID_AMOUNT', 'principalFen must be a whole number of fen', 'principalFen');
  assertAmountInRange(product, principalFen, 'principalFen');
  const channels = field(r, 'repaymentChannels');
  if (!Array.isArray(channels) || !channels.every((c): c is string => typeof c === 'string')) {
    throw new DomainError('INVALID_CHANNEL', 'repaymentChannels must be a list of channel names', 'repaymentChannels');
  }
  const externalRef = field(r, 'externalRef') ?? null;
  if (externalRef !== null && (typeof externalRef !== 'string' || !EXTERNAL_REF_PATTERN.test(externalRef))) {
    throw new DomainError('INVALID_REFERENCE', 'externalRef must be 1-64 letters, digits or _.:-', 'externalRef');
  }
  return {
    line,
    borrowerName: parsePersonName(field(r, 'borrowerName'), 'borrowerName'),
    idNumber: parseIdNumber(field(r, 'idNumber'), 'idNumber'),
    mobile: parseMobile(field(r, 'mobile'), 'mobile'),
    product,
    principalFen,
    startDate: parseCalendarDate(field(r, 'startDate'), 'startDate'),
    repaymentChannels: parseRepaymentChannels(channels, 'repaymentChannels'),
    externalRef,
  };
}

function parseBook(text: string, products: Map<string, StoredProduct>): ImportLoan[] {
  const loans: ImportLoan[] = [];
  const errors: ImportLineError[] = [];
  let total = 0;
  const report = (line: number, error: unknown) => {
    if (!(error instanceof DomainError)) throw error;
    total += 1;
    if (errors.length < IMPORT_ERRORS_REPORTED_MAX) errors.push({ line, field: error.field ?? 'line', code: error.code, message: error.message });
  };
  const lines = text.split('\n');
  const seenRefs = new Set<string>();
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    try {
      const loan = parseLine(raw, index + 1, products);
      if (loan.externalRef !== null && seenRefs.has(loan.externalRef)) {
        throw new DomainError('DUPLICATE_REFERENCE', `externalRef ${loan.externalRef} appears more than once in the file`, 'externalRef');
      }
      if (loan.externalRef !== null) seenRefs.add(loan.externalRef);
      loans.push(loan);
    } catch (error) {
      report(index + 1, error);
    }
  });
  if (loans.length + total > IMPORT_LINES_MAX) {
    throw new DomainError('IMPORT_TOO_LARGE', `a loan book holds at most ${IMPORT_LINES_MAX} lines per import`, 'body');
  }
  if (total > 0) throw new LoanImportError(errors, total);
  if (loans.length === 0) throw new DomainError('IMPORT_EMPTY', 'the loan book has no lines', 'body');
  return loans;
}

/** Checks what only the database knows: references already imported and borrowing caps. */
async function checkAgainstBook(tx: Queryable, loans: ImportLoan[], borrowerIds: Map<string, number>): Promise<void> {
  const errors: ImportLineError[] = [];
  const refs = loans.flatMap((l) => (l.externalRef ? [l.externalRef] : []));
  const taken = new Set((await tx.query<{ external_ref: string }>(
    `SELECT external_ref FROM loans WHERE external_ref = ANY($1::text[])`, [refs])).map((r) => r.external_ref));
  const open = new Map((await tx.query<{ borrower_id: number; total: number }>(
    `SELECT borrower_id, sum(principal_fen)::bigint AS total FROM loans WHERE borrower_id = ANY($1::bigint[])
       AND status IN ('applied', 'approved', 'contracted', 'active', 'overdue') GROUP BY borrower_id`,
    [[...borrowerIds.values()]])).map((r) => [r.borrower_id, r.total]));
  for (const loan of loans) {
    if (loan.externalRef && taken.has(loan.externalRef)) {
      errors.push({ line: loan.line, field: 'externalRef', code: 'ALREADY_IMPORTED', message: `externalRef ${loan.externalRef} was imported before` });
    }
    const borrowerId = borrowerIds.get(loan.idNumber)!;
    const owed = open.get(borrowerId) ?? 0;
    try {
      assertWithinBorrowingCap(owed, loan.principalFen, 'principalFen');
      open.set(borrowerId, owed + loan.principalFen);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      errors.push({ line: loan.line, field: 'principalFen', code: error.code, message: error.message });
    }
  }
  if (errors.length > 0) throw new LoanImportError(errors.slice(0, IMPORT_ERRORS_REPORTED_MAX), errors.length);
}

async function upsertBorrowers(tx: Queryable, loans: ImportLoan[]): Promise<Map<string, number>> {
  const people = new Map(loans.map((l) => [l.idNumber, l]));
  const rows = await tx.query<{ id: number; id_number: string }>(
    `INSERT INTO borrowers (name, id_number, mobile) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (id_number) DO UPDATE SET mobile = EXCLUDED.mobile RETURNING id, id_number`,
    [[...people.values()].map((p) => p.borrowerName), [...people.keys()], [...people.values()].map((p) => p.mobile)]);
  return new Map(rows.map((r) => [r.id_number, r.id]));
}

async function insertLoans(tx: Queryable, loans: ImportLoan[], borrowerIds: Map<string, number>, actor: string): Promise<number[]> {
  const ids = (await tx.query<{ id: number }>(
    `SELECT nextval(pg_get_serial_sequence('loans', 'id'))::bigint AS id FROM generate_series(1, $1::int)`, [loans.length])).map((r) => r.id);
  await tx.query(
    `INSERT INTO loans (id, borrower_id, product_id, principal_fen, annual_rate_ppm, penalty_rate_ppm, service_fee_fen, term_months,
       method, start_date, status, repayment_channels, external_ref, disbursement_channel)
     SELECT id, borrower_id, product_id, principal_fen, annual_rate_ppm, penalty_rate_ppm, service_fee_fen, term_months,
       method, start_date, 'active', string_to_array(channels, ','), external_ref, 'imported'
     FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::int[], $6::int[], $7::bigint[], $8::int[], $9::text[],
       $10::date[], $11::text[], $12::text[])
       AS t(id, borrower_id, product_id, principal_fen, annual_rate_ppm, penalty_rate_ppm, service_fee_fen, term_months, method,
         start_date, channels, external_ref)`,
    [ids, loans.map((l) => borrowerIds.get(l.idNumber)!), loans.map((l) => l.product.id), loans.map((l) => l.principalFen),
      loans.map((l) => l.product.annualRatePpm), loans.map((l) => l.product.penaltyRatePpm),
      loans.map((l) => serviceFeeFen(l.principalFen, l.product.serviceFeePpm)), loans.map((l) => l.product.termMonths),
      loans.map((l) => l.product.method), loans.map((l) => l.startDate), loans.map((l) => l.repaymentChannels.join(',')),
      loans.map((l) => l.externalRef)]);
  await tx.query(`INSERT INTO loan_transitions (loan_id, from_status, to_status, actor, reason)
    SELECT id, NULL, 'active', $2, 'imported from an existing loan book' FROM unnest($1::bigint[]) AS t(id)`, [ids, actor]);
  return ids;
}

function openingEntries(loans: ImportLoan[], ids: number[]): JournalEntryDraft[] {
  return loans.map((loan, i) => disbursementEntry({
    loanId: ids[i]!, principalFen: loan.principalFen, serviceFeeFen: serviceFeeFen(loan.principalFen, loan.product.serviceFeePpm),
    source: platformAccount('opening_balance_equity'), businessDate: loan.startDate, reference: loan.externalRef ?? `import:${ids[i]}`,
  }));
}

export interface ImportResult { imported: number; loanIds: number[] }

export async function importLoanBook(db: Database, text: string, actor: string): Promise<ImportResult> {
  const products = new Map((await listProducts(db, true)).map((p) => [p.code, p]));
  const loans = parseBook(text, products);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('loan-book-import'))`);
    const borrowerIds = await upsertBorrowers(tx, loans);
    await checkAgainstBook(tx, loans, borrowerIds);
    const ids = await insertLoans(tx, loans, borrowerIds, actor);
    await insertInstallments(tx, loans.flatMap((loan, i) => installmentRows(ids[i]!, {
      principalFen: loan.principalFen, annualRatePpm: loan.product.annualRatePpm, termMonths: loan.product.termMonths,
      method: loan.product.method, startDate: loan.startDate,
    }, serviceFeeFen(loan.principalFen, loan.product.serviceFeePpm))));
    const entries = openingEntries(loans, ids);
    for (let start = 0; start < entries.length; start += LEDGER_CHUNK_ENTRIES) {
      const posted = await postEntries(tx, entries.slice(start, start + LEDGER_CHUNK_ENTRIES));
      invariant(posted.every((p) => !p.duplicate), 'an imported loan already had an opening entry');
    }
    await enqueueInTransaction(tx, { queue: QUEUE_DOMAIN_EVENTS, name: 'loan-book.imported', payload: { loans: ids.length, actor } });
    return { imported: ids.length, loanIds: ids };
  });
}
