/**
 * The carrier billing batch files (adapters/billing/files/FORMAT.md): pipe-delimited
 * records with a fixed field order, one header (H), detail records (D) and one trailer (T)
 * with the record count and the amount total in fen. This module owns the record layouts:
 * per-line parsers that validate every field (naming the field and the line number) and a
 * streaming writer. The streaming reader that checks a whole file is batch-file-reader.ts.
 */
import { daysInMonth } from '../../src/core/calendar-date.js';
import { maskMobile } from '../../src/core/identity.js';
import { AMOUNT_FEN_MAX } from '../../src/core/money.js';

export type BatchFileKind = 'deduction_request' | 'deduction_response' | 'settlement' | 'recharge';

/** Record type 2 of the header and the file name prefix, per kind. */
export const KIND_CODES: Readonly<Record<BatchFileKind, string>> = {
  deduction_request: 'DEDREQ',
  deduction_response: 'DEDRSP',
  settlement: 'SETTLE',
  recharge: 'RECHG',
};

export const LAYOUT_VERSION = '01';
/** A record longer than this is malformed (the longest valid record is about 160 characters). */
export const BATCH_LINE_CHARS_MAX = 512;
/** A file larger than this is refused before it fills a disk or a staging table. */
export const BATCH_FILE_BYTES_MAX = 1024 * 1024 * 1024;
export const BATCH_FILE_RECORDS_MAX = 5_000_000;
/** The writer joins this many records into one string chunk. */
export const WRITER_CHUNK_RECORDS = 2_000;

export const DEDUCTION_RESULT_CODES = ['OK', 'PARTIAL', 'INSUFFICIENT', 'SUSPENDED', 'UNKNOWN_SUBSCRIBER', 'REFUSED', 'ERROR'] as const;
export type DeductionResultCode = (typeof DEDUCTION_RESULT_CODES)[number];

export interface BatchFileHeader {
  kind: BatchFileKind;
  fileId: string;
  /** YYYY-MM-DD (Asia/Shanghai). */
  businessDate: string;
  /** YYYY-MM-DDTHH:MM:SS+08:00. */
  createdAt: string;
  sender: string;
}

export interface BatchFileTrailer { recordCount: number; amountTotalFen: number }

export interface DeductionRequestDetail { referenceCode: string; msisdn: string; amountFen: number; loanReference: string; dueDate: string }
export interface DeductionResponseDetail {
  referenceCode: string; msisdn: string; requestedFen: number; chargedFen: number; resultCode: DeductionResultCode;
}
export interface SettlementDetail { referenceCode: string; msisdn: string; amountFen: number }
export interface RechargeDetail { eventId: string; msisdn: string; amountFen: number; rechargedAt: string }

export interface DetailByKind {
  deduction_request: DeductionRequestDetail;
  deduction_response: DeductionResponseDetail;
  settlement: SettlementDetail;
  recharge: RechargeDetail;
}

/** A parsed detail record and the line it came from (1-based; the header is line 1). */
export type Numbered<D> = D & { lineNo: number };

export type BatchFileRejectionCode =
  | 'BATCH_HEADER_MISSING' | 'BATCH_HEADER_DUPLICATE' | 'BATCH_KIND_MISMATCH' | 'BATCH_FILE_NAME_MISMATCH'
  | 'BATCH_MALFORMED_LINE' | 'BATCH_ENCODING' | 'BATCH_TRUNCATED' | 'BATCH_RECORD_AFTER_TRAILER'
  | 'BATCH_COUNT_MISMATCH' | 'BATCH_TOTAL_MISMATCH' | 'BATCH_DUPLICATE_REFERENCE' | 'BATCH_TOO_LARGE'
  | 'BATCH_UNKNOWN_REFERENCE' | 'BATCH_REFERENCE_MISMATCH' | 'BATCH_DUPLICATE_EARLIER_FILE'
  | 'BATCH_FILE_ID_REUSED' | 'BATCH_REQUEST_MISMATCH';

/** The whole file is refused: nothing of it may be applied. Never carries a whole phone number. */
export class BatchFileRejected extends Error {
  constructor(
    readonly code: BatchFileRejectionCode,
    readonly reason: string,
    readonly lineNo?: number,
    readonly field?: string,
  ) {
    super(lineNo === undefined ? `${code}: ${reason}` : `${code}: line ${lineNo}: ${reason}`);
    this.name = 'BatchFileRejected';
  }
}

