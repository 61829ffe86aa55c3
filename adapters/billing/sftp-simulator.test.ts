/**
 * The carrier's batch SFTP simulator over the real wire: our BillingSftpClient
 * (ssh2-sftp-client) against the ssh2 Server on a random port, backed by a temp directory.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchFileRejected, type BatchFileKind, type DeductionRequestDetail, type DetailByKind } from './batch-file-format.js';
import { readBatchFile } from './batch-file-reader.js';
import { BillingSftpClient, BillingSftpError } from './sftp-client.js';
import { startBillingSftpSimulator, type BillingSftpSimulator } from './sftp-simulator.js';
import { SubscriberBook } from './subscriber-book.js';

const RICH = '13800000001';
const POOR = '13800000002';
const POSTPAID = '13800000003';
const SUSPENDED = '13800000004';
const UNKNOWN = '13700000000';
const TIMEOUTS = { connectMs: 5_000, operationMs: 5_000, transferIdleMs: 5_000 };

function newBook(): SubscriberBook {
  const book = new SubscriberBook(100);
  book.set({ msisdn: RICH, plan: 'prepaid', status: 'active', balanceFen: 1_000_000, billFen: 0 });
  book.set({ msisdn: POOR, plan: 'prepaid', status: 'active', balanceFen: 300, billFen: 0 });
  book.set({ msisdn: POSTPAID, plan: 'postpaid', status: 'active', balanceFen: 0, billFen: 0 });
  book.set({ msisdn: SUSPENDED, plan: 'prepaid', status: 'suspended', balanceFen: 1_000_000, billFen: 0 });
  return book;
}

const request = (referenceCode: string, msisdn: string, amountFen: number): DeductionRequestDetail =>
  ({ referenceCode, msisdn, amountFen, loanReference: '1-1', dueDate: '2026-01-15' });

async function readRemote<K extends BatchFileKind>(client: BillingSftpClient, name: string, kind: K): Promise<DetailByKind[K][]> {
  const details: DetailByKind[K][] = [];
  await readBatchFile(await client.download(name), kind, (batch) => void details.push(...batch));
  return details;
}

async function send(client: BillingSftpClient, fileId: string, details: DeductionRequestDetail[]) {
  return client.sendDeductionRequestFile({ fileId, businessDate: '2026-01-15', createdAt: new Date('2026-01-15T06:00:00+08:00') }, details);
}

describe('billing SFTP simulator', () => {
  let root: string;
  let book: SubscriberBook;
  let sim: BillingSftpSimulator;
  let client: BillingSftpClient;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'billing-sftp-'));
    book = newBook();
    sim = await startBillingSftpSimulator({ book, rootDir: root, port: 0, username: 'lender', password: 'p@ss:word/1' });
    client = new BillingSftpClient(sim.url, TIMEOUTS);
  });

  afterAll(async () => {
    await sim.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('receives an upload under <name>.part and renames it only when complete', async () => {
    const sent = await send(client, 'UP1', [request('UP1R1', RICH, 100)]);
    await sim.settled();
    const ops = sim.operations.filter((o) => o.path.includes('DEDREQ_UP1'));
    expect(ops.slice(0, 2)).toEqual([
      { op: 'OPEN', path: '/outbox/DEDREQ_UP1.txt.part', mode: 'w' },
      { op: 'RENAME', path: '/outbox/DEDREQ_UP1.txt.part', to: '/outbox/DEDREQ_UP1.txt' },
    ]);
    expect(ops.some((o) => o.op === 'OPEN' && o.path === '/outbox/DEDREQ_UP1.txt')).toBe(false);
    const delivered = readFileSync(path.join(root, 'outbox', 'processed', 'DEDREQ_UP1.txt'));
    expect(createHash('sha256').update(delivered).digest('hex')).toBe(sent.sha256);
    expect(sent).toMatchObject({ fileName: 'DEDREQ_UP1.txt', recordCount: 1, amountTotalFen: 100, bytes: delivered.length });
  });

  it('answers a request file with one result per detail', async () => {
    sim.faults.failReference('RES-E');
    await send(client, 'RES', [
      request('RES-OK', RICH, 5_000), request('RES-LOW', POOR, 5_000), request('RES-POST', POSTPAID, 7_000),
      request('RES-SUSP', SUSPENDED, 100), request('RES-UNK', UNKNOWN, 100), request('RES-E', RICH, 100),
    ]);
    await sim.settled();
    const results = await readRemote(client, 'DEDRSP_RES.txt', 'deduction_response');
    expect(results.map((r) => [r.referenceCode, r.resultCode, r.requestedFen, r.chargedFen])).toEqual([
      ['RES-OK', 'OK', 5_000, 5_000], ['RES-LOW', 'INSUFFICIENT', 5_000, 0], ['RES-POST', 'OK', 7_000, 7_000],
      ['RES-SUSP', 'SUSPENDED', 100, 0], ['RES-UNK', 'UNKNOWN_SUBSCRIBER', 100, 0], ['RES-E', 'ERROR', 100, 0],
    ]);
    expect(book.get(POOR)!.balanceFen).toBe(300);
    expect(book.get(POSTPAID)!.billFen).toBe(7_000);
    expect(existsSync(path.join(root, 'outbox', 'DEDREQ_RES.txt'))).toBe(false);
  });

  it('charges a reference once, whether it came in real time or in a file', async () => {
    const before = book.get(RICH)!.balanceFen;
    expect(book.charge(RICH, 2_500, 'BOTH-1')).toEqual({ kind: 'charged', amountFen: 2_500 });
    await send(client, 'BOTH', [request('BOTH-1', RICH, 2_500)]);
    await sim.settled();
    expect((await readRemote(client, 'DEDRSP_BOTH.txt', 'deduction_response'))[0]).toMatchObject({ resultCode: 'OK', chargedFen: 2_500 });
    expect(book.get(RICH)!.balanceFen).toBe(before - 2_500);
  });

  it('refuses a bad request file whole and charges nobody', async () => {
    const before = book.get(RICH)!.balanceFen;
    const bad = 'H|DEDREQ|BAD|20260115|20260115060000|LENDER|01\nD|BAD-1|13800000001|100|1-1|20260115\nT|2|100\n';
    await client.upload('DEDREQ_BAD.txt', [bad]);
    await sim.settled();
    expect(sim.rejectedRequests).toEqual([{ fileName: 'DEDREQ_BAD.txt', reason: expect.stringContaining('BATCH_COUNT_MISMATCH') }]);
    expect(book.get(RICH)!.balanceFen).toBe(before);
    expect(existsSync(path.join(root, 'inbox', 'DEDRSP_BAD.txt'))).toBe(false);
    expect(existsSync(path.join(root, 'outbox', 'rejected', 'DEDREQ_BAD.txt'))).toBe(true);
  });

  it('leaves only a .part when the connection is cut during an upload, and a retry delivers once', async () => {
    const details = Array.from({ length: 200 }, (_, i) => request(`CUT-${i}`, RICH, 10));
    sim.faults.cutNextUploadAfter(1_000);
    const failed = await send(client, 'CUT', details).then(() => undefined, (error: unknown) => error);
    expect(failed).toBeInstanceOf(BillingSftpError);
    expect(readdirSync(path.join(root, 'outbox')).filter((f) => f.includes('CUT'))).toEqual(['DEDREQ_CUT.txt.part']);
    await sim.settled();
    expect(existsSync(path.join(root, 'inbox', 'DEDRSP_CUT.txt'))).toBe(false);

    const before = book.get(RICH)!.balanceFen;
    const sent = await send(client, 'CUT', details);
    await sim.settled();
    expect(sent.recordCount).toBe(200);
    expect(readdirSync(path.join(root, 'outbox')).filter((f) => f.includes('CUT'))).toEqual([]);
    expect(await readRemote(client, 'DEDRSP_CUT.txt', 'deduction_response')).toHaveLength(200);
    expect(book.get(RICH)!.balanceFen).toBe(before - 2_000);
  });

  it('fails a download cut off part-way instead of ending it early, and the retry gets it whole', async () => {
    await send(client, 'DL', Array.from({ length: 100 }, (_, i) => request(`DL-${i}`, RICH, 1)));
    await sim.settled();
    sim.faults.cutNextDownloadAfter(500);
    await expect(text(await client.download('DEDRSP_DL.txt'))).rejects.toThrow();
    const whole = await text(await client.download('DEDRSP_DL.txt'));
    expect(whole).toBe(readFileSync(path.join(root, 'inbox', 'DEDRSP_DL.txt'), 'utf8'));
    expect(whole.endsWith('T|100|100\n')).toBe(true);
  });

  it('writes a truncated response when asked to, which the reader refuses', async () => {
    sim.faults.truncateNextResponse();
    await send(client, 'TRUNC', [request('TRUNC-1', RICH, 1)]);
    await sim.settled();
    const error = await readRemote(client, 'DEDRSP_TRUNC.txt', 'deduction_response').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatchFileRejected);
    expect((error as BatchFileRejected).code).toBe('BATCH_TRUNCATED');
  });

  it('settles each charge once', async () => {
    const first = await sim.produceSettlementFile('2026-01-31', 'S1');
    const settled = await readRemote(client, first, 'settlement');
    const charged = book.chargedReferences();
    expect(settled.map((s) => s.referenceCode).sort()).toEqual(charged.map((c) => c.referenceCode).sort());
    expect(settled.find((s) => s.referenceCode === 'RES-POST')).toMatchObject({ msisdn: POSTPAID, amountFen: 7_000 });
    const second = await sim.produceSettlementFile('2026-02-28', 'S2');
    expect(await readRemote(client, second, 'settlement')).toEqual([]);
  });

  it('writes a recharge feed of the events given', async () => {
    const events = [book.recharge(POOR, 1_000, new Date('2026-01-15T02:30:00Z')), book.recharge(RICH, 50, new Date('2026-01-15T03:00:00Z'))];
    const name = await sim.produceRechargeFile(events, 'R1');
    expect(name).toBe('RECHG_R1.txt');
    expect(await readRemote(client, name, 'recharge')).toEqual([
      { lineNo: 2, eventId: events[0]!.eventId, msisdn: POOR, amountFen: 1_000, rechargedAt: '2026-01-15T10:30:00+08:00' },
      { lineNo: 3, eventId: events[1]!.eventId, msisdn: RICH, amountFen: 50, rechargedAt: '2026-01-15T11:00:00+08:00' },
    ]);
    expect(sim.errors).toEqual([]);
  });
});

describe('billing SFTP simulator restarted on its directory', () => {
  it('answers a request that arrived before the restart', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'billing-sftp-'));
    const book = newBook();
    const first = await startBillingSftpSimulator({ book, rootDir: root, username: 'u', password: 'p' });
    await first.close();
    writeFileSync(path.join(root, 'outbox', 'DEDREQ_EARLY.txt'), 'H|DEDREQ|EARLY|20260115|20260115060000|LENDER|01\nD|EARLY-1|13800000001|100|1-1|20260115\nT|1|100\n');
    const second = await startBillingSftpSimulator({ book, rootDir: root, username: 'u', password: 'p' });
    try {
      await second.settled();
      expect(readFileSync(path.join(root, 'inbox', 'DEDRSP_EARLY.txt'), 'utf8')).toContain('D|EARLY-1|13800000001|100|100|OK\n');
    } finally {
      await second.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('billing SFTP simulator with partial charges', () => {
  it('charges what prepaid credit allows above the reserve', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'billing-sftp-'));
    const book = newBook();
    const sim = await startBillingSftpSimulator({ book, rootDir: root, username: 'u', password: 'p', partialCharges: true, reserveFen: 100 });
    try {
      const client = new BillingSftpClient(sim.url, TIMEOUTS);
      await send(client, 'PART', [request('PART-1', POOR, 500), request('PART-2', RICH, 500)]);
      await sim.settled();
      const results = await readRemote(client, 'DEDRSP_PART.txt', 'deduction_response');
      expect(results.map((r) => [r.resultCode, r.chargedFen])).toEqual([['PARTIAL', 200], ['OK', 500]]);
      expect(book.get(POOR)!.balanceFen).toBe(100);
    } finally {
      await sim.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
