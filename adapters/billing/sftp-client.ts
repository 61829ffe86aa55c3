/**
 * Our side of the carrier's batch SFTP server (ssh2-sftp-client), configured from
 * BILLING_SFTP_URL = sftp://user:password@host:port/base[?hostKeySha256=<hex>].
 *
 * Layout under `base` (FORMAT.md): `outbox/` holds what we send (the carrier picks up
 * complete files there), `inbox/` what the carrier sends us, `inbox/processed/` what we
 * have ingested. An upload goes to `<name>.part` and is renamed to `<name>` only once the
 * remote size equals what we sent, so the carrier never reads half a file; an interrupted
 * upload leaves only the `.part`, which the next upload overwrites.
 *
 * Each call opens its own connection (a batch cycle makes a handful of calls a day) with
 * explicit timeouts: connect, each small operation, and transfer idleness (no byte moved).
 * A download checks that it received exactly the size the server reported.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { DeductionRequestLine, DeductionRequestOutbox, SentBatchFile } from '../../src/billing/deduction-request-file.js';
import { batchFileName, formatDeductionRequestFile, shanghaiTimestamp, type WrittenTotals } from './batch-file-format.js';

export const SFTP_CONNECT_TIMEOUT_MS = 10_000;
export const SFTP_OPERATION_TIMEOUT_MS = 30_000;
export const SFTP_TRANSFER_IDLE_TIMEOUT_MS = 30_000;
export const SFTP_KEEPALIVE_INTERVAL_MS = 5_000;
export const SFTP_KEEPALIVE_COUNT_MAX = 3;
export const SFTP_DEFAULT_PORT = 22;

export const OUTBOX_DIR = 'outbox';
export const INBOX_DIR = 'inbox';
export const PROCESSED_DIR = 'processed';
export const PART_SUFFIX = '.part';
/** The sender code in the headers of the files we write. */
export const LENDER_SENDER = 'LENDER';

const REMOTE_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

export interface BillingSftpConfig {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Absolute directory on the server holding outbox/ and inbox/. */
  baseDir: string;
  /** Hex SHA-256 of the server's host key; when set, any other key is refused. */
  hostKeySha256?: string;
}

export interface BillingSftpTimeouts { connectMs: number; operationMs: number; transferIdleMs: number }

export type BillingSftpErrorCode =
  | 'BILLING_SFTP_CONFIG' | 'BILLING_SFTP_CONNECT' | 'BILLING_SFTP_TIMEOUT' | 'BILLING_SFTP_FAILED'
  | 'BILLING_SFTP_INCOMPLETE' | 'BILLING_SFTP_TARGET_EXISTS' | 'BILLING_SFTP_BAD_NAME';

export class BillingSftpError extends Error {
  constructor(readonly code: BillingSftpErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'BillingSftpError';
  }
}

export interface UploadedFile { name: string; bytes: number; sha256: string }
export interface InboxFile { name: string; bytes: number; modifiedAt: Date }

export function parseBillingSftpUrl(text: string): BillingSftpConfig {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BillingSftpError('BILLING_SFTP_CONFIG', 'BILLING_SFTP_URL is not a URL');
  }
  if (url.protocol !== 'sftp:' || !url.hostname || !url.username) {
    throw new BillingSftpError('BILLING_SFTP_CONFIG', 'BILLING_SFTP_URL must look like sftp://user:password@host:port/base');
  }
  const hostKeySha256 = url.searchParams.get('hostKeySha256') ?? undefined;
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : SFTP_DEFAULT_PORT,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    baseDir: path.posix.normalize(decodeURIComponent(url.pathname) || '/'),
    ...(hostKeySha256 ? { hostKeySha256: hostKeySha256.toLowerCase() } : {}),
  };
}

