/**
 * Ingests one batch file from the carrier (deduction response, settlement, recharge feed),
 * all or nothing. In ONE transaction: the file streams through a SHA-256 tap into the
 * reader (the adapter's, through BillingFileReaderPort), whose validated records are
 * COPY-ed into a temporary staging table while the file is still arriving; then set-based
 * checks against the database; then set-based INSERT … SELECT into the line tables and the
 * caller's `onApplied` (the ledger posting) in the same transaction.
 *
 * - A bad file (the reader's checks, unknown references, references already settled by an
 *   earlier file, a reused file id) is rejected whole: the staging is rolled back and the
 *   file is recorded as `quarantined` with its reason in a separate transaction.
 * - The same file delivered again (same kind, file id and SHA-256) is a `duplicate`:
 *   nothing changes. A corrected file re-sent under a quarantined file's id replaces it.
 * - A broken source (a download cut off) or a failing `onApplied` is not the file's fault:
 *   nothing is recorded and the error is thrown, so the job retries with a new download.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { DomainError, invariant } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';

export type IngestibleBillingFileKind = 'deduction_response' | 'settlement' | 'recharge';

export interface ResponseLine { lineNo: number; referenceCode: string; msisdn: string; requestedFen: number; chargedFen: number; resultCode: string }
export interface SettlementLine { lineNo: number; referenceCode: string; msisdn: string; amountFen: number }
/** `rechargedAt` is ISO 8601 with an offset. */
export interface RechargeLine { lineNo: number; eventId: string; msisdn: string; amountFen: number; rechargedAt: string }
export interface IngestLineByKind { deduction_response: ResponseLine; settlement: SettlementLine; recharge: RechargeLine }

export interface BillingFileControl { fileId: string; businessDate: string; recordCount: number; amountTotalFen: number }

/** One file being read: validated detail lines in batches, then its checked control totals. */
export interface ParsedBillingFile<L> {
  /** Throws a rejection (see rejectionOf) for a bad file, possibly after earlier batches. */
  batches(): AsyncIterable<readonly L[]>;
  /** The header's identity once it has been read. */
  header(): { fileId: string; businessDate: string } | undefined;
  /** Only after batches() ran to its end. */
  control(): BillingFileControl;
}

export interface BillingFileRejection { code: string; reason: string; lineNo?: number }

/** What ingestion needs from the batch file format; adapters/billing/batch-file-reader.ts exports `batchFileReaderPort`. */
export interface BillingFileReaderPort {
  open<K extends IngestibleBillingFileKind>(kind: K, fileName: string, source: Readable): ParsedBillingFile<IngestLineByKind[K]>;
  /** The rejection an error stands for, or undefined when the error is not the file's fault. */
  rejectionOf(error: unknown): BillingFileRejection | undefined;
}

export type OnBillingFileApplied = (tx: Queryable, fileDbId: number, kind: IngestibleBillingFileKind) => Promise<void>;

export interface IngestRequest {
  kind: IngestibleBillingFileKind;
  fileName: string;
  source: Readable;
  reader: BillingFileReaderPort;
  /** Runs inside the ingesting transaction after the lines are inserted; throwing undoes everything. */
  onApplied?: OnBillingFileApplied;
}

export interface IngestResult {
  status: 'applied' | 'duplicate' | 'quarantined';
  fileDbId: number;
  /** Quarantined: `<CODE>: line <n>: <why>`. */
  reason?: string;
  code?: string;
  /** Detail lines read (all of them unless quarantined part-way). */
  lines: number;
  /** Recharge feeds: events already known (by event id) and not inserted again. */
  knownEvents?: number;
}

/** The staging table; `onApplied` may read it (recharge rows newly inserted have is_new = true). */
export const BILLING_STAGE_TABLE = 'billing_stage';
/** How far a rejected file is still read to checksum it; beyond, its checksum is of this prefix. */
export const QUARANTINE_CHECKSUM_BYTES_MAX = 1024 * 1024 * 1024;
const SHA_SHORT_CHARS = 16;

