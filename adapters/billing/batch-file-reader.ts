/**
 * Streaming reader of one batch file (FORMAT.md). It reads the source chunk by chunk (never
 * the whole file), validates every record as it arrives and hands the validated detail
 * records on in batches, so ingestion can COPY them into staging while the file is still
 * being read. It refuses the WHOLE file with a BatchFileRejected (code, reason, line) when:
 * the header is missing, repeated or of another kind; a record is malformed or not UTF-8
 * with LF line ends; a referenceCode (eventId for recharges) repeats; a record follows the
 * trailer; the file ends without a trailer or mid-record (truncated); or the record count or
 * amount total differs from the trailer. Because the last two are only known at the end,
 * whoever staged the batches must discard them when the reader throws.
 */
import type { Readable } from 'node:stream';
import type { BillingFileReaderPort, IngestibleBillingFileKind, ParsedBillingFile, IngestLineByKind } from '../../src/billing/ingest-batch-file.js';
import {
  BATCH_FILE_BYTES_MAX, BATCH_FILE_RECORDS_MAX, BATCH_LINE_CHARS_MAX, BatchFileRejected, DETAIL_LAYOUTS, batchFileName,
  parseHeaderLine, parseTrailerLine,
  type BatchFileHeader, type BatchFileKind, type BatchFileTrailer, type DetailByKind, type DetailLayout, type Numbered,
} from './batch-file-format.js';

export { BatchFileRejected } from './batch-file-format.js';

export interface BatchFileReaderOptions {
  /** When given, the header's kind and file id must produce exactly this name. */
  fileName?: string;
  bytesMax?: number;
  recordsMax?: number;
}

export interface BatchFileSummary {
  header: BatchFileHeader;
  trailer: BatchFileTrailer;
  recordCount: number;
  amountTotalFen: number;
  bytes: number;
}

const KEY_SET_SLOTS_INITIAL = 1 << 12;
const KEY_SET_ARENA_BYTES_INITIAL = 64 * 1024;

/**
 * An exact set of short ASCII keys kept in flat typed arrays: about 40 bytes a key, no
 * object per key, and no substring of a record kept alive (which would pin whole chunks).
 */
class KeySet {
  private arena = Buffer.allocUnsafe(KEY_SET_ARENA_BYTES_INITIAL);
  private arenaUsed = 0;
  private starts = new Uint32Array(KEY_SET_SLOTS_INITIAL / 2);
  private lengths = new Uint8Array(KEY_SET_SLOTS_INITIAL / 2);
  private hashes = new Uint32Array(KEY_SET_SLOTS_INITIAL / 2);
  private lines = new Uint32Array(KEY_SET_SLOTS_INITIAL / 2);
  /** Open addressing; 0 is empty, otherwise entry index + 1. Kept at most half full. */
  private slots = new Uint32Array(KEY_SET_SLOTS_INITIAL);
  private size = 0;

  /** Adds a key (ASCII, at most 255 characters); returns 0 when it is new, else the line it was first seen on. */
  add(key: string, lineNo: number): number {
    const hash = fnv1a(key);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) {
        this.insert(slot, key, hash, lineNo);
        return 0;
      }
      if (this.hashes[entry - 1] === hash && this.equals(entry - 1, key)) return this.lines[entry - 1]!;
    }
  }

  private equals(index: number, key: string): boolean {
    if (this.lengths[index] !== key.length) return false;
    const start = this.starts[index]!;
    for (let i = 0; i < key.length; i++) if (this.arena[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private insert(slot: number, key: string, hash: number, lineNo: number): void {
    const index = this.size++;
    if (index === this.starts.length) this.growEntries();
    if (this.arenaUsed + key.length > this.arena.length) this.growArena(key.length);
    this.arena.write(key, this.arenaUsed, 'latin1');
    this.starts[index] = this.arenaUsed;
    this.lengths[index] = key.length;
    this.arenaUsed += key.length;
    this.hashes[index] = hash;
    this.lines[index] = lineNo;
    this.slots[slot] = index + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
  }

  private growEntries(): void {
    const grow = <T extends Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const next = make(a.length * 2);
      next.set(a);
      return next;
    };
    this.starts = grow(this.starts, (n) => new Uint32Array(n));
    this.lengths = grow(this.lengths, (n) => new Uint8Array(n));
    this.hashes = grow(this.hashes, (n) => new Uint32Array(n));
    this.lines = grow(this.lines, (n) => new Uint32Array(n));
  }

  private growArena(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + needed));
    this.arena.copy(next, 0, 0, this.arenaUsed);
    this.arena = next;
  }

  private rehash(): void {
    const slots = new Uint32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let index = 0; index < this.size; index++) {
      let slot = this.hashes[index]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.slots = slots;
  }
}