const malformed = (lineNo: number, field: string, why: string): BatchFileRejected =>
  new BatchFileRejected('BATCH_MALFORMED_LINE', `${field} ${why}`, lineNo, field);

// ---- fields ----

const REFERENCE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const MSISDN_PATTERN = /^1[3-9]\d{9}$/;
const AMOUNT_PATTERN = /^(0|[1-9]\d{0,14})$/;
const FILE_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const SENDER_PATTERN = /^[A-Z0-9_]{1,16}$/;
const LOAN_REFERENCE_PATTERN = /^[A-Za-z0-9_.:/-]{1,32}$/;
const DATE8_PATTERN = /^(\d{4})(\d{2})(\d{2})$/;
const TIME14_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_SHANGHAI_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\+08:00$/;

function text(raw: string, pattern: RegExp, lineNo: number, field: string, rule: string): string {
  if (!pattern.test(raw)) throw malformed(lineNo, field, `must be ${rule}`);
  return raw;
}

const reference = (raw: string, lineNo: number, field: string) => text(raw, REFERENCE_PATTERN, lineNo, field, '1-64 letters, digits or _.:-');

function msisdn(raw: string, lineNo: number): string {
  if (!MSISDN_PATTERN.test(raw)) throw malformed(lineNo, 'msisdn', `must be an 11-digit mainland mobile number (got ${maskMobile(raw)})`);
  return raw;
}

function amount(raw: string, lineNo: number, field: string, min: number): number {
  if (!AMOUNT_PATTERN.test(raw)) throw malformed(lineNo, field, 'must be a whole number of fen, digits only, no leading zeros');
  const value = Number(raw);
  if (value > AMOUNT_FEN_MAX) throw malformed(lineNo, field, 'exceeds the largest supported amount');
  if (value < min) throw malformed(lineNo, field, `must be at least ${min}`);
  return value;
}

