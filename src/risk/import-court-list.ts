/**
 * Imports the court's dishonest-debtor list (失信被执行人名单) file into risk_list_entries
 * with list = 'court_dishonest', all or nothing, in ONE transaction:
 *
 * 1. The file streams through a SHA-256 hash into the reader (adapters/court), whose
 *    validated rows are COPY-ed into a temporary staging table while the file is still
 *    arriving. Any error in the file rejects it whole (CourtListInvalidError with every
 *    line error): the transaction rolls back and nothing is stored, not even the attempt.
 * 2. Under a transaction-scoped advisory lock (imports of the court list run one at a time,
 *    so a full import's "absent from the file" is judged against a list nobody else is
 *    changing), a file whose checksum was imported before is a duplicate: the earlier import
 *    is returned and nothing changes, whatever the mode.
 * 3. Set-based SQL: in 'full' mode active court entries whose case number is not in the file
 *    are marked removed (the debtor has performed and the court took them off); in both
 *    modes rows whose case number is not already active are inserted. An entry already
 *    active keeps its original row: its reason and import are the first publication's.
 * 4. The risk_list_imports row records the file, its checksum, rows and entries added.
 *
 * The amount of SQL is fixed per file, never one round trip per row.
 *
 * The format reader is the adapter's own (the fixed signature leaves no room to inject
 * one); it depends only on src/core, so there is no cycle.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DomainError, invariant } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';

/** What the import needs of a parsed row; the file format and its parser live in adapters/court. */
export interface CourtListRow {
  lineNo: number;
  caseNumber: string;
  name: string;
  idPattern: string;
  conduct: string;
}

/** A parser over the file's bytes: valid rows in batches, or an error naming every bad line. */
export interface CourtListReader {
  batches(): AsyncIterable<readonly CourtListRow[]>;
  summary(): { rows: number };
}
export type CourtListReaderFactory = (chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) => CourtListReader;

export type CourtListImportMode = 'delta' | 'full';

export interface CourtListImportInput {
  fileName: string;
  /** The file's bytes as a stream (chunks of bytes or strings), or the whole file as a string (hashed as UTF-8). */
  content: Readable | string;
  /** 'full': the file is the whole published list, so active entries missing from it are removed. 'delta': it only adds. */
  mode: CourtListImportMode;
  actor: string;
  reader: CourtListReaderFactory;
}

export interface CourtListImportResult {
  importId: number;
  /** Rows in the file. */
  rows: number;
  /** Entries this file added (for a duplicate: what the earlier import added). */
  added: number;
  /** Entries this call took off the list (a duplicate removes none). */
  removed: number;
  duplicate: boolean;
}

export const COURT_LIST = 'court_dishonest';
/** The entry's reason is the published conduct, cut to this many characters. */
export const COURT_REASON_CHARS_MAX = 500;
const STAGE_TABLE = 'court_list_stage';
const IMPORT_LOCK_KEY = 'risk_list_import:court_dishonest';
const FILE_NAME_CHARS_MAX = 255;

function checkInput(input: CourtListImportInput): void {
  if (typeof input.fileName !== 'string' || input.fileName.trim() === '' || input.fileName.length > FILE_NAME_CHARS_MAX) {
    throw new DomainError('INVALID_COURT_LIST_IMPORT', `fileName must be 1 to ${FILE_NAME_CHARS_MAX} characters`, 'fileName');
  }
  if (input.mode !== 'delta' && input.mode !== 'full') {
    throw new DomainError('INVALID_COURT_LIST_IMPORT', `mode must be 'delta' or 'full'`, 'mode');
  }
  if (typeof input.actor !== 'string' || input.actor.trim() === '') {
    throw new DomainError('INVALID_COURT_LIST_IMPORT', 'actor must name who imports the file', 'actor');
  }
  if (typeof input.content !== 'string' && !(input.content instanceof Readable)) {
    throw new DomainError('INVALID_COURT_LIST_IMPORT', 'content must be a stream or a string', 'content');
  }
}

/** Hands the chunks on unchanged while hashing them; the digest covers exactly the bytes the reader saw. */
async function* hashing(source: Readable, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const bytes: unknown = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('the court list stream must carry bytes or strings');
    hash.update(bytes);
    yield bytes;
  }
}

/** One read of the content. A string can be read again when the transaction is retried; a stream cannot. */
function openContent(content: Readable | string, attempt: number): { chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>; hash: Hash } {
  const hash = createHash('sha256');
  if (typeof content === 'string') {
    const bytes = Buffer.from(content, 'utf8');
    hash.update(bytes);
    return { chunks: [bytes], hash };
  }
  if (attempt > 1) {
    throw new DomainError('COURT_LIST_IMPORT_NOT_REPEATABLE', 'the file stream was used up by a failed attempt; send the file again', 'content');
  }
  return { chunks: hashing(content, hash), hash };
}

// ---- staging ----