function assertRemoteName(name: string): void {
  if (!REMOTE_NAME_PATTERN.test(name) || name.endsWith(PART_SUFFIX)) {
    throw new BillingSftpError('BILLING_SFTP_BAD_NAME', `${JSON.stringify(name)} is not a plain batch file name`);
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Counts and hashes the bytes of one transfer and fails it when no byte has moved for
 * `idleMs` while the next stage was ready for more (a slow consumer is not a stalled
 * transfer). With `expectedBytes`, ending short or long is an error.
 */
class TransferTap extends Transform {
  private readonly hash = createHash('sha256');
  private timer: NodeJS.Timeout | undefined;
  bytes = 0;

  constructor(private readonly idleMs: number, private readonly onIdle: () => void, private readonly expectedBytes?: number) {
    super();
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.idle(), this.idleMs);
  }

  private idle(): void {
    if (this.readableLength >= this.readableHighWaterMark) return this.arm();
    this.destroy(new BillingSftpError('BILLING_SFTP_TIMEOUT', `no data moved for ${this.idleMs} ms`));
    this.onIdle();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.arm();
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.timer);
    if (this.expectedBytes !== undefined && this.bytes !== this.expectedBytes) {
      return callback(new BillingSftpError('BILLING_SFTP_INCOMPLETE', `received ${this.bytes} of ${this.expectedBytes} bytes`));
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

type UploadContent = Readable | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export class BillingSftpClient implements DeductionRequestOutbox {
  readonly config: BillingSftpConfig;
  private readonly timeouts: BillingSftpTimeouts;

  constructor(config: BillingSftpConfig | string, timeouts: Partial<BillingSftpTimeouts> = {}) {
    this.config = typeof config === 'string' ? parseBillingSftpUrl(config) : config;
    this.timeouts = {
      connectMs: timeouts.connectMs ?? SFTP_CONNECT_TIMEOUT_MS,
      operationMs: timeouts.operationMs ?? SFTP_OPERATION_TIMEOUT_MS,
      transferIdleMs: timeouts.transferIdleMs ?? SFTP_TRANSFER_IDLE_TIMEOUT_MS,
    };
  }

  private remote(...parts: string[]): string {
    return path.posix.join(this.config.baseDir, ...parts);
  }

  /** Rejects with BILLING_SFTP_TIMEOUT after `ms`, ending the connection; wraps other failures. */
  private async timed<T>(client: SftpClient, what: string, operation: Promise<T>, ms = this.timeouts.operationMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void client.end().catch(() => undefined);
        reject(new BillingSftpError('BILLING_SFTP_TIMEOUT', `${what} took longer than ${ms} ms`));
      }, ms);
    });
    try {
      return await Promise.race([operation, timeout]);
    } catch (error) {
      if (error instanceof BillingSftpError) throw error;
      throw new BillingSftpError('BILLING_SFTP_FAILED', `${what} failed: ${message(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<SftpClient> {
    const client = new SftpClient('billing-sftp', { error: () => undefined, end: () => undefined, close: () => undefined });
    const { host, port, username, password, hostKeySha256 } = this.config;
    const connecting = client.connect({
      host, port, username, password,
      readyTimeout: this.timeouts.connectMs,
      keepaliveInterval: SFTP_KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: SFTP_KEEPALIVE_COUNT_MAX,
      ...(hostKeySha256 ? { hostHash: 'sha256', hostVerifier: (hash: string) => hash === hostKeySha256 } : {}),
    });
    try {
      await this.timed(client, `connecting to ${host}:${port}`, connecting, this.timeouts.connectMs + this.timeouts.operationMs);
      return client;
    } catch (error) {
      void client.end().catch(() => undefined);
      throw new BillingSftpError('BILLING_SFTP_CONNECT', `cannot open an SFTP session on ${host}:${port}: ${message(error)}`, { cause: error });
    }
  }

  private async withSession<T>(work: (client: SftpClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Uploads to outbox/<name>.part, checks the remote size, then renames it to outbox/<name>. */
  async upload(name: string, content: UploadContent): Promise<UploadedFile> {
    assertRemoteName(name);
    return this.withSession(async (client) => {
      const finalPath = this.remote(OUTBOX_DIR, name);
      const partPath = finalPath + PART_SUFFIX;
      if (await this.timed(client, 'exists', client.exists(finalPath))) {
        throw new BillingSftpError('BILLING_SFTP_TARGET_EXISTS', `${name} is already in the outbox`);
      }
      const tap = new TransferTap(this.timeouts.transferIdleMs, () => void client.end().catch(() => undefined));
      pipeline(content instanceof Readable ? content : Readable.from(content), tap, () => undefined);
      try {
        await client.put(tap, partPath);
      } catch (error) {
        tap.destroy();
        const cause = tap.errored ?? error;
        throw cause instanceof BillingSftpError ? cause : new BillingSftpError('BILLING_SFTP_FAILED', `upload of ${name} failed: ${message(error)}`, { cause });
      }
      const { size } = await this.timed(client, 'stat', client.stat(partPath));
      if (size !== tap.bytes) throw new BillingSftpError('BILLING_SFTP_INCOMPLETE', `${name}${PART_SUFFIX} has ${size} of ${tap.bytes} bytes`);
      await this.timed(client, 'rename', client.rename(partPath, finalPath));
      return { name, bytes: tap.bytes, sha256: tap.sha256() };
    });
  }

  /** Complete files waiting in inbox/ (no directories, no .part), by name. */
  async listInbox(): Promise<InboxFile[]> {
    return this.withSession(async (client) => {
      const entries = await this.timed(client, 'list', client.list(this.remote(INBOX_DIR)));
      return entries
        .filter((e) => e.type === '-' && !e.name.endsWith(PART_SUFFIX) && REMOTE_NAME_PATTERN.test(e.name))
        .map((e) => ({ name: e.name, bytes: e.size, modifiedAt: new Date(e.modifyTime) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /**
   * Streams inbox/<name>. The stream errors (BILLING_SFTP_INCOMPLETE, BILLING_SFTP_TIMEOUT or
   * the connection's error) instead of ending when the file did not arrive whole.
   */
  async download(name: string): Promise<Readable> {
    assertRemoteName(name);
    const client = await this.connect();
    try {
      const remotePath = this.remote(INBOX_DIR, name);
      const { size } = await this.timed(client, 'stat', client.stat(remotePath));
      const tap = new TransferTap(this.timeouts.transferIdleMs, () => void client.end().catch(() => undefined), size);
      const remote = client.createReadStream(remotePath);
      // Registered before pipeline's own listener: the consumer sees a typed error, not ssh2's.
      remote.once('error', (error: Error) => tap.destroy(new BillingSftpError('BILLING_SFTP_FAILED', `download of ${name} broke off after ${tap.bytes} bytes: ${message(error)}`, { cause: error })));
      pipeline(remote, tap, () => void client.end().catch(() => undefined));
      return tap;
    } catch (error) {
      void client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Moves inbox/<name> to inbox/processed/<name> (a timestamp suffix when that name is taken). */
  async archive(name: string, now: Date = new Date()): Promise<string> {
    assertRemoteName(name);
    return this.withSession(async (client) => {
      let target = this.remote(INBOX_DIR, PROCESSED_DIR, name);
      if (await this.timed(client, 'exists', client.exists(target))) target = `${target}.${now.getTime()}`;
      await this.timed(client, 'rename', client.rename(this.remote(INBOX_DIR, name), target));
      return target;
    });
  }

  /** Formats the daily deduction request file (DEDREQ_<fileId>.txt) while uploading it. */
  async sendDeductionRequestFile(
    header: { fileId: string; businessDate: string; createdAt: Date },
    details: AsyncIterable<DeductionRequestLine> | Iterable<DeductionRequestLine>,
  ): Promise<SentBatchFile> {
    const totals: WrittenTotals = { recordCount: 0, amountTotalFen: 0 };
    const fileName = batchFileName('deduction_request', header.fileId);
    const chunks = formatDeductionRequestFile(
      { fileId: header.fileId, businessDate: header.businessDate, createdAt: shanghaiTimestamp(header.createdAt), sender: LENDER_SENDER },
      details, totals);
    const uploaded = await this.upload(fileName, chunks);
    return { fileName, sha256: uploaded.sha256, bytes: uploaded.bytes, recordCount: totals.recordCount, amountTotalFen: totals.amountTotalFen };
  }
}
