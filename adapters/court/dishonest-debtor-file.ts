/**
 * Streaming reader of the court's dishonest-debtor list (失信被执行人名单) as we receive it
 * (adapters/court/FORMAT.md): a UTF-8 CSV with RFC 4180 quoting, an exact header line, one
 * row per debtor and a `#TRAILER,<row count>` line.
 *
 * It reads the source chunk by chunk (never the whole file) and validates every row, so one
 * pass reports every problem of a bad file instead of the first: errors are collected with
 * their line number and field (the first 1,000 are kept, all are counted). Valid rows are
 * handed on in batches while the file is read, so the importer can COPY them into staging;
 * once any error is seen no more rows are handed on, and at the end the whole file is
 * refused with a CourtListInvalidError. Because the trailer check is only possible at the
 * end, whoever staged the earlier batches must discard them when the reader throws.
 *
 * Size limits are enforced while reading: a file over the byte or row limit, a record over
 * the record length limit (an unclosed quote would otherwise swallow the file) or bytes that
 * are not UTF-8 stop the reading at once. The source's own errors (a broken download) pass
 * through unchanged: they are not the file's fault.
 *
 * No error message carries an ID number: a published pattern could be fully unmasked.
 */
import { daysInMonth, type CalendarDate } from '../../src/core/calendar-date.js';
import { DomainError } from '../../src/core/domain-error.js';
import { parseIdNumber } from '../../src/core/identity.js';

export const COURT_LIST_HEADER = 'case_number,name,id_number_masked,court,province,filed_on,published_on,conduct';
export const COURT_LIST_TRAILER_TAG = '#TRAILER';
export const COURT_LIST_BYTES_MAX = 64 * 1024 * 1024;
export const COURT_LIST_ROWS_MAX = 500_000;
/** A record longer than this (in UTF-16 units, quoting included) is refused; the longest valid one is about 2,300. */
export const COURT_LIST_RECORD_CHARS_MAX = 8_192;
/** Errors kept for the report; later ones are only counted, so a garbage file cannot exhaust memory. */
export const COURT_LIST_ERRORS_KEPT_MAX = 1_000;

export const NAME_CHARS_MIN = 2;
export const NAME_CHARS_MAX = 50;
export const COURT_CHARS_MAX = 100;
/** The published conduct can be long; the importer keeps the first 500 characters as the entry's reason. */
export const CONDUCT_CHARS_MAX = 2_000;

/** The 31 provincial divisions of the mainland and the Xinjiang Production and Construction Corps, as the disclosure names them. */
export const PROVINCES: ReadonlySet<string> = new Set([
  '北京', '天津', '河北', '山西', '内蒙古', '辽宁', '吉林', '黑龙江', '上海', '江苏', '浙江', '安徽', '福建', '江西', '山东', '河南',
  '湖北', '湖南', '广东', '广西', '海南', '重庆', '四川', '贵州', '云南', '西藏', '陕西', '甘肃', '青海', '宁夏', '新疆', '兵团',
]);

const FIELDS = COURT_LIST_HEADER.split(',');

/** One debtor as published, validated. */
export interface DishonestDebtorRow {
  /** The physical line the row starts on (the header is line 1). */
  lineNo: number;
  /** Canonical form: ASCII parentheses around the year, e.g. `(2026)粤0106执1234号`. */
  caseNumber: string;
  name: string;
  /** 18 characters; `*` stands for one unpublished character (only ever in the birth date, characters 7-14). */
  idPattern: string;
  court: string;
  province: string;
  filedOn: CalendarDate;
  publishedOn: CalendarDate;
  conduct: string;
}

export interface CourtListLineError {
  line: number;
  /** A column of the header, or `header`, `trailer`, `record` or `file` for the file's structure. */
  field: string;
  message: string;
}

