/**
 * The batch side of phone-credit deductions over SFTP. After a batch run, the run's
 * attempts go to the carrier in one request file per business date. The carrier's files
 * (responses, monthly settlements, recharge feeds) are collected from our inbox, each
 * ingested all or nothing and then applied in the same transaction:
 * - a response file posts its charges (applyDeductionResponses) and reconciles;
 * - a settlement file moves the receivable to custody cash and reconciles;
 * - a recharge feed gives waiting installments of the subscribers who topped up a new attempt.
 * Every collected file is archived, whatever its outcome; billing_files remembers it.
 */
import type { Readable } from 'node:stream';
import type { CalendarDate } from '../core/calendar-date.js';
import { invariant } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';
import { applyDeductionResponses } from './apply-deduction-results.js';
import { writeDeductionRequestFile, type DeductionRequestFileResult, type DeductionRequestOutbox } from './deduction-request-file.js';
import { BILLING_STAGE_TABLE, ingestBillingFile, type BillingFileReaderPort, type IngestibleBillingFileKind, type IngestResult } from './ingest-batch-file.js';
import { retryWaitingInstallments } from './recharges.js';
import { postSettlement, reconcileResponses, reconcileSettlement } from './reconciliation.js';

/** What the batch cycle needs of the carrier's SFTP server (adapters/billing/sftp-client.ts). */
export interface BillingFileTransport extends DeductionRequestOutbox {
  listInbox(): Promise<{ name: string }[]>;
  download(name: string): Promise<Readable>;
  archive(name: string): Promise<string>;
}

export interface BillingFileDeps {
  db: Database;
  transport: BillingFileTransport;
  reader: BillingFileReaderPort;
  /** Which carrier file a name is, or undefined for a file that is not ours to read. */
  kindOfFile(name: string): IngestibleBillingFileKind | undefined;
  attemptsMax: number;
}

export function requestFileId(businessDate: CalendarDate): string {
  return `D${businessDate.replaceAll('-', '')}`;
}

/** Sends the batch run's attempts of a business date; sending the same date again sends nothing. */
export function sendDeductionRequests(deps: BillingFileDeps, businessDate: CalendarDate, now: Date): Promise<DeductionRequestFileResult> {
  return writeDeductionRequestFile(deps.db, deps.transport, { businessDate, fileId: requestFileId(businessDate), now });
}

async function fileBusinessDate(tx: Queryable, fileDbId: number): Promise<CalendarDate> {
  const [row] = await tx.query<{ business_date: string | null }>(`SELECT business_date FROM billing_files WHERE id = $1`, [fileDbId]);
  invariant(row?.business_date, `billing file ${fileDbId} has a business date`);
  return row.business_date;
}

function applyFile(deps: BillingFileDeps) {
  return async (tx: Queryable, fileDbId: number, kind: IngestibleBillingFileKind): Promise<void> => {
    const businessDate = await fileBusinessDate(tx, fileDbId);
    if (kind === 'deduction_response') {
      await applyDeductionResponses(tx, fileDbId, businessDate, deps.attemptsMax);
      await reconcileResponses(tx, businessDate);
    } else if (kind === 'settlement') {
      await postSettlement(tx, fileDbId, businessDate);
      await reconcileSettlement(tx, businessDate);
    } else {
      // Subscribers whose recharge this feed brought in for the first time.
      await retryWaitingInstallments(tx, `a.msisdn IN (SELECT msisdn FROM ${BILLING_STAGE_TABLE} WHERE is_new)`, [], deps.attemptsMax);
    }
  };
}

export interface CollectedFile { name: string; result: IngestResult }

/** Ingests every carrier file waiting in the inbox, oldest name first, and archives it. */
export async function collectCarrierFiles(deps: BillingFileDeps): Promise<CollectedFile[]> {
  const names = (await deps.transport.listInbox()).map((f) => f.name).sort();
  const collected: CollectedFile[] = [];
  for (const name of names) {
    const kind = deps.kindOfFile(name);
    if (!kind) continue;
    const result = await ingestBillingFile(deps.db, {
      kind, fileName: name, source: await deps.transport.download(name), reader: deps.reader, onApplied: applyFile(deps),
    });
    await deps.transport.archive(name);
    collected.push({ name, result });
  }
  return collected;
}

/** Business dates with batch attempts that have not gone out in a request file yet. */
async function unsentBatchDates(q: Queryable): Promise<CalendarDate[]> {
  const rows = await q.query<{ business_date: string }>(`SELECT DISTINCT r.business_date FROM deduction_runs r
    JOIN deduction_attempts a ON a.run_id = r.id AND a.status = 'requested_in_file'
    WHERE NOT EXISTS (SELECT 1 FROM billing_files f WHERE f.kind = 'deduction_request' AND f.business_date = r.business_date)
    ORDER BY r.business_date`);
  return rows.map((r) => r.business_date);
}

/** One pass of the batch cycle: send what waits to go out, then take in what came back. */
export async function runBillingFileCycle(deps: BillingFileDeps, now: Date): Promise<{ sent: string[]; collected: CollectedFile[] }> {
  const sent: string[] = [];
  for (const date of await unsentBatchDates(deps.db)) sent.push((await sendDeductionRequests(deps, date, now)).fileName);
  return { sent, collected: await collectCarrierFiles(deps) };
}
