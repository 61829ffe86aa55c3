/**
 * The carrier's batch SFTP server, simulated over the real wire: an SSH server (the `ssh2`
 * package's Server, password authentication, a fresh ed25519 host key per start) whose SFTP
 * subsystem serves a real directory (`rootDir`, laid out as in FORMAT.md).
 *
 * It behaves as the carrier's billing system does: when a deduction request file is renamed
 * from `.part` into `outbox/`, it validates the whole file, then charges each detail against
 * the SubscriberBook under its referenceCode (so real time and batch share the carrier's
 * de-duplication) and writes the response file into `inbox/` (via `.part` + rename). It also
 * produces settlement files and recharge feeds on request.
 *
 * Faults for tests: cut the connection after N bytes of an upload or a download, write the
 * next response without its trailer, answer a reference with ERROR.
 */
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ssh2, { type Attributes, type AuthContext, type ClientInfo, type Connection, type FileEntry, type SFTPWrapper } from 'ssh2';
import { shanghaiDate } from '../../src/core/calendar-date.js';
import {
  BatchFileRejected, batchFileName, formatDeductionResponseFile, formatRechargeFile, formatSettlementFile, parseBatchFileName,
  shanghaiTimestamp, type BatchFileHeader, type DeductionRequestDetail, type DeductionResponseDetail, type DeductionResultCode,
} from './batch-file-format.js';
import { BatchFileReader, readBatchFile } from './batch-file-reader.js';
import { INBOX_DIR, OUTBOX_DIR, PART_SUFFIX, PROCESSED_DIR } from './sftp-client.js';
import type { RechargeEvent, SimulatedChargeResult, SubscriberBook } from './subscriber-book.js';

const { STATUS_CODE, flagsToString } = ssh2.utils.sftp;

export const CARRIER_SENDER = 'CARRIER';
export const REJECTED_DIR = 'rejected';
/** Largest READ answered at once; clients ask for 32-256 KiB. */
const SFTP_READ_BYTES_MAX = 256 * 1024;
/** Operations kept for tests to inspect (oldest dropped first). */
const OPERATION_LOG_MAX = 10_000;

export interface BillingSftpSimulatorOptions {
  book: SubscriberBook;
  rootDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  username: string;
  password: string;
  /** Prepaid credit too low for the whole amount: charge what is there above `reserveFen` (PARTIAL). */
  partialCharges?: boolean;
  reserveFen?: number;
}

export interface SftpOperation { op: 'OPEN' | 'RENAME' | 'REMOVE' | 'MKDIR' | 'CUT'; path: string; to?: string; mode?: string }

export interface SimulatorFaults {
  /** The next upload into outbox/ loses its connection once `bytes` bytes are written. */
  cutNextUploadAfter(bytes: number): void;
  /** The next download from inbox/ loses its connection once `bytes` bytes are read. */
  cutNextDownloadAfter(bytes: number): void;
  /** The next response file is written without its trailer (a truncated file). */
  truncateNextResponse(): void;
  /** Details with this referenceCode are answered ERROR and not charged. */
  failReference(referenceCode: string): void;
}

export interface BillingSftpSimulator {
  /** sftp://user:password@host:port/ for BillingSftpClient. */
  url: string;
  port: number;
  rootDir: string;
  faults: SimulatorFaults;
  operations: readonly SftpOperation[];
  /** Request files the carrier refused, with why (they are moved to outbox/rejected/). */
  rejectedRequests: readonly { fileName: string; reason: string }[];
  /** Unexpected failures while answering request files. */
  errors: readonly unknown[];
  /** Resolves when every request file received so far has been answered. */
  settled(): Promise<void>;
  /** Writes SETTLE_<fileId>.txt into inbox/ for every charge not settled before; returns its name. */
  produceSettlementFile(businessDate: string, fileId?: string): Promise<string>;
  /** Writes RECHG_<fileId>.txt into inbox/; returns its name. */
  produceRechargeFile(events: readonly RechargeEvent[], fileId?: string): Promise<string>;
  close(): Promise<void>;
}

