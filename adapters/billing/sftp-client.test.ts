/** BillingSftpClient over the real wire, against the simulator (and a server that never answers). */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingSftpClient, BillingSftpError, parseBillingSftpUrl } from './sftp-client.js';
import { startBillingSftpSimulator, type BillingSftpSimulator } from './sftp-simulator.js';
import { SubscriberBook } from './subscriber-book.js';

const TIMEOUTS = { connectMs: 5_000, operationMs: 5_000, transferIdleMs: 5_000 };

async function errorOf(promise: Promise<unknown>): Promise<BillingSftpError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof BillingSftpError)) throw new Error(`expected a BillingSftpError, got ${String(error)}`);
  return error;
}

describe('parseBillingSftpUrl', () => {
  it('reads user, password, host, port, base directory and a pinned host key', () => {
    expect(parseBillingSftpUrl('sftp://lender:p%40ss%3Aw@sftp.carrier.example:2222/billing/lender?hostKeySha256=ABCD')).toEqual({
      host: 'sftp.carrier.example', port: 2222, username: 'lender', password: 'p@ss:w', baseDir: '/billing/lender', hostKeySha256: 'abcd',
    });
    expect(parseBillingSftpUrl('sftp://u:p@h')).toMatchObject({ port: 22, baseDir: '/' });
  });

  it.each(['http://u:p@h/', 'sftp://h/', 'not a url'])('refuses %s', (url) => {
    expect(() => parseBillingSftpUrl(url)).toThrow(/BILLING_SFTP_CONFIG/);
  });
});

describe('BillingSftpClient', () => {
  let root: string;
  let sim: BillingSftpSimulator;
  let client: BillingSftpClient;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'billing-sftp-client-'));
    sim = await startBillingSftpSimulator({ book: new SubscriberBook(10), rootDir: root, username: 'lender', password: 'secret' });
    client = new BillingSftpClient(sim.url, TIMEOUTS);
  });

  afterAll(async () => {
    await sim.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a wrong password', async () => {
    const wrong = new BillingSftpClient({ ...client.config, password: 'nope' }, TIMEOUTS);
    expect((await errorOf(wrong.listInbox())).code).toBe('BILLING_SFTP_CONNECT');
  });

  it('refuses a server whose host key is not the pinned one', async () => {
    const pinned = new BillingSftpClient({ ...client.config, hostKeySha256: '00'.repeat(32) }, TIMEOUTS);
    expect((await errorOf(pinned.listInbox())).code).toBe('BILLING_SFTP_CONNECT');
  });

  it('gives up on a server that accepts the connection and never speaks', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const stuck = new BillingSftpClient({ ...client.config, port }, { ...TIMEOUTS, connectMs: 300 });
      expect((await errorOf(stuck.listInbox())).code).toBe('BILLING_SFTP_CONNECT');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });

  it('does not overwrite a file the carrier has not taken yet', async () => {
    await client.upload('NOTICE_1.txt', ['first\n']);
    expect((await errorOf(client.upload('NOTICE_1.txt', ['second\n']))).code).toBe('BILLING_SFTP_TARGET_EXISTS');
  });

  it('overwrites the .part an interrupted upload left behind', async () => {
    writeFileSync(path.join(root, 'outbox', 'NOTICE_2.txt.part'), 'half a file that is longer than the real one');
    const uploaded = await client.upload('NOTICE_2.txt', ['whole\n']);
    expect(uploaded.bytes).toBe(6);
    expect(readdirSync(path.join(root, 'outbox')).filter((f) => f.startsWith('NOTICE_2'))).toEqual(['NOTICE_2.txt']);
  });

  it('refuses names that are not plain file names', async () => {
    for (const name of ['../etc/passwd', 'a/b.txt', 'x.txt.part', '']) {
      expect((await errorOf(client.upload(name, ['x']))).code).toBe('BILLING_SFTP_BAD_NAME');
      expect((await errorOf(client.download(name))).code).toBe('BILLING_SFTP_BAD_NAME');
    }
  });

  it('lists complete inbox files only, and archives them into processed/', async () => {
    writeFileSync(path.join(root, 'inbox', 'B.txt'), 'b');
    writeFileSync(path.join(root, 'inbox', 'A.txt'), 'aa');
    writeFileSync(path.join(root, 'inbox', 'C.txt.part'), 'c');
    mkdirSync(path.join(root, 'inbox', 'somedir'));
    const listed = await client.listInbox();
    expect(listed.map((f) => [f.name, f.bytes])).toEqual([['A.txt', 2], ['B.txt', 1]]);

    expect(await client.archive('A.txt')).toBe('/inbox/processed/A.txt');
    writeFileSync(path.join(root, 'inbox', 'A.txt'), 'again');
    expect(await client.archive('A.txt', new Date(1_000))).toBe('/inbox/processed/A.txt.1000');
    expect((await client.listInbox()).map((f) => f.name)).toEqual(['B.txt']);
    expect(readdirSync(path.join(root, 'inbox', 'processed')).sort()).toEqual(['A.txt', 'A.txt.1000']);
  });

  it('fails a download of a file that is not there', async () => {
    expect((await errorOf(client.download('MISSING.txt'))).code).toBe('BILLING_SFTP_FAILED');
  });
});