// ---- staging ----

const CSV_NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted when it must be (RFC 4180, as COPY … (FORMAT csv) reads it). */
function csv(text: string): string {
  return text === '' || CSV_NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function int(value: number): number {
  invariant(Number.isSafeInteger(value), `a staged number is not a safe integer: ${value}`);
  return value;
}

interface StageSpec<L> {
  ddl: string;
  columns: string;
  row(line: L): string;
  /** Moves the staged rows into their table for billing_files row `fileDbId`. */
  insert(tx: Queryable, fileDbId: number): Promise<unknown>;
}

const STAGE: { readonly [K in IngestibleBillingFileKind]: StageSpec<IngestLineByKind[K]> } = {
  deduction_response: {
    ddl: 'line_no integer NOT NULL, reference_code text NOT NULL, msisdn text NOT NULL, requested_fen bigint NOT NULL, charged_fen bigint NOT NULL, result_code text NOT NULL',
    columns: 'line_no, reference_code, msisdn, requested_fen, charged_fen, result_code',
    row: (l) => `${int(l.lineNo)},${csv(l.referenceCode)},${csv(l.msisdn)},${int(l.requestedFen)},${int(l.chargedFen)},${csv(l.resultCode)}\n`,
    insert: (tx, fileDbId) => tx.query(`INSERT INTO billing_response_lines (file_id, line_no, reference_code, msisdn, requested_fen, charged_fen, result_code)
      SELECT $1, line_no, reference_code, msisdn, requested_fen, charged_fen, result_code FROM ${BILLING_STAGE_TABLE}`, [fileDbId]),
  },
  settlement: {
    ddl: 'line_no integer NOT NULL, reference_code text NOT NULL, msisdn text NOT NULL, amount_fen bigint NOT NULL',
    columns: 'line_no, reference_code, msisdn, amount_fen',
    row: (l) => `${int(l.lineNo)},${csv(l.referenceCode)},${csv(l.msisdn)},${int(l.amountFen)}\n`,
    insert: (tx, fileDbId) => tx.query(`INSERT INTO billing_settlement_lines (file_id, line_no, reference_code, msisdn, amount_fen)
      SELECT $1, line_no, reference_code, msisdn, amount_fen FROM ${BILLING_STAGE_TABLE}`, [fileDbId]),
  },
  recharge: {
    ddl: 'line_no integer NOT NULL, event_id text NOT NULL, msisdn text NOT NULL, amount_fen bigint NOT NULL, recharged_at timestamptz NOT NULL, is_new boolean NOT NULL DEFAULT false',
    columns: 'line_no, event_id, msisdn, amount_fen, recharged_at',
    row: (l) => `${int(l.lineNo)},${csv(l.eventId)},${csv(l.msisdn)},${int(l.amountFen)},${csv(l.rechargedAt)}\n`,
    // carrier_recharges has no file column: events are recorded once by event id, whichever way they came.
    insert: (tx) => tx.query(`WITH inserted AS (
        INSERT INTO carrier_recharges (event_id, msisdn, amount_fen, recharged_at, source)
        SELECT event_id, msisdn, amount_fen, recharged_at, 'sftp' FROM ${BILLING_STAGE_TABLE} ORDER BY line_no
        ON CONFLICT (event_id) DO NOTHING RETURNING event_id)
      UPDATE ${BILLING_STAGE_TABLE} s SET is_new = true FROM inserted i WHERE s.event_id = i.event_id`),
  },
};

/** What the staging saw, kept outside the transaction so a rejection can be reported after rollback. */
interface StagingProgress { lines: number; readerError?: unknown }

async function* csvChunks<L>(batches: AsyncIterable<readonly L[]>, row: (line: L) => string, progress: StagingProgress): AsyncGenerator<string> {
  try {
    for await (const batch of batches) {
      let chunk = '';
      for (const line of batch) chunk += row(line);
      progress.lines += batch.length;
      yield chunk;
    }
  } catch (error) {
    progress.readerError = error;
    throw error;
  }
}

async function stageFile<K extends IngestibleBillingFileKind>(
  tx: Queryable, kind: K, parsed: ParsedBillingFile<IngestLineByKind[K]>, progress: StagingProgress,
): Promise<void> {
  const spec = STAGE[kind] as StageSpec<IngestLineByKind[K]>;
  await tx.query(`CREATE TEMPORARY TABLE ${BILLING_STAGE_TABLE} (${spec.ddl}) ON COMMIT DROP`);
  const rows = Readable.from(csvChunks(parsed.batches(), spec.row, progress), { objectMode: false });
  const copied = await tx.copyFrom(`COPY ${BILLING_STAGE_TABLE} (${spec.columns}) FROM STDIN WITH (FORMAT csv)`, rows);
  invariant(copied === progress.lines, `staged ${copied} rows of ${progress.lines} lines read`);
  await tx.query(`ANALYZE ${BILLING_STAGE_TABLE}`);
}

// ---- checksum ----

/** Passes the file through unchanged while hashing it; the digest is ready when the source has ended. */
class Sha256Tap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  sha256: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.sha256 = this.hash.digest('hex');
    callback();
  }

  /** Reads what the reader left unread (a rejected file) to finish the checksum; a broken source throws. */
  async finish(): Promise<string> {
    for await (const _chunk of this.iterator({ destroyOnReturn: false })) {
      if (this.bytes > QUARANTINE_CHECKSUM_BYTES_MAX) {
        const prefix = this.hash.copy().digest('hex');
        this.destroy();
        return `${prefix}+prefix${this.bytes}`;
      }
    }
    invariant(this.sha256 !== undefined, 'the checksum tap ended without a digest');
    return this.sha256;
  }
}