/** The whole file is refused; `errors` holds the first COURT_LIST_ERRORS_KEPT_MAX, `totalErrors` counts all. */
export class CourtListInvalidError extends DomainError {
  constructor(readonly errors: readonly CourtListLineError[], readonly totalErrors: number) {
    const first = errors[0];
    super('COURT_LIST_INVALID', first
      ? `the court list file is invalid (${totalErrors} error(s)); first: line ${first.line}, ${first.field}: ${first.message}`
      : 'the court list file is invalid');
    this.name = 'CourtListInvalidError';
  }
}

/** A whole file as one string, or its chunks (a Readable, or any iterable of strings or bytes). */
export type DishonestDebtorSource = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

export interface DishonestDebtorReaderOptions {
  bytesMax?: number;
  rowsMax?: number;
}

export interface DishonestDebtorFileSummary {
  rows: number;
  bytes: number;
}

// ---- field rules ----

/** Counts characters as people do: a character outside the BMP (a rare name character) is one, not two. */
function charCount(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n -= 1;
  }
  return n;
}

const SURROUNDING_SPACE = /^\s|\s$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Conduct is free text that may run over several lines (inside quotes): LF and TAB pass. */
const CONDUCT_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

function textProblem(value: string, min: number, max: number, control: RegExp = CONTROL): string | undefined {
  if (value === '') return 'must not be empty';
  if (SURROUNDING_SPACE.test(value)) return 'must not begin or end with white space';
  if (control.test(value)) return 'must not contain control characters';
  const n = charCount(value);
  if (n < min || n > max) return `must be ${min} to ${max} characters (found ${n})`;
  return undefined;
}

/**
 * Enforcement case numbers: `(year)` + the court's abbreviation (province character and
 * court code, or e.g. 最高法) + 执 and an optional sub-type (恢, 保, 异, 监, 复 …) + number + 号.
 * Full-width parentheses are accepted and made ASCII, so one case cannot appear under two
 * spellings (the database keeps one active entry per case number).
 */
const CASE_NUMBER = /^[(（](\d{4})[)）]([\u4e00-\u9fff]{1,4}\d{0,4}执[\u4e00-\u9fff]{0,2}[1-9]\d{0,6}号)$/;
const CASE_YEAR_MIN = 1990;
const CASE_YEAR_MAX = 2099;

function parseCaseNumber(value: string): { caseNumber: string } | { problem: string } {
  const match = CASE_NUMBER.exec(value);
  if (!match) return { problem: 'must look like (2026)粤0106执1234号' };
  const year = Number(match[1]);
  if (year < CASE_YEAR_MIN || year > CASE_YEAR_MAX) return { problem: `the case year must be ${CASE_YEAR_MIN} to ${CASE_YEAR_MAX}` };
  // A template literal makes a new string, so the duplicate index does not pin the chunk the field was cut from.
  return { caseNumber: `(${match[1]})${match[2]}` };
}

const ID_BIRTH_START = 6;
const ID_BIRTH_END = 14;
const ID_YEAR_MIN = 1900;
const ID_YEAR_MAX = 2099;

/**
 * The published, birth-date-masked resident ID. Characters 1-6 (region) and 15-18 (sequence
 * and check character) are always given; characters 7-14 (YYYYMMDD) are digits or `*`. The
 * parts of the birth date that are visible must be possible. A pattern with nothing masked
 * must carry its right check character. Only digits, `X` and `*` survive, which is what
 * keeps the review's `LIKE replace(id_pattern, '*', '_')` free of stray wildcards.
 */
/** A part of the birth date, unless some of it is masked. */
function visible(part: string): number | undefined {
  return part.includes('*') ? undefined : Number(part);
}