/** Virtual SFTP path (absolute, normalized, never above "/"). */
function virtualPath(requested: string): string {
  return path.posix.normalize(`/${requested}`);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function attrsOf(stats: Stats): Attributes {
  return { mode: stats.mode, uid: stats.uid, gid: stats.gid, size: stats.size, atime: Math.floor(stats.atimeMs / 1000), mtime: Math.floor(stats.mtimeMs / 1000) };
}

function longname(name: string, stats: Stats): string {
  return `${stats.isDirectory() ? 'd' : '-'}rw-r--r-- 1 carrier carrier ${stats.size} Jan  1 00:00 ${name}`;
}

function statusFor(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

// ---- the SFTP subsystem over a real directory ----

type OpenHandle =
  | { kind: 'file'; file: FileHandle; path: string }
  | { kind: 'dir'; path: string; listed: boolean };

/** What the carrier side decides about one session's traffic. */
interface SessionHooks {
  log(operation: SftpOperation): void;
  /** How many of `length` bytes at `offset` may move; fewer means: then cut the connection. */
  allowWrite(path: string, offset: number, length: number): number;
  allowRead(path: string, offset: number, length: number): number;
  renamed(from: string, to: string): void;
}

class SftpSession {
  private readonly handles = new Map<number, OpenHandle>();
  private nextHandle = 1;

  constructor(private readonly sftp: SFTPWrapper, private readonly root: string, private readonly hooks: SessionHooks, private readonly cut: () => void) {
    const on = <A extends unknown[]>(work: (id: number, ...args: A) => Promise<void>) => (id: number, ...args: A) => {
      work.call(this, id, ...args).catch((error: unknown) => this.reply(() => this.sftp.status(id, statusFor(error))));
    };
    sftp.on('REALPATH', on(this.realpath)).on('STAT', on(this.stat)).on('LSTAT', on(this.stat)).on('FSTAT', on(this.fstat))
      .on('OPEN', on(this.open)).on('READ', on(this.read)).on('WRITE', on(this.write)).on('CLOSE', on(this.close))
      .on('OPENDIR', on(this.opendir)).on('READDIR', on(this.readdir)).on('REMOVE', on(this.remove)).on('RENAME', on(this.rename))
      .on('MKDIR', on(this.mkdir)).on('RMDIR', on(this.rmdir))
      .on('SETSTAT', on(this.accept)).on('FSETSTAT', on(this.accept))
      .on('READLINK', on(this.unsupported)).on('SYMLINK', on(this.unsupported));
  }

  /** A reply on a channel the client already dropped is not an error of ours. */
  private reply(send: () => void): void {
    try {
      send();
    } catch {
      // the channel is gone
    }
  }

  private real(virtual: string): string {
    return path.join(this.root, virtual);
  }

  private handle(handle: Buffer): OpenHandle {
    const entry = handle.length === 4 ? this.handles.get(handle.readUInt32BE(0)) : undefined;
    if (!entry) throw Object.assign(new Error('unknown handle'), { code: 'EBADF' });
    return entry;
  }

  private file(handle: Buffer): Extract<OpenHandle, { kind: 'file' }> {
    const entry = this.handle(handle);
    if (entry.kind !== 'file') throw Object.assign(new Error('not a file handle'), { code: 'EBADF' });
    return entry;
  }

  private issue(entry: OpenHandle): Buffer {
    const id = this.nextHandle++;
    this.handles.set(id, entry);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id, 0);
    return buffer;
  }

  private async realpath(id: number, requested: string): Promise<void> {
    const v = virtualPath(requested);
    this.reply(() => this.sftp.name(id, [{ filename: v, longname: v, attrs: {} as Attributes }]));
  }

  private async stat(id: number, requested: string): Promise<void> {
    const stats = await fs.stat(this.real(virtualPath(requested)));
    this.reply(() => this.sftp.attrs(id, attrsOf(stats)));
  }

  private async fstat(id: number, handle: Buffer): Promise<void> {
    const stats = await this.file(handle).file.stat();
    this.reply(() => this.sftp.attrs(id, attrsOf(stats)));
  }

  private async open(id: number, requested: string, flags: number): Promise<void> {
    const mode = flagsToString(flags);
    if (!mode) return this.reply(() => this.sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
    const v = virtualPath(requested);
    const file = await fs.open(this.real(v), mode);
    this.hooks.log({ op: 'OPEN', path: v, mode });
    const handle = this.issue({ kind: 'file', file, path: v });
    this.reply(() => this.sftp.handle(id, handle));
  }

  private async read(id: number, handle: Buffer, offset: number, length: number): Promise<void> {
    const entry = this.file(handle);
    const wanted = Math.min(length, SFTP_READ_BYTES_MAX);
    const allowed = this.hooks.allowRead(entry.path, offset, wanted);
    if (allowed <= 0 && wanted > 0) return this.cut();
    const buffer = Buffer.alloc(allowed);
    const { bytesRead } = await entry.file.read(buffer, 0, allowed, offset);
    if (bytesRead === 0) return this.reply(() => this.sftp.status(id, STATUS_CODE.EOF));
    this.reply(() => this.sftp.data(id, buffer.subarray(0, bytesRead)));
  }

  private async write(id: number, handle: Buffer, offset: number, data: Buffer): Promise<void> {
    const entry = this.file(handle);
    const allowed = this.hooks.allowWrite(entry.path, offset, data.length);
    if (allowed > 0) await entry.file.write(data, 0, Math.min(allowed, data.length), offset);
    if (allowed < data.length) return this.cut();
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
  }

  private async close(id: number, handle: Buffer): Promise<void> {
    const entry = this.handle(handle);
    this.handles.delete(handle.readUInt32BE(0));
    if (entry.kind === 'file') await entry.file.close();
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
  }

  private async opendir(id: number, requested: string): Promise<void> {
    const v = virtualPath(requested);
    if (!(await fs.stat(this.real(v))).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    const handle = this.issue({ kind: 'dir', path: v, listed: false });
    this.reply(() => this.sftp.handle(id, handle));
  }

  /** The whole listing in one NAME reply, then EOF. */
  private async readdir(id: number, handle: Buffer): Promise<void> {
    const entry = this.handle(handle);
    if (entry.kind !== 'dir' || entry.listed) return this.reply(() => this.sftp.status(id, STATUS_CODE.EOF));
    entry.listed = true;
    const dir = this.real(entry.path);
    const names = await fs.readdir(dir);
    const entries: FileEntry[] = await Promise.all(names.map(async (filename) => {
      const stats = await fs.stat(path.join(dir, filename));
      return { filename, longname: longname(filename, stats), attrs: attrsOf(stats) };
    }));
    this.reply(() => (entries.length > 0 ? this.sftp.name(id, entries) : this.sftp.status(id, STATUS_CODE.EOF)));
  }

  private async remove(id: number, requested: string): Promise<void> {
    const v = virtualPath(requested);
    await fs.unlink(this.real(v));
    this.hooks.log({ op: 'REMOVE', path: v });
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
  }

  /** SFTP v3 semantics: renaming onto an existing name fails. */
  private async rename(id: number, fromRequested: string, toRequested: string): Promise<void> {
    const [from, to] = [virtualPath(fromRequested), virtualPath(toRequested)];
    const taken = await fs.stat(this.real(to)).then(() => true, () => false);
    if (taken) return this.reply(() => this.sftp.status(id, STATUS_CODE.FAILURE, `${to} exists`));
    await fs.rename(this.real(from), this.real(to));
    this.hooks.log({ op: 'RENAME', path: from, to });
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
    this.hooks.renamed(from, to);
  }

  private async mkdir(id: number, requested: string): Promise<void> {
    const v = virtualPath(requested);
    await fs.mkdir(this.real(v));
    this.hooks.log({ op: 'MKDIR', path: v });
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
  }

  private async rmdir(id: number, requested: string): Promise<void> {
    await fs.rmdir(this.real(virtualPath(requested)));
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
  }

  private async accept(id: number): Promise<void> {
    this.reply(() => this.sftp.status(id, STATUS_CODE.OK));
  }

  private async unsupported(id: number): Promise<void> {
    this.reply(() => this.sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
  }
}

// ---- the carrier's batch processing ----

const RESULT_BY_REFUSAL: Record<Exclude<SimulatedChargeResult['kind'], 'charged'>, DeductionResultCode> = {
  insufficient_credit: 'INSUFFICIENT',
  subscriber_suspended: 'SUSPENDED',
  subscriber_unknown: 'UNKNOWN_SUBSCRIBER',
  duplicate_conflict: 'REFUSED',
};

class CarrierBatch implements SimulatorFaults {
  readonly operations: SftpOperation[] = [];
  readonly rejectedRequests: { fileName: string; reason: string }[] = [];
  readonly errors: unknown[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly failedReferences = new Set<string>();
  private readonly settledReferences = new Set<string>();
  private uploadCutAt: number | undefined;
  private downloadCutAt: number | undefined;
  private truncateResponse = false;
  private fileSequence = 0;

  constructor(private readonly options: BillingSftpSimulatorOptions) {}

  cutNextUploadAfter(bytes: number): void { this.uploadCutAt = bytes; }
  cutNextDownloadAfter(bytes: number): void { this.downloadCutAt = bytes; }
  truncateNextResponse(): void { this.truncateResponse = true; }
  failReference(referenceCode: string): void { this.failedReferences.add(referenceCode); }

  private real(...parts: string[]): string {
    return path.join(this.options.rootDir, ...parts);
  }

  log(operation: SftpOperation): void {
    this.operations.push(operation);
    if (this.operations.length > OPERATION_LOG_MAX) this.operations.shift();
  }

  allowWrite(file: string, offset: number, length: number): number {
    if (this.uploadCutAt === undefined || path.posix.dirname(file) !== `/${OUTBOX_DIR}` || offset + length <= this.uploadCutAt) return length;
    const allowed = Math.max(0, this.uploadCutAt - offset);
    this.uploadCutAt = undefined;
    this.log({ op: 'CUT', path: file });
    return allowed;
  }

  allowRead(file: string, offset: number, length: number): number {
    if (this.downloadCutAt === undefined || path.posix.dirname(file) !== `/${INBOX_DIR}` || offset + length <= this.downloadCutAt) return length;
    const allowed = Math.max(0, this.downloadCutAt - offset);
    if (allowed === 0) {
      this.downloadCutAt = undefined;
      this.log({ op: 'CUT', path: file });
    }
    return allowed;
  }

  renamed(_from: string, to: string): void {
    const name = path.posix.basename(to);
    if (path.posix.dirname(to) !== `/${OUTBOX_DIR}` || parseBatchFileName(name)?.kind !== 'deduction_request') return;
    const work = this.answer(name).catch((error: unknown) => void this.errors.push(error)).finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Validates the whole request first (a bad file charges nobody), then charges and answers line by line. */
  private async answer(name: string): Promise<void> {
    const requestPath = this.real(OUTBOX_DIR, name);
    try {
      await readBatchFile(createReadStream(requestPath), 'deduction_request', () => undefined, { fileName: name });
    } catch (error) {
      if (!(error instanceof BatchFileRejected)) throw error;
      this.rejectedRequests.push({ fileName: name, reason: error.message });
      await fs.rename(requestPath, this.real(OUTBOX_DIR, REJECTED_DIR, name));
      return;
    }
    const reader = new BatchFileReader(createReadStream(requestPath), 'deduction_request');
    const { header, details } = await headerFirst(reader);
    const responses = formatDeductionResponseFile(this.headerFor(header.fileId, header.businessDate), this.charge(details));
    await this.writeInbox(batchFileName('deduction_response', header.fileId), responses);
    await fs.rename(requestPath, this.real(OUTBOX_DIR, PROCESSED_DIR, name));
  }

  private headerFor(fileId: string, businessDate: string): Omit<BatchFileHeader, 'kind'> {
    return { fileId, businessDate, createdAt: shanghaiTimestamp(new Date()), sender: CARRIER_SENDER };
  }

  private async *charge(details: AsyncIterable<DeductionRequestDetail>): AsyncGenerator<DeductionResponseDetail> {
    for await (const d of details) yield this.chargeOne(d);
  }

  private chargeOne(d: DeductionRequestDetail): DeductionResponseDetail {
    const answer = (resultCode: DeductionResultCode, chargedFen: number): DeductionResponseDetail =>
      ({ referenceCode: d.referenceCode, msisdn: d.msisdn, requestedFen: d.amountFen, chargedFen, resultCode });
    if (this.failedReferences.has(d.referenceCode)) return answer('ERROR', 0);
    let result = this.options.book.charge(d.msisdn, d.amountFen, d.referenceCode);
    if (result.kind === 'insufficient_credit' && this.options.partialCharges) result = this.chargePartly(d) ?? result;
    if (result.kind !== 'charged') return answer(RESULT_BY_REFUSAL[result.kind], 0);
    if (result.amountFen === d.amountFen) return answer('OK', result.amountFen);
    return result.amountFen < d.amountFen ? answer('PARTIAL', result.amountFen) : answer('REFUSED', 0);
  }

  /** What prepaid credit there is above the reserve, under the same reference. */
  private chargePartly(d: DeductionRequestDetail): SimulatedChargeResult | undefined {
    const subscriber = this.options.book.get(d.msisdn);
    const available = subscriber ? subscriber.balanceFen - (this.options.reserveFen ?? 0) : 0;
    if (!subscriber || subscriber.plan !== 'prepaid' || available <= 0 || available >= d.amountFen) return undefined;
    return this.options.book.charge(d.msisdn, available, d.referenceCode);
  }

  /** Writes inbox/<name>.part, then renames it: our side never sees half a file (unless a fault asks). */
  private async writeInbox(name: string, chunks: AsyncIterable<string>): Promise<void> {
    const dropTrailer = this.truncateResponse && parseBatchFileName(name)?.kind === 'deduction_response';
    if (dropTrailer) this.truncateResponse = false;
    const kept = dropTrailer ? withoutTrailer(chunks) : chunks;
    const part = this.real(INBOX_DIR, name + PART_SUFFIX);
    await pipeline(Readable.from(kept), createWriteStream(part));
    await fs.rename(part, this.real(INBOX_DIR, name));
  }

  private nextFileId(prefix: string): string {
    this.fileSequence += 1;
    return `${prefix}${Date.now()}-${this.fileSequence}`;
  }

  async produceSettlementFile(businessDate: string, fileId = this.nextFileId('S')): Promise<string> {
    const charges = this.options.book.chargedReferences().filter((c) => !this.settledReferences.has(c.referenceCode));
    const name = batchFileName('settlement', fileId);
    await this.writeInbox(name, formatSettlementFile(this.headerFor(fileId, businessDate), charges));
    for (const c of charges) this.settledReferences.add(c.referenceCode);
    return name;
  }

  async produceRechargeFile(events: readonly RechargeEvent[], fileId = this.nextFileId('R')): Promise<string> {
    const details = events.map((e) => ({ eventId: e.eventId, msisdn: e.msisdn, amountFen: e.amountFen, rechargedAt: shanghaiTimestamp(new Date(e.rechargedAt)) }));
    const name = batchFileName('recharge', fileId);
    await this.writeInbox(name, formatRechargeFile(this.headerFor(fileId, shanghaiDate(new Date())), details));
    return name;
  }
}

/** Reads up to the first batch so the header is known before the details are consumed. */
async function headerFirst<D>(reader: { header(): BatchFileHeader | undefined; batches(): AsyncGenerator<D[]> }): Promise<{ header: BatchFileHeader; details: AsyncIterable<D> }> {
  const batches = reader.batches();
  const first = await batches.next();
  const header = reader.header();
  if (!header) throw new Error('the request file has no header');
  async function* details(): AsyncGenerator<D> {
    if (!first.done) yield* first.value;
    for await (const batch of batches) yield* batch;
  }
  return { header, details: details() };
}

/** The writer yields the trailer as its own last chunk; this drops it. */
async function* withoutTrailer(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const chunk of chunks) if (!chunk.startsWith('T|')) yield chunk;
}

// ---- the server ----

function authenticate(ctx: AuthContext, options: BillingSftpSimulatorOptions): void {
  const allowed = ctx.method === 'password' && sameSecret(ctx.username, options.username) && sameSecret(ctx.password, options.password);
  if (allowed) ctx.accept();
  else ctx.reject(['password']);
}

function serveConnection(connection: Connection, cut: () => void, options: BillingSftpSimulatorOptions, carrier: CarrierBatch): void {
  // A client that vanishes mid-transfer is routine here, never a crash.
  connection.on('error', () => undefined);
  connection.on('authentication', (ctx) => authenticate(ctx, options));
  connection.on('ready', () => {
    connection.on('session', (acceptSession) => {
      const session = acceptSession();
      session.on('sftp', (acceptSftp) => {
        const sftp = acceptSftp();
        sftp.on('error', () => undefined);
        new SftpSession(sftp, options.rootDir, carrier, cut);
      });
    });
  });
}

export async function startBillingSftpSimulator(options: BillingSftpSimulatorOptions): Promise<BillingSftpSimulator> {
  for (const dir of [INBOX_DIR, path.join(INBOX_DIR, PROCESSED_DIR), OUTBOX_DIR, path.join(OUTBOX_DIR, PROCESSED_DIR), path.join(OUTBOX_DIR, REJECTED_DIR)]) {
    await fs.mkdir(path.join(options.rootDir, dir), { recursive: true });
  }
  const carrier = new CarrierBatch(options);
  // Requests that arrived before a restart (the directory persists in the sandbox) are answered now.
  for (const name of await fs.readdir(path.join(options.rootDir, OUTBOX_DIR))) carrier.renamed('', `/${OUTBOX_DIR}/${name}`);
  const sockets = new Set<net.Socket>();
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const ssh = new ssh2.Server({ hostKeys: [hostKey.private] }, (connection: Connection, info: ClientInfo) => {
    const socket = [...sockets].find((s) => s.remotePort === info.port);
    serveConnection(connection, () => {
      carrier.log({ op: 'CUT', path: '' });
      socket?.destroy();
    }, options, carrier);
  });
  // We own the TCP sockets (injected into the SSH server) so a fault can cut one.
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    ssh.injectSocket(socket);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(options.port ?? 0, host, () => resolve()));
  const port = (tcp.address() as net.AddressInfo).port;
  const credentials = `${encodeURIComponent(options.username)}:${encodeURIComponent(options.password)}`;
  return {
    url: `sftp://${credentials}@${host}:${port}/`,
    port,
    rootDir: options.rootDir,
    faults: carrier,
    operations: carrier.operations,
    rejectedRequests: carrier.rejectedRequests,
    errors: carrier.errors,
    settled: () => carrier.settled(),
    produceSettlementFile: (businessDate, fileId) => carrier.produceSettlementFile(businessDate, fileId),
    produceRechargeFile: (events, fileId) => carrier.produceRechargeFile(events, fileId),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await carrier.settled();
    },
  };
}