function tapped(source: Readable): Sha256Tap {
  const tap = new Sha256Tap();
  // A source error destroys the tap with that error, so the reader sees it as an I/O failure.
  pipeline(source, tap, () => undefined);
  return tap;
}

// ---- set-based checks against the database ----

class StagedFileRejected extends Error {
  constructor(readonly rejection: BillingFileRejection) {
    super(`${rejection.code}: ${rejection.reason}`);
    this.name = 'StagedFileRejected';
  }
}

function reject(code: string, reason: string, lineNo?: number): never {
  throw new StagedFileRejected(lineNo === undefined ? { code, reason } : { code, reason, lineNo });
}

interface Offender { line_no: number; reference_code: string; problem: string; n: number }

/** Each line must answer an attempt of ours: a known referenceCode, the same msisdn and (responses) the amount we asked. */
async function checkReferences(tx: Queryable, kind: 'deduction_response' | 'settlement'): Promise<void> {
  const amountDiffers = kind === 'deduction_response' ? 'OR coalesce(a.requested_fen, a.due_fen) <> s.requested_fen' : '';
  const [first] = await tx.query<Offender>(`
    SELECT s.line_no, s.reference_code, count(*) OVER ()::int AS n,
      CASE WHEN a.id IS NULL THEN 'unknown' WHEN a.msisdn <> s.msisdn THEN 'msisdn' ELSE 'amount' END AS problem
    FROM ${BILLING_STAGE_TABLE} s LEFT JOIN deduction_attempts a ON a.reference_code = s.reference_code
    WHERE a.id IS NULL OR a.msisdn <> s.msisdn ${amountDiffers}
    ORDER BY s.line_no LIMIT 1`);
  if (!first) return;
  if (first.problem === 'unknown') {
    reject('BATCH_UNKNOWN_REFERENCE', `referenceCode ${first.reference_code} matches no deduction attempt of ours (${first.n} lines fail this check)`, first.line_no);
  }
  const what = first.problem === 'msisdn' ? 'msisdn' : 'requestedFen';
  reject('BATCH_REFERENCE_MISMATCH', `referenceCode ${first.reference_code}: ${what} differs from our attempt (${first.n} lines fail this check)`, first.line_no);
}