function fnv1a(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const EMPTY = new Uint8Array(0);

export class BatchFileReader<K extends BatchFileKind> {
  private readonly layout: DetailLayout<DetailByKind[K]>;
  private readonly keys = new KeySet();
  private readonly bytesMax: number;
  private readonly recordsMax: number;
  private headerRecord: BatchFileHeader | undefined;
  private trailer: { record: BatchFileTrailer; lineNo: number } | undefined;
  private lineNo = 0;
  private recordCount = 0;
  private amountTotalFen = 0;
  private bytes = 0;
  private finished = false;

  constructor(private readonly source: Readable, readonly kind: K, private readonly options: BatchFileReaderOptions = {}) {
    this.layout = DETAIL_LAYOUTS[kind] as DetailLayout<DetailByKind[K]>;
    this.bytesMax = options.bytesMax ?? BATCH_FILE_BYTES_MAX;
    this.recordsMax = options.recordsMax ?? BATCH_FILE_RECORDS_MAX;
  }

  /** The header once line 1 has been read. */
  header(): BatchFileHeader | undefined {
    return this.headerRecord;
  }

  /** The checked totals; only after batches() has run to its end without throwing. */
  summary(): BatchFileSummary {
    if (!this.finished || !this.headerRecord || !this.trailer) throw new Error('the batch file has not been read to its end');
    return { header: this.headerRecord, trailer: this.trailer.record, recordCount: this.recordCount, amountTotalFen: this.amountTotalFen, bytes: this.bytes };
  }

  /**
   * Validated detail records, one batch per chunk read. Throws BatchFileRejected for a bad
   * file (possibly after earlier batches were handed out) and passes on the source's own
   * errors (a broken download) unchanged. The source is not destroyed when this stops early.
   */
  async *batches(): AsyncGenerator<Numbered<DetailByKind[K]>[]> {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let carry = '';
    for await (const chunk of this.source.iterator({ destroyOnReturn: false })) {
      const bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
      this.countBytes(bytes.length);
      const lines = (carry + this.decode(decoder, bytes, true)).split('\n');
      carry = lines.pop()!;
      if (carry.length > BATCH_LINE_CHARS_MAX) this.tooLong(this.lineNo + lines.length + 1);
      const batch: Numbered<DetailByKind[K]>[] = [];
      for (const line of lines) {
        const detail = this.acceptLine(line);
        if (detail) batch.push(detail);
      }
      if (batch.length > 0) yield batch;
    }
    carry += this.decode(decoder, EMPTY, false);
    if (carry !== '') {
      throw new BatchFileRejected('BATCH_TRUNCATED', 'the last record has no line feed: the file ends mid-record', this.lineNo + 1);
    }
    this.finish();
  }

  private countBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.bytesMax) throw new BatchFileRejected('BATCH_TOO_LARGE', `the file is larger than ${this.bytesMax} bytes`);
  }

  private decode(decoder: TextDecoder, bytes: Uint8Array, stream: boolean): string {
    try {
      return decoder.decode(bytes, { stream });
    } catch {
      throw new BatchFileRejected('BATCH_ENCODING', 'the file is not valid UTF-8', this.lineNo + 1);
    }
  }

  private tooLong(lineNo: number): never {
    throw new BatchFileRejected('BATCH_MALFORMED_LINE', `record is longer than ${BATCH_LINE_CHARS_MAX} characters`, lineNo, 'record');
  }

  private acceptLine(line: string): Numbered<DetailByKind[K]> | undefined {
    const lineNo = ++this.lineNo;
    if (line.length > BATCH_LINE_CHARS_MAX) this.tooLong(lineNo);
    if (line.endsWith('\r')) throw new BatchFileRejected('BATCH_ENCODING', 'records must end with LF alone, not CR LF', lineNo);
    if (lineNo === 1) {
      this.acceptHeader(line);
      return undefined;
    }
    if (this.trailer) throw new BatchFileRejected('BATCH_RECORD_AFTER_TRAILER', 'a record follows the trailer', lineNo);
    if (line.startsWith('D|')) return this.acceptDetail(line, lineNo);
    if (line.startsWith('T|')) {
      this.trailer = { record: parseTrailerLine(line, lineNo), lineNo };
      return undefined;
    }
    if (line.startsWith('H|')) throw new BatchFileRejected('BATCH_HEADER_DUPLICATE', 'a second header record', lineNo);
    const why = line === '' ? 'empty line' : 'record type must be H, D or T';
    throw new BatchFileRejected('BATCH_MALFORMED_LINE', why, lineNo, 'recordType');
  }

  private acceptHeader(line: string): void {
    if (line.startsWith('\uFEFF')) throw new BatchFileRejected('BATCH_ENCODING', 'the file starts with a byte order mark', 1);
    if (!line.startsWith('H|')) throw new BatchFileRejected('BATCH_HEADER_MISSING', 'line 1 must be the header record (H)', 1);
    const header = parseHeaderLine(line, 1);
    if (header.kind !== this.kind) {
      throw new BatchFileRejected('BATCH_KIND_MISMATCH', `the header says ${header.kind}, expected ${this.kind}`, 1, 'fileKind');
    }
    const expectedName = batchFileName(header.kind, header.fileId);
    if (this.options.fileName !== undefined && this.options.fileName !== expectedName) {
      throw new BatchFileRejected('BATCH_FILE_NAME_MISMATCH', `file id ${header.fileId} belongs in ${expectedName}, not ${this.options.fileName}`, 1, 'fileId');
    }
    this.headerRecord = header;
  }

  private acceptDetail(line: string, lineNo: number): Numbered<DetailByKind[K]> {
    const detail = this.layout.parse(line, lineNo) as Numbered<DetailByKind[K]>;
    if (++this.recordCount > this.recordsMax) {
      throw new BatchFileRejected('BATCH_TOO_LARGE', `more than ${this.recordsMax} detail records`, lineNo);
    }
    const key = this.layout.key(detail);
    const firstLine = this.keys.add(key, lineNo);
    if (firstLine !== 0) {
      const field = this.kind === 'recharge' ? 'eventId' : 'referenceCode';
      throw new BatchFileRejected('BATCH_DUPLICATE_REFERENCE', `${field} ${key} already appeared on line ${firstLine}`, lineNo, field);
    }
    this.amountTotalFen += this.layout.amountFen(detail);
    return detail;
  }

  private finish(): void {
    if (this.lineNo === 0) throw new BatchFileRejected('BATCH_HEADER_MISSING', 'the file is empty', 1);
    if (!this.trailer) {
      throw new BatchFileRejected('BATCH_TRUNCATED', `no trailer record (T): the file ends after line ${this.lineNo}`, this.lineNo);
    }
    const { record, lineNo } = this.trailer;
    if (record.recordCount !== this.recordCount) {
      throw new BatchFileRejected('BATCH_COUNT_MISMATCH', `the trailer counts ${record.recordCount} records, the file has ${this.recordCount}`, lineNo, 'recordCount');
    }
    if (record.amountTotalFen !== this.amountTotalFen) {
      throw new BatchFileRejected('BATCH_TOTAL_MISMATCH', `the trailer totals ${record.amountTotalFen} fen, the records add up to ${this.amountTotalFen}`, lineNo, 'amountTotalFen');
    }
    this.finished = true;
  }
}

