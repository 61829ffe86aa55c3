/**
 * The daily deduction request file (us → carrier): one detail per attempt that the batch
 * deduction run of the business date left in status `requested_in_file`. The attempts are
 * read in keyset pages and streamed straight into the outbox (format + SFTP upload, in the
 * adapter), never held whole; the file is recorded in billing_files (kind
 * deduction_request, status uploaded) with its record count, amount total and SHA-256.
 *
 * The file id is the caller's (one per business date, e.g. `D20260115`): a file id already
 * recorded is not sent again. The amount asked is `coalesce(requested_fen, due_fen)`, the
 * same expression ingestion checks the carrier's answer against.
 */
import { parseCalendarDate } from '../core/calendar-date.js';
import { invariant } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';

export interface DeductionRequestLine { referenceCode: string; msisdn: string; amountFen: number; loanReference: string; dueDate: string }

export interface SentBatchFile { fileName: string; sha256: string; bytes: number; recordCount: number; amountTotalFen: number }

/** Formats and delivers a request file; adapters/billing/sftp-client.ts (BillingSftpClient) implements it. */
export interface DeductionRequestOutbox {
  sendDeductionRequestFile(
    header: { fileId: string; businessDate: string; createdAt: Date },
    details: AsyncIterable<DeductionRequestLine> | Iterable<DeductionRequestLine>,
  ): Promise<SentBatchFile>;
}

export interface DeductionRequestFileRequest {
  businessDate: string;
  fileId: string;
  /** The details to send; by default the `requested_in_file` attempts of the business date's run. */
  attempts?: AsyncIterable<DeductionRequestLine> | Iterable<DeductionRequestLine>;
  now?: Date;
  /** Runs in the transaction that records the uploaded file (e.g. to move the attempts on). */
  onRecorded?: (tx: Queryable, fileDbId: number) => Promise<void>;
}

export interface DeductionRequestFileResult {
  status: 'uploaded' | 'already_uploaded';
  fileDbId: number;
  fileName: string;
  recordCount: number;
  amountTotalFen: number;
  sha256: string;
}

export const REQUEST_ATTEMPTS_PAGE_ROWS = 5_000;

interface AttemptRow {
  id: number; reference_code: string; msisdn: string; amount_fen: number; loan_id: number; installment_number: number; due_date: string | null;
}

/** Attempts of the business date's run waiting to go in a file, by id, page by page. */
export async function* requestedAttempts(q: Queryable, businessDate: string): AsyncGenerator<DeductionRequestLine> {
  const [bound] = await q.query<{ max_id: number | null }>('SELECT max(id) AS max_id FROM deduction_attempts');
  const maxId = bound?.max_id ?? 0;
  for (let afterId = 0; ;) {
    const rows = await q.query<AttemptRow>(`
      SELECT a.id, a.reference_code, a.msisdn, coalesce(a.requested_fen, a.due_fen) AS amount_fen, a.loan_id, a.installment_number, i.due_date
      FROM deduction_attempts a
      JOIN deduction_runs r ON r.id = a.run_id AND r.business_date = $1
      LEFT JOIN installments i ON i.loan_id = a.loan_id AND i.number = a.installment_number
      WHERE a.status = 'requested_in_file' AND a.id > $2 AND a.id <= $3
      ORDER BY a.id LIMIT $4`, [businessDate, afterId, maxId, REQUEST_ATTEMPTS_PAGE_ROWS]);
    for (const row of rows) {
      invariant(row.due_date !== null, `deduction attempt ${row.id} has no installment to take a due date from`);
      yield {
        referenceCode: row.reference_code, msisdn: row.msisdn, amountFen: row.amount_fen,
        loanReference: `${row.loan_id}-${row.installment_number}`, dueDate: row.due_date,
      };
    }
    if (rows.length < REQUEST_ATTEMPTS_PAGE_ROWS) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

interface FileRow { id: number; file_name: string; record_count: number; amount_total_fen: number; sha256: string }

async function recordedFile(q: Queryable, fileId: string): Promise<FileRow | undefined> {
  const [row] = await q.query<FileRow>(`SELECT id, file_name, record_count, amount_total_fen, sha256 FROM billing_files
    WHERE kind = 'deduction_request' AND file_id = $1`, [fileId]);
  return row;
}

export async function writeDeductionRequestFile(
  db: Database, sftp: DeductionRequestOutbox, request: DeductionRequestFileRequest,
): Promise<DeductionRequestFileResult> {
  const businessDate = parseCalendarDate(request.businessDate, 'businessDate');
  const earlier = await recordedFile(db, request.fileId);
  if (earlier) {
    return { status: 'already_uploaded', fileDbId: earlier.id, fileName: earlier.file_name, recordCount: earlier.record_count, amountTotalFen: earlier.amount_total_fen, sha256: earlier.sha256 };
  }
  const details = request.attempts ?? requestedAttempts(db, businessDate);
  const sent = await sftp.sendDeductionRequestFile({ fileId: request.fileId, businessDate, createdAt: request.now ?? new Date() }, details);
  const fileDbId = await db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: number }>(`
      INSERT INTO billing_files (kind, file_id, file_name, sha256, business_date, record_count, amount_total_fen, status)
      VALUES ('deduction_request', $1, $2, $3, $4, $5, $6, 'uploaded') RETURNING id`,
    [request.fileId, sent.fileName, sent.sha256, businessDate, sent.recordCount, sent.amountTotalFen]);
    await request.onRecorded?.(tx, row!.id);
    return row!.id;
  });
  return { status: 'uploaded', fileDbId, ...sent };
}