const LINE_TABLES = { deduction_response: 'billing_response_lines', settlement: 'billing_settlement_lines' } as const;

/** A reference answered (or settled) by a file applied earlier must not be answered again. */
async function checkEarlierFiles(tx: Queryable, kind: 'deduction_response' | 'settlement'): Promise<void> {
  const [first] = await tx.query<Offender>(`
    SELECT s.line_no, s.reference_code, count(*) OVER ()::int AS n FROM ${BILLING_STAGE_TABLE} s
    WHERE EXISTS (SELECT 1 FROM ${LINE_TABLES[kind]} l WHERE l.reference_code = s.reference_code)
    ORDER BY s.line_no LIMIT 1`);
  if (first) {
    reject('BATCH_DUPLICATE_EARLIER_FILE', `referenceCode ${first.reference_code} is already in an applied ${kind} file (${first.n} lines)`, first.line_no);
  }
}

/** A response answers the request file of the same file id: one result per request record. */
async function checkAnswersRequest(tx: Queryable, control: BillingFileControl): Promise<void> {
  const [request] = await tx.query<{ record_count: number | null }>(
    `SELECT record_count FROM billing_files WHERE kind = 'deduction_request' AND file_id = $1`, [control.fileId]);
  if (request?.record_count != null && request.record_count !== control.recordCount) {
    reject('BATCH_REQUEST_MISMATCH', `request file ${control.fileId} had ${request.record_count} records; the response answers ${control.recordCount}`);
  }
}

const CHECKS: { readonly [K in IngestibleBillingFileKind]: (tx: Queryable, control: BillingFileControl) => Promise<void> } = {
  deduction_response: async (tx, control) => {
    await checkAnswersRequest(tx, control);
    await checkReferences(tx, 'deduction_response');
    await checkEarlierFiles(tx, 'deduction_response');
  },
  settlement: async (tx) => {
    await checkReferences(tx, 'settlement');
    await checkEarlierFiles(tx, 'settlement');
  },
  recharge: async () => undefined,
};

// ---- recording ----

async function recordApplied(tx: Queryable, request: IngestRequest, control: BillingFileControl, sha256: string): Promise<number> {
  const [row] = await tx.query<{ id: number }>(`
    INSERT INTO billing_files (kind, file_id, file_name, sha256, business_date, record_count, amount_total_fen, status, applied_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 'applied', now())
    ON CONFLICT (kind, file_id) DO UPDATE SET file_name = EXCLUDED.file_name, sha256 = EXCLUDED.sha256,
      business_date = EXCLUDED.business_date, record_count = EXCLUDED.record_count, amount_total_fen = EXCLUDED.amount_total_fen,
      status = 'applied', reason = NULL, applied_at = now()
    WHERE billing_files.status = 'quarantined'
    RETURNING id`,
  [request.kind, control.fileId, request.fileName, sha256, control.businessDate, control.recordCount, control.amountTotalFen]);
  invariant(row, `billing file ${request.kind} ${control.fileId} is already applied`);
  return row.id;
}

/** Inserts or refreshes a quarantined row; undefined when the file id belongs to an applied file. */
async function upsertQuarantined(
  tx: Queryable, request: IngestRequest, fileId: string, sha256: string, businessDate: string | undefined, reason: string,
): Promise<number | undefined> {
  const [row] = await tx.query<{ id: number }>(`
    INSERT INTO billing_files (kind, file_id, file_name, sha256, business_date, status, reason)
    VALUES ($1, $2, $3, $4, $5, 'quarantined', $6)
    ON CONFLICT (kind, file_id) DO UPDATE SET file_name = EXCLUDED.file_name, sha256 = EXCLUDED.sha256,
      business_date = EXCLUDED.business_date, reason = EXCLUDED.reason
    WHERE billing_files.status = 'quarantined'
    RETURNING id`, [request.kind, fileId, request.fileName, sha256, businessDate ?? null, reason]);
  return row?.id;
}