/**
 * Every text field quoted (RFC 4180, as COPY … (FORMAT csv) reads it): an empty or `\.`
 * field can then never be read as NULL or end of data, and commas, quotes and line breaks
 * of the conduct text travel intact.
 */
function csv(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

interface StagingProgress { rows: number; readerError?: unknown }

async function* stageChunks(batches: AsyncIterable<readonly CourtListRow[]>, progress: StagingProgress): AsyncGenerator<string> {
  try {
    for await (const batch of batches) {
      let chunk = '';
      for (const r of batch) chunk += `${r.lineNo},${csv(r.caseNumber)},${csv(r.name)},${csv(r.idPattern)},${csv(r.conduct)}\n`;
      progress.rows += batch.length;
      yield chunk;
    }
  } catch (error) {
    // COPY reports its own error for a failed source; the reader's (the file's fault) is the one to throw.
    progress.readerError = error;
    throw error;
  }
}

async function stageFile(tx: Queryable, reader: CourtListReader): Promise<number> {
  // The primary key restates the reader's no-duplicates rule, and gives the full import's anti-join an
  // index: right after a large import risk_list_entries' statistics still say "empty", and the planner
  // would otherwise scan the whole staging table once per entry.
  await tx.query(`CREATE TEMPORARY TABLE ${STAGE_TABLE} (
    case_number text PRIMARY KEY, line_no integer NOT NULL, name text NOT NULL, id_pattern text NOT NULL, conduct text NOT NULL
  ) ON COMMIT DROP`);
  const progress: StagingProgress = { rows: 0 };
  let copied: number;
  try {
    copied = await tx.copyFrom(`COPY ${STAGE_TABLE} (line_no, case_number, name, id_pattern, conduct) FROM STDIN WITH (FORMAT csv)`,
      Readable.from(stageChunks(reader.batches(), progress), { objectMode: false }));
  } catch (error) {
    throw progress.readerError ?? error;
  }
  const { rows } = reader.summary();
  invariant(copied === rows && progress.rows === rows, `staged ${copied} rows of ${rows} read`);
  await tx.query(`ANALYZE ${STAGE_TABLE}`);
  return rows;
}

// ---- applying ----

async function removeAbsent(tx: Queryable, actor: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>(`
    WITH removed AS (
      UPDATE risk_list_entries e SET removed_at = now(), removed_by = $1
      WHERE e.list = '${COURT_LIST}' AND e.removed_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM ${STAGE_TABLE} s WHERE s.case_number = e.case_number)
      RETURNING 1)
    SELECT count(*)::int AS n FROM removed`, [actor]);
  return row!.n;
}

/** Inserts the rows whose case number is not active; the partial unique index decides, so a concurrent manual entry cannot double one. */
async function insertNew(tx: Queryable, importId: number, actor: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>(`
    WITH added AS (
      INSERT INTO risk_list_entries (list, id_pattern, name, reason, case_number, import_id, created_by)
      SELECT '${COURT_LIST}', s.id_pattern, s.name, left(s.conduct, ${COURT_REASON_CHARS_MAX}), s.case_number, $1, $2
      FROM ${STAGE_TABLE} s ORDER BY s.line_no
      ON CONFLICT (case_number) WHERE list = '${COURT_LIST}' AND removed_at IS NULL DO NOTHING
      RETURNING 1)
    SELECT count(*)::int AS n FROM added`, [importId, actor]);
  return row!.n;
}

export async function importCourtList(db: Database, input: CourtListImportInput): Promise<CourtListImportResult> {
  checkInput(input);
  let attempt = 0;
  return db.transaction(async (tx) => {
    attempt += 1;
    const { chunks, hash } = openContent(input.content, attempt);
    const rows = await stageFile(tx, input.reader(chunks));
    const checksum = hash.digest('hex');

    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [IMPORT_LOCK_KEY]);
    const [earlier] = await tx.query<{ id: number; rows: number; added: number }>(
      'SELECT id, rows, added FROM risk_list_imports WHERE checksum = $1', [checksum]);
    if (earlier) return { importId: earlier.id, rows: earlier.rows, added: earlier.added, removed: 0, duplicate: true };

    // An empty "whole list" is far likelier a broken export than a court that has forgiven everyone.
    if (input.mode === 'full' && rows === 0) {
      throw new DomainError('COURT_LIST_FULL_EMPTY', 'a full court list file without rows would remove every entry; refused', 'content');
    }

    // The id first, so the entries can name their import and the import row is written once with its counts.
    const [reserved] = await tx.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('risk_list_imports', 'id')) AS id`);
    invariant(reserved, 'no id from the risk_list_imports sequence');
    const importId = reserved.id;
    const removed = input.mode === 'full' ? await removeAbsent(tx, input.actor) : 0;
    const added = await insertNew(tx, importId, input.actor);
    await tx.query(
      `INSERT INTO risk_list_imports (id, file_name, checksum, rows, added, imported_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [importId, input.fileName, checksum, rows, added, input.actor]);
    return { importId, rows, added, removed, duplicate: false };
  });
}