/** Reads a whole file, handing each batch of validated details to `onBatch` (awaited: backpressure). */
export async function readBatchFile<K extends BatchFileKind>(
  source: Readable, kind: K, onBatch: (details: Numbered<DetailByKind[K]>[]) => void | Promise<void>, options?: BatchFileReaderOptions,
): Promise<BatchFileSummary> {
  const reader = new BatchFileReader(source, kind, options);
  for await (const batch of reader.batches()) await onBatch(batch);
  return reader.summary();
}

/** The reader as the port src/billing/ingest-batch-file.ts asks for; wire it in where ingestion is called. */
export const batchFileReaderPort: BillingFileReaderPort = {
  open<K extends IngestibleBillingFileKind>(kind: K, fileName: string, source: Readable): ParsedBillingFile<IngestLineByKind[K]> {
    const reader = new BatchFileReader(source, kind, { fileName });
    return {
      batches: () => reader.batches() as AsyncIterable<IngestLineByKind[K][]>,
      header: () => {
        const header = reader.header();
        return header && { fileId: header.fileId, businessDate: header.businessDate };
      },
      control: () => {
        const { header, recordCount, amountTotalFen } = reader.summary();
        return { fileId: header.fileId, businessDate: header.businessDate, recordCount, amountTotalFen };
      },
    };
  },
  rejectionOf: (error) => (error instanceof BatchFileRejected ? error : undefined),
};