function parseIdPattern(raw: string): { idPattern: string } | { problem: string } {
  if (raw.length !== 18) return { problem: `must be 18 characters (found ${charCount(raw)})` };
  // The check character X is published upper case; the review compares upper case.
  const value = raw.endsWith('x') ? `${raw.slice(0, 17)}X` : raw;
  if (!/^[1-9]\d{5}$/.test(value.slice(0, ID_BIRTH_START))) return { problem: 'characters 1-6 (the region code) must be digits, never masked' };
  const birth = value.slice(ID_BIRTH_START, ID_BIRTH_END);
  if (!/^[\d*]{8}$/.test(birth)) return { problem: 'characters 7-14 (the birth date) must be digits or *' };
  if (!/^\d{3}[\dX]$/.test(value.slice(ID_BIRTH_END))) {
    return { problem: 'characters 15-18 (sequence and check character) must be digits and a final digit or X, never masked' };
  }
  const year = visible(birth.slice(0, 4));
  const month = visible(birth.slice(4, 6));
  const day = visible(birth.slice(6, 8));
  if (year !== undefined && (year < ID_YEAR_MIN || year > ID_YEAR_MAX)) return { problem: 'the visible birth year is impossible' };
  if (month !== undefined && (month < 1 || month > 12)) return { problem: 'the visible birth month is impossible' };
  if (day !== undefined) {
    // With the month or year hidden only the widest bound applies: 31 days, 29 in February (2000 is a leap year).
    const longest = month === undefined ? 31 : daysInMonth(year ?? 2000, month);
    if (day < 1 || day > longest) return { problem: 'the visible birth day is impossible' };
  }
  if (!birth.includes('*')) {
    try {
      parseIdNumber(value, 'id_number_masked');
    } catch {
      return { problem: 'an unmasked ID number must have its right check character' };
    }
  }
  return { idPattern: value };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** parseCalendarDate's rule without its exception, which would cost dearly on a file of bad dates. */
function parseDate(value: string): CalendarDate | undefined {
  const match = DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return value;
}

// ---- CSV records ----

const QUOTE = 0x22;
const COMMA = 0x2c;

/** A record being assembled; it spans several physical lines when a quoted field holds a line break. */
interface PendingRecord {
  startLine: number;
  fields: string[];
  field: string;
  inQuotes: boolean;
  /** Just after a closing quote: only a comma or the end of the line may follow. */
  afterQuote: boolean;
  atFieldStart: boolean;
  chars: number;
  malformed?: string;
}

function newRecord(startLine: number): PendingRecord {
  return { startLine, fields: [], field: '', inQuotes: false, afterQuote: false, atFieldStart: true, chars: 0 };
}

/** Scans one physical line (without its line end) into the record; true when the record is complete. */
function scanLine(rec: PendingRecord, line: string): boolean {
  // A line break inside quotes is data; CR LF there has already become LF.
  if (rec.inQuotes) rec.field += '\n';
  let i = 0;
  while (i < line.length) {
    if (rec.inQuotes) {
      const q = line.indexOf('"', i);
      if (q < 0) {
        rec.field += line.slice(i);
        return false;
      }
      rec.field += line.slice(i, q);
      if (line.charCodeAt(q + 1) === QUOTE) {
        rec.field += '"';
        i = q + 2;
      } else {
        rec.inQuotes = false;
        rec.afterQuote = true;
        i = q + 1;
      }
    } else if (rec.afterQuote) {
      if (line.charCodeAt(i) !== COMMA) {
        rec.malformed = 'a closing quote must be followed by a comma or the end of the line';
        return true;
      }
      rec.fields.push(rec.field);
      rec.field = '';
      rec.afterQuote = false;
      rec.atFieldStart = true;
      i += 1;
    } else if (rec.atFieldStart && line.charCodeAt(i) === QUOTE) {
      rec.inQuotes = true;
      rec.atFieldStart = false;
      i += 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      const quote = line.indexOf('"', i);
      if (quote >= 0 && quote < end) {
        rec.malformed = 'a quote inside an unquoted field (quote the whole field and double the quote)';
        return true;
      }
      rec.field += line.slice(i, end);
      if (comma < 0) {
        rec.atFieldStart = false;
        break;
      }
      rec.fields.push(rec.field);
      rec.field = '';
      rec.atFieldStart = true;
      i = comma + 1;
    }
  }
  if (rec.inQuotes) return false;
  rec.fields.push(rec.field);
  return true;
}

// ---- the reader ----

/**
 * How many line feeds a chunk holds before its first byte that is not UTF-8, so the error
 * can name the line. A replacement character the file itself carries (EF BF BD) is data.
 */
function linesBeforeInvalidUtf8(chunk: Uint8Array): number {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(chunk);
  for (let from = 0; ;) {
    const i = text.indexOf('\uFFFD', from);
    if (i < 0) return 0;
    const offset = Buffer.byteLength(text.slice(0, i), 'utf8');
    if (chunk[offset] !== 0xef || chunk[offset + 1] !== 0xbf || chunk[offset + 2] !== 0xbd) {
      let lines = 0;
      for (let j = text.indexOf('\n'); j >= 0 && j < i; j = text.indexOf('\n', j + 1)) lines += 1;
      return lines;
    }
    from = i + 1;
  }
}

/** Thrown inside the reader to stop at once; turned into CourtListInvalidError with everything collected. */
class StopReading extends Error {}

function chunksOf(source: DishonestDebtorSource): Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> {
  return typeof source === 'string' ? [source] : source;
}

export class DishonestDebtorFileReader {
  private readonly bytesMax: number;
  private readonly rowsMax: number;
  private readonly errors: CourtListLineError[] = [];
  private totalErrors = 0;
  /** Case number → the line it was first seen on. Bounded by the row limit. */
  private readonly caseLines = new Map<string, number>();
  private pending: PendingRecord | undefined;
  private trailer: { line: number; count: number | undefined } | undefined;
  private lineNo = 0;
  private rowCount = 0;
  private bytes = 0;
  private finished = false;
  private started = false;

  constructor(private readonly source: DishonestDebtorSource, options: DishonestDebtorReaderOptions = {}) {
    this.bytesMax = options.bytesMax ?? COURT_LIST_BYTES_MAX;
    this.rowsMax = options.rowsMax ?? COURT_LIST_ROWS_MAX;
  }

  /** Rows and bytes read; only after batches() has run to its end without throwing. */
  summary(): DishonestDebtorFileSummary {
    if (!this.finished) throw new Error('the court list file has not been read to its end');
    return { rows: this.rowCount, bytes: this.bytes };
  }

  /**
   * Valid rows, one batch per chunk read, until the first error; then CourtListInvalidError
   * once the file has been read (or at once when a limit is broken). Readable sources are
   * destroyed when reading stops early. One pass only.
   */
  async *batches(): AsyncGenerator<DishonestDebtorRow[]> {
    if (this.started) throw new Error('a court list file can be read once');
    this.started = true;
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let carry = '';
    try {
      for await (const chunk of chunksOf(this.source)) {
        const lines = (carry + this.decode(decoder, chunk)).split('\n');
        carry = lines.pop()!;
        if (carry.length > COURT_LIST_RECORD_CHARS_MAX) {
          this.stop(this.lineNo + lines.length + 1, 'record', `a line is longer than ${COURT_LIST_RECORD_CHARS_MAX} characters`);
        }
        const batch: DishonestDebtorRow[] = [];
        for (const line of lines) this.acceptLine(line, batch);
        if (batch.length > 0 && this.totalErrors === 0) yield batch;
      }
      carry += this.decodeEnd(decoder);
      // RFC 4180: the last record may end without a line break.
      const batch: DishonestDebtorRow[] = [];
      if (carry !== '') this.acceptLine(carry, batch);
      this.finish();
      if (batch.length > 0 && this.totalErrors === 0) yield batch;
    } catch (error) {
      if (error instanceof StopReading) throw this.invalid();
      throw error;
    }
    if (this.totalErrors > 0) throw this.invalid();
    this.finished = true;
  }

  /** Valid rows one by one (see batches()). */
  async *rows(): AsyncGenerator<DishonestDebtorRow> {
    for await (const batch of this.batches()) yield* batch;
  }

  private invalid(): CourtListInvalidError {
    return new CourtListInvalidError([...this.errors], this.totalErrors);
  }

  private error(line: number, field: string, message: string): void {
    this.totalErrors += 1;
    if (this.errors.length < COURT_LIST_ERRORS_KEPT_MAX) this.errors.push({ line, field, message });
  }

  /** A limit is broken: record why and stop reading. */
  private stop(line: number, field: string, message: string): never {
    this.error(line, field, message);
    throw new StopReading();
  }

  private decode(decoder: TextDecoder, chunk: unknown): string {
    if (typeof chunk === 'string') {
      this.countBytes(Buffer.byteLength(chunk, 'utf8'));
      return chunk;
    }
    if (!(chunk instanceof Uint8Array)) throw new TypeError('a court list source must yield strings or bytes');
    this.countBytes(chunk.length);
    try {
      return decoder.decode(chunk, { stream: true });
    } catch {
      return this.stop(this.lineNo + 1 + linesBeforeInvalidUtf8(chunk), 'file', 'the file is not valid UTF-8');
    }
  }

  private decodeEnd(decoder: TextDecoder): string {
    try {
      return decoder.decode();
    } catch {
      return this.stop(this.lineNo + 1, 'file', 'the file is not valid UTF-8 (it ends inside a character)');
    }
  }

  private countBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.bytesMax) this.stop(this.lineNo + 1, 'file', `the file is larger than ${this.bytesMax} bytes`);
  }

  private acceptLine(rawLine: string, batch: DishonestDebtorRow[]): void {
    const lineNo = ++this.lineNo;
    // RFC 4180 ends records with CR LF; LF alone is accepted too.
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (lineNo === 1) {
      this.acceptHeader(line);
      return;
    }
    let rec = this.pending;
    if (!rec) {
      if (line === '') {
        this.error(lineNo, 'record', 'empty line');
        return;
      }
      rec = newRecord(lineNo);
    }
    rec.chars += line.length + 1;
    if (rec.chars > COURT_LIST_RECORD_CHARS_MAX) {
      this.stop(rec.startLine, 'record', `the record is longer than ${COURT_LIST_RECORD_CHARS_MAX} characters (an unclosed quote?)`);
    }
    if (!scanLine(rec, line)) {
      this.pending = rec;
      return;
    }
    this.pending = undefined;
    if (rec.malformed) {
      this.error(rec.startLine, 'record', rec.malformed);
      // A malformed row still counts against the trailer and the row limit.
      if (!rec.fields[0]?.startsWith('#')) this.countRow(rec.startLine);
      return;
    }
    this.acceptRecord(rec.fields, rec.startLine, batch);
  }

  private acceptHeader(line: string): void {
    if (line.startsWith('\uFEFF')) this.error(1, 'header', 'the file starts with a byte order mark; it must be UTF-8 without one');
    else if (line !== COURT_LIST_HEADER) this.error(1, 'header', `the header line must be exactly ${COURT_LIST_HEADER}`);
  }

  private fieldError(line: number, field: string, message: string | undefined): void {
    if (message !== undefined) this.error(line, field, message);
  }

  private countRow(line: number): void {
    this.rowCount += 1;
    if (this.rowCount > this.rowsMax) this.stop(line, 'file', `more than ${this.rowsMax} rows`);
  }

  private acceptRecord(fields: string[], line: number, batch: DishonestDebtorRow[]): void {
    if (fields[0]!.startsWith('#')) {
      this.acceptTrailer(fields, line);
      return;
    }
    if (this.trailer) this.error(line, 'record', `a row follows the trailer line (line ${this.trailer.line})`);
    this.countRow(line);
    if (fields.length !== FIELDS.length) {
      this.error(line, 'record', `expected ${FIELDS.length} fields, found ${fields.length}`);
      return;
    }
    const row = this.parseRow(fields as [string, string, string, string, string, string, string, string], line);
    // Rows are handed on only while the file is clean: a rejected file's rows would be discarded anyway.
    if (row && this.totalErrors === 0) batch.push(row);
  }

  private acceptTrailer(fields: string[], line: number): void {
    if (fields[0] !== COURT_LIST_TRAILER_TAG) {
      this.error(line, 'record', `a line starting with # must be the trailer ${COURT_LIST_TRAILER_TAG},<row count>`);
      return;
    }
    if (this.trailer) {
      this.error(line, 'trailer', `a second trailer line (the first is on line ${this.trailer.line})`);
      return;
    }
    const countText = fields[1];
    const valid = fields.length === 2 && countText !== undefined && /^(0|[1-9]\d{0,8})$/.test(countText);
    this.trailer = { line, count: valid ? Number(countText) : undefined };
    if (!valid) this.error(line, 'trailer', `the trailer must be ${COURT_LIST_TRAILER_TAG},<row count> with the count in digits`);
  }

  private parseRow(
    [caseText, name, idText, court, province, filedText, publishedText, conduct]: [string, string, string, string, string, string, string, string],
    line: number,
  ): DishonestDebtorRow | undefined {
    const before = this.totalErrors;
    const problem = this.fieldError.bind(this, line);

    const parsedCase = parseCaseNumber(caseText);
    let caseNumber: string | undefined;
    if ('problem' in parsedCase) problem('case_number', parsedCase.problem);
    else {
      caseNumber = parsedCase.caseNumber;
      const first = this.caseLines.get(caseNumber);
      if (first !== undefined) problem('case_number', `case ${caseNumber} already appears on line ${first}`);
      else this.caseLines.set(caseNumber, line);
    }
    problem('name', textProblem(name, NAME_CHARS_MIN, NAME_CHARS_MAX) ?? (/[<>]/.test(name) ? 'must not contain < or >' : undefined));
    const parsedId = parseIdPattern(idText);
    if ('problem' in parsedId) problem('id_number_masked', parsedId.problem);
    problem('court', textProblem(court, 2, COURT_CHARS_MAX) ?? (court.endsWith('法院') ? undefined : 'must be a court name ending in 法院'));
    problem('province', PROVINCES.has(province) ? undefined : 'must be the short name of a provincial division, e.g. 广东');
    const filedOn = parseDate(filedText);
    const publishedOn = parseDate(publishedText);
    problem('filed_on', filedOn ? undefined : 'must be a real date written YYYY-MM-DD');
    problem('published_on', publishedOn ? undefined : 'must be a real date written YYYY-MM-DD');
    if (filedOn && publishedOn && publishedOn < filedOn) problem('published_on', `must not be before filed_on (${filedOn})`);
    problem('conduct', textProblem(conduct, 1, CONDUCT_CHARS_MAX, CONDUCT_CONTROL));

    if (this.totalErrors > before || !caseNumber || 'problem' in parsedId || !filedOn || !publishedOn) return undefined;
    return { lineNo: line, caseNumber, name, idPattern: parsedId.idPattern, court, province, filedOn, publishedOn, conduct };
  }

  private finish(): void {
    if (this.lineNo === 0) this.error(1, 'header', 'the file is empty');
    if (this.pending) {
      this.error(this.pending.startLine, 'record', 'the file ends inside a quoted field');
      this.pending = undefined;
    }
    if (this.lineNo === 0) return;
    if (!this.trailer) {
      this.error(this.lineNo, 'trailer', `no trailer line ${COURT_LIST_TRAILER_TAG},<row count>: the file may be cut short after line ${this.lineNo}`);
    } else if (this.trailer.count !== undefined && this.trailer.count !== this.rowCount) {
      this.error(this.trailer.line, 'trailer', `the trailer counts ${this.trailer.count} rows, the file has ${this.rowCount}`);
    }
  }
}

/** Reads a whole file into memory: for small files and tests. Throws CourtListInvalidError. */
export async function readDishonestDebtorFile(
  source: DishonestDebtorSource, options?: DishonestDebtorReaderOptions,
): Promise<{ rows: DishonestDebtorRow[]; bytes: number }> {
  const reader = new DishonestDebtorFileReader(source, options);
  const rows: DishonestDebtorRow[] = [];
  for await (const batch of reader.batches()) rows.push(...batch);
  return { rows, bytes: reader.summary().bytes };
}

/** The reader src/risk/import-court-list.ts is given. */
export const courtListReader = (chunks: DishonestDebtorSource): DishonestDebtorFileReader => new DishonestDebtorFileReader(chunks);