function isRealDate(year: number, month: number, day: number): boolean {
  return year >= 1900 && year <= 2200 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** YYYYMMDD on the wire, YYYY-MM-DD in memory. */
function date8(raw: string, lineNo: number, field: string): string {
  const m = DATE8_PATTERN.exec(raw);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw malformed(lineNo, field, 'must be a real date written YYYYMMDD');
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** YYYYMMDDHHMMSS (Asia/Shanghai) on the wire, ISO 8601 with +08:00 in memory. */
function time14(raw: string, lineNo: number, field: string): string {
  const m = TIME14_PATTERN.exec(raw);
  const valid = m !== null && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))
    && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60;
  if (!valid) throw malformed(lineNo, field, 'must be a real time written YYYYMMDDHHMMSS (Asia/Shanghai)');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`;
}

function wireDate(isoDate: string, field: string): string {
  if (!ISO_DATE_PATTERN.test(isoDate)) throw new Error(`${field} must be YYYY-MM-DD to be written, got ${isoDate}`);
  return isoDate.replaceAll('-', '');
}

function wireTime(isoShanghai: string, field: string): string {
  const m = ISO_SHANGHAI_PATTERN.exec(isoShanghai);
  if (!m) throw new Error(`${field} must be YYYY-MM-DDTHH:MM:SS+08:00 to be written, got ${isoShanghai}`);
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}`;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** An instant as Asia/Shanghai wall time, YYYY-MM-DDTHH:MM:SS+08:00 (whole seconds). */
export function shanghaiTimestamp(instant: Date): string {
  return `${new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

function fieldsOf(line: string, lineNo: number, names: readonly string[]): string[] {
  const fields = line.split('|');
  if (fields.length !== names.length) {
    throw malformed(lineNo, 'record', `${fields[0]} must have ${names.length} fields (${names.join('|')}), found ${fields.length}`);
  }
  return fields;
}

// ---- header and trailer ----

const HEADER_FIELDS = ['recordType', 'fileKind', 'fileId', 'businessDate', 'createdAt', 'sender', 'layoutVersion'] as const;
const TRAILER_FIELDS = ['recordType', 'recordCount', 'amountTotalFen'] as const;
const KIND_BY_CODE = new Map(Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as BatchFileKind]));

export function parseHeaderLine(line: string, lineNo: number): BatchFileHeader {
  const f = fieldsOf(line, lineNo, HEADER_FIELDS);
  if (f[0] !== 'H') throw malformed(lineNo, 'recordType', 'must be H');
  const kind = KIND_BY_CODE.get(f[1]!);
  if (!kind) throw malformed(lineNo, 'fileKind', `must be one of ${[...KIND_BY_CODE.keys()].join(', ')}`);
  if (f[6] !== LAYOUT_VERSION) throw malformed(lineNo, 'layoutVersion', `must be ${LAYOUT_VERSION}`);
  return {
    kind,
    fileId: text(f[2]!, FILE_ID_PATTERN, lineNo, 'fileId', '1-32 letters, digits, _ or -'),
    businessDate: date8(f[3]!, lineNo, 'businessDate'),
    createdAt: time14(f[4]!, lineNo, 'createdAt'),
    sender: text(f[5]!, SENDER_PATTERN, lineNo, 'sender', '1-16 capital letters, digits or _'),
  };
}

export function formatHeaderLine(header: BatchFileHeader): string {
  return ['H', KIND_CODES[header.kind], header.fileId, wireDate(header.businessDate, 'businessDate'),
    wireTime(header.createdAt, 'createdAt'), header.sender, LAYOUT_VERSION].join('|');
}

export function parseTrailerLine(line: string, lineNo: number): BatchFileTrailer {
  const f = fieldsOf(line, lineNo, TRAILER_FIELDS);
  if (f[0] !== 'T') throw malformed(lineNo, 'recordType', 'must be T');
  if (!AMOUNT_PATTERN.test(f[1]!) || Number(f[1]) > BATCH_FILE_RECORDS_MAX) {
    throw malformed(lineNo, 'recordCount', `must be a whole number up to ${BATCH_FILE_RECORDS_MAX}, no leading zeros`);
  }
  return { recordCount: Number(f[1]), amountTotalFen: amount(f[2]!, lineNo, 'amountTotalFen', 0) };
}

export function formatTrailerLine(trailer: BatchFileTrailer): string {
  return `T|${trailer.recordCount}|${trailer.amountTotalFen}`;
}

// ---- detail records, one layout per kind ----

export interface DetailLayout<D> {
  readonly fields: readonly string[];
  parse(line: string, lineNo: number): Numbered<D>;
  format(detail: D): string;
  /** The key that must be unique within a file (referenceCode, or eventId for recharges). */
  key(detail: D): string;
  /** What the trailer's amount total adds up. */
  amountFen(detail: D): number;
}

function resultCode(raw: string, lineNo: number): DeductionResultCode {
  if (!(DEDUCTION_RESULT_CODES as readonly string[]).includes(raw)) {
    throw malformed(lineNo, 'resultCode', `must be one of ${DEDUCTION_RESULT_CODES.join(', ')}`);
  }
  return raw as DeductionResultCode;
}

/** OK charges all that was asked, PARTIAL some of it, every other result nothing. */
function checkCharged(code: DeductionResultCode, requestedFen: number, chargedFen: number, lineNo: number): void {
  const consistent = code === 'OK' ? chargedFen === requestedFen
    : code === 'PARTIAL' ? chargedFen > 0 && chargedFen < requestedFen
      : chargedFen === 0;
  if (!consistent) {
    const rule = code === 'OK' ? 'equal requestedFen' : code === 'PARTIAL' ? 'be above 0 and below requestedFen' : 'be 0';
    throw malformed(lineNo, 'chargedFen', `must ${rule} when resultCode is ${code}`);
  }
}

const REQUEST_FIELDS = ['recordType', 'referenceCode', 'msisdn', 'amountFen', 'loanReference', 'dueDate'] as const;
const deductionRequestLayout: DetailLayout<DeductionRequestDetail> = {
  fields: REQUEST_FIELDS,
  parse(line, lineNo) {
    const f = fieldsOf(line, lineNo, REQUEST_FIELDS);
    return {
      lineNo,
      referenceCode: reference(f[1]!, lineNo, 'referenceCode'),
      msisdn: msisdn(f[2]!, lineNo),
      amountFen: amount(f[3]!, lineNo, 'amountFen', 1),
      loanReference: text(f[4]!, LOAN_REFERENCE_PATTERN, lineNo, 'loanReference', '1-32 letters, digits or _.:/-'),
      dueDate: date8(f[5]!, lineNo, 'dueDate'),
    };
  },
  format: (d) => `D|${d.referenceCode}|${d.msisdn}|${d.amountFen}|${d.loanReference}|${wireDate(d.dueDate, 'dueDate')}`,
  key: (d) => d.referenceCode,
  amountFen: (d) => d.amountFen,
};

const RESPONSE_FIELDS = ['recordType', 'referenceCode', 'msisdn', 'requestedFen', 'chargedFen', 'resultCode'] as const;
const deductionResponseLayout: DetailLayout<DeductionResponseDetail> = {
  fields: RESPONSE_FIELDS,
  parse(line, lineNo) {
    const f = fieldsOf(line, lineNo, RESPONSE_FIELDS);
    const detail = {
      lineNo,
      referenceCode: reference(f[1]!, lineNo, 'referenceCode'),
      msisdn: msisdn(f[2]!, lineNo),
      requestedFen: amount(f[3]!, lineNo, 'requestedFen', 1),
      chargedFen: amount(f[4]!, lineNo, 'chargedFen', 0),
      resultCode: resultCode(f[5]!, lineNo),
    };
    checkCharged(detail.resultCode, detail.requestedFen, detail.chargedFen, lineNo);
    return detail;
  },
  format: (d) => `D|${d.referenceCode}|${d.msisdn}|${d.requestedFen}|${d.chargedFen}|${d.resultCode}`,
  key: (d) => d.referenceCode,
  amountFen: (d) => d.chargedFen,
};

const SETTLEMENT_FIELDS = ['recordType', 'referenceCode', 'msisdn', 'amountFen'] as const;
const settlementLayout: DetailLayout<SettlementDetail> = {
  fields: SETTLEMENT_FIELDS,
  parse(line, lineNo) {
    const f = fieldsOf(line, lineNo, SETTLEMENT_FIELDS);
    return {
      lineNo,
      referenceCode: reference(f[1]!, lineNo, 'referenceCode'),
      msisdn: msisdn(f[2]!, lineNo),
      amountFen: amount(f[3]!, lineNo, 'amountFen', 1),
    };
  },
  format: (d) => `D|${d.referenceCode}|${d.msisdn}|${d.amountFen}`,
  key: (d) => d.referenceCode,
  amountFen: (d) => d.amountFen,
};

const RECHARGE_FIELDS = ['recordType', 'eventId', 'msisdn', 'amountFen', 'rechargedAt'] as const;
const rechargeLayout: DetailLayout<RechargeDetail> = {
  fields: RECHARGE_FIELDS,
  parse(line, lineNo) {
    const f = fieldsOf(line, lineNo, RECHARGE_FIELDS);
    return {
      lineNo,
      eventId: reference(f[1]!, lineNo, 'eventId'),
      msisdn: msisdn(f[2]!, lineNo),
      amountFen: amount(f[3]!, lineNo, 'amountFen', 1),
      rechargedAt: time14(f[4]!, lineNo, 'rechargedAt'),
    };
  },
  format: (d) => `D|${d.eventId}|${d.msisdn}|${d.amountFen}|${wireTime(d.rechargedAt, 'rechargedAt')}`,
  key: (d) => d.eventId,
  amountFen: (d) => d.amountFen,
};

export const DETAIL_LAYOUTS: { readonly [K in BatchFileKind]: DetailLayout<DetailByKind[K]> } = {
  deduction_request: deductionRequestLayout,
  deduction_response: deductionResponseLayout,
  settlement: settlementLayout,
  recharge: rechargeLayout,
};

export function parseDetailLine<K extends BatchFileKind>(kind: K, line: string, lineNo: number): Numbered<DetailByKind[K]> {
  if (!line.startsWith('D|')) throw malformed(lineNo, 'recordType', 'must be D');
  return DETAIL_LAYOUTS[kind].parse(line, lineNo) as Numbered<DetailByKind[K]>;
}

// ---- file names ----

const FILE_NAME_PATTERN = /^([A-Z]+)_([A-Za-z0-9_-]{1,32})\.txt$/;

/** `DEDREQ_<fileId>.txt` and so on; a file travels as `<name>.part` until it is complete. */
export function batchFileName(kind: BatchFileKind, fileId: string): string {
  if (!FILE_ID_PATTERN.test(fileId)) throw new Error(`file id ${fileId} must be 1-32 letters, digits, _ or -`);
  return `${KIND_CODES[kind]}_${fileId}.txt`;
}

export function parseBatchFileName(name: string): { kind: BatchFileKind; fileId: string } | undefined {
  const m = FILE_NAME_PATTERN.exec(name);
  const kind = m ? KIND_BY_CODE.get(m[1]!) : undefined;
  return kind ? { kind, fileId: m![2]! } : undefined;
}

// ---- writer ----

/** Filled in by the writer as it goes; final once the last chunk has been taken. */
export interface WrittenTotals { recordCount: number; amountTotalFen: number }

/** Formats a record and checks it by parsing it back, so we never send a file we would refuse. */
function writeDetail<D>(layout: DetailLayout<D>, detail: D, lineNo: number): string {
  const line = layout.format(detail);
  try {
    layout.parse(line, lineNo);
  } catch (error) {
    if (error instanceof BatchFileRejected) throw new Error(`cannot write detail record ${lineNo - 1}: ${error.reason}`);
    throw error;
  }
  return line;
}

/**
 * Streams a whole file: the header, the details in WRITER_CHUNK_RECORDS-record chunks, and
 * the trailer as the last chunk on its own. Every record ends with LF.
 */
export async function* formatBatchFile<K extends BatchFileKind>(
  header: BatchFileHeader & { kind: K },
  details: AsyncIterable<DetailByKind[K]> | Iterable<DetailByKind[K]>,
  totals: WrittenTotals = { recordCount: 0, amountTotalFen: 0 },
): AsyncGenerator<string> {
  const layout = DETAIL_LAYOUTS[header.kind] as DetailLayout<DetailByKind[K]>;
  parseHeaderLine(formatHeaderLine(header), 1);
  yield `${formatHeaderLine(header)}\n`;
  let chunk: string[] = [];
  for await (const detail of details) {
    chunk.push(writeDetail(layout, detail, totals.recordCount + 2));
    totals.recordCount += 1;
    totals.amountTotalFen += layout.amountFen(detail);
    if (totals.recordCount > BATCH_FILE_RECORDS_MAX || !Number.isSafeInteger(totals.amountTotalFen)) {
      throw new Error(`a batch file holds at most ${BATCH_FILE_RECORDS_MAX} records with a safe-integer total`);
    }
    if (chunk.length >= WRITER_CHUNK_RECORDS) {
      yield `${chunk.join('\n')}\n`;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
  yield `${formatTrailerLine(totals)}\n`;
}

type HeaderOf<K extends BatchFileKind> = Omit<BatchFileHeader, 'kind'> & { kind?: K };
type DetailsOf<K extends BatchFileKind> = AsyncIterable<DetailByKind[K]> | Iterable<DetailByKind[K]>;

export const formatDeductionRequestFile = (header: HeaderOf<'deduction_request'>, details: DetailsOf<'deduction_request'>, totals?: WrittenTotals) =>
  formatBatchFile({ ...header, kind: 'deduction_request' }, details, totals);
export const formatDeductionResponseFile = (header: HeaderOf<'deduction_response'>, details: DetailsOf<'deduction_response'>, totals?: WrittenTotals) =>
  formatBatchFile({ ...header, kind: 'deduction_response' }, details, totals);
export const formatSettlementFile = (header: HeaderOf<'settlement'>, details: DetailsOf<'settlement'>, totals?: WrittenTotals) =>
  formatBatchFile({ ...header, kind: 'settlement' }, details, totals);
export const formatRechargeFile = (header: HeaderOf<'recharge'>, details: DetailsOf<'recharge'>, totals?: WrittenTotals) =>
  formatBatchFile({ ...header, kind: 'recharge' }, details, totals);