function describe(rejection: BillingFileRejection): string {
  return rejection.lineNo === undefined ? `${rejection.code}: ${rejection.reason}` : `${rejection.code}: line ${rejection.lineNo}: ${rejection.reason}`;
}

async function quarantine(
  db: Database, request: IngestRequest, rejection: BillingFileRejection, sha256: string,
  header: { fileId: string; businessDate: string } | undefined, lines: number,
): Promise<IngestResult> {
  const reason = describe(rejection);
  const fileId = header?.fileId ?? `UNREAD-${sha256.slice(0, SHA_SHORT_CHARS)}`;
  // A file id already applied keeps its row; the refused file is recorded beside it under id~checksum.
  const fileDbId = await db.transaction(async (tx) =>
    (await upsertQuarantined(tx, request, fileId, sha256, header?.businessDate, reason))
    ?? upsertQuarantined(tx, request, `${fileId}~${sha256.slice(0, SHA_SHORT_CHARS)}`, sha256, header?.businessDate, reason));
  invariant(fileDbId !== undefined, `could not record quarantined file ${request.fileName}`);
  return { status: 'quarantined', fileDbId, code: rejection.code, reason, lines };
}

// ---- the use case ----

async function applyStaged(tx: Queryable, request: IngestRequest, control: BillingFileControl, sha256: string, lines: number): Promise<IngestResult> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`billing_file:${request.kind}:${control.fileId}`]);
  const [existing] = await tx.query<{ id: number; sha256: string; status: string }>(
    'SELECT id, sha256, status FROM billing_files WHERE kind = $1 AND file_id = $2', [request.kind, control.fileId]);
  if (existing?.status === 'applied') {
    if (existing.sha256 === sha256) return { status: 'duplicate', fileDbId: existing.id, lines };
    reject('BATCH_FILE_ID_REUSED', `file id ${control.fileId} was applied before (billing file ${existing.id}) with different content`);
  }
  await CHECKS[request.kind](tx, control);
  const fileDbId = await recordApplied(tx, request, control, sha256);
  await STAGE[request.kind].insert(tx, fileDbId);
  const result: IngestResult = { status: 'applied', fileDbId, lines };
  if (request.kind === 'recharge') {
    const [known] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${BILLING_STAGE_TABLE} WHERE NOT is_new`);
    result.knownEvents = known!.n;
  }
  await request.onApplied?.(tx, fileDbId, request.kind);
  return result;
}

function rejectionFor(error: unknown, reader: BillingFileReaderPort, progress: StagingProgress): BillingFileRejection | undefined {
  if (progress.readerError !== undefined) return reader.rejectionOf(progress.readerError);
  if (error instanceof StagedFileRejected) return error.rejection;
  return reader.rejectionOf(error);
}

export async function ingestBillingFile(db: Database, request: IngestRequest): Promise<IngestResult> {
  const tap = tapped(request.source);
  const parsed = request.reader.open(request.kind, request.fileName, tap);
  const progress: StagingProgress = { lines: 0 };
  let runs = 0;
  try {
    return await db.transaction(async (tx) => {
      runs += 1;
      if (runs > 1) throw new DomainError('BILLING_INGEST_NOT_REPEATABLE', 'the file stream was used up by a failed attempt; download the file again and retry');
      await stageFile(tx, request.kind, parsed, progress);
      invariant(tap.sha256 !== undefined, 'the file was staged but its checksum is not complete');
      return applyStaged(tx, request, parsed.control(), tap.sha256, progress.lines);
    });
  } catch (error) {
    const rejection = rejectionFor(error, request.reader, progress);
    if (!rejection) throw progress.readerError ?? error;
    return quarantine(db, request, rejection, await tap.finish(), parsed.header(), progress.lines);
  }
}
