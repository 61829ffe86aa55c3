/**
 * Connects billing: the carrier's SOAP endpoint when BILLING_SOAP_URL is set and its SFTP
 * server when BILLING_SFTP_URL is set; otherwise (sandbox) the built-in simulators, sharing
 * one subscriber book, whose recharges are pushed, signed, to this process's own recharge
 * endpoint as the carrier would.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseBatchFileName } from '../adapters/billing/batch-file-format.js';
import { batchFileReaderPort } from '../adapters/billing/batch-file-reader.js';
import { BillingSftpClient } from '../adapters/billing/sftp-client.js';
import { startBillingSftpSimulator, type BillingSftpSimulator } from '../adapters/billing/sftp-simulator.js';
import { billingSandboxRoutes } from '../adapters/billing/sandbox.routes.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from './api/app.js';
import type { BillingFileDeps, BillingFileTransport } from './billing/billing-files.js';
import type { Database } from './db/database.js';
import { createBillingSoapClient, BILLING_SOAP_TIMEOUT_MS } from '../adapters/billing/soap-client.js';
import { startBillingSoapSimulator } from '../adapters/billing/soap-simulator.js';
import { startRechargeNotifier } from '../adapters/billing/recharge-notifier.js';
import { SubscriberBook } from '../adapters/billing/subscriber-book.js';
import type { BillingPort } from './billing/billing.port.js';
import type { Config } from './config.js';

export interface BillingConnection {
  port: BillingPort;
  files: BillingFileDeps;
  /** Where the SOAP calls and the SFTP files go, for the start-up banner. */
  describe: { soap: string; sftp: string };
  /** The simulated carrier's controls, when any billing system is simulated. */
  sandboxRoutes: ((deps: AppDeps) => FastifyPluginAsyncTypebox)[];
  /** Starts pushing simulated recharges once the API listens (sandbox only). */
  startNotifier(apiAddress: string): void;
  close(): Promise<void>;
}

function fileDeps(db: Database, transport: BillingFileTransport, config: Config): BillingFileDeps {
  return {
    db, transport, reader: batchFileReaderPort, attemptsMax: config.billing.attemptsPerInstallmentMax,
    kindOfFile: (name) => {
      const kind = parseBatchFileName(name)?.kind;
      return kind === 'deduction_request' ? undefined : kind;
    },
  };
}

/** Plan and status of a simulated number as the simulated CRM knows it. */
export type SimulatedAccountOf = ConstructorParameters<typeof SubscriberBook>[2];

export async function connectBilling(config: Config, db: Database, accountOf?: SimulatedAccountOf): Promise<BillingConnection> {
  const soap = config.endpoints.billingSoap;
  const sftp = config.endpoints.billingSftp;
  const book = new SubscriberBook(undefined, undefined, accountOf);
  const closers: (() => Promise<void>)[] = [];
  let soapUrl: string;
  if (soap.kind === 'remote') {
    soapUrl = soap.url.toString();
  } else {
    const simulator = await startBillingSoapSimulator({ book, host: '127.0.0.1', port: 0 });
    closers.push(() => simulator.close());
    soapUrl = simulator.url;
  }
  let sftpUrl: string;
  let sftpSimulator: BillingSftpSimulator | undefined;
  if (sftp.kind === 'remote') {
    sftpUrl = sftp.url.toString();
  } else {
    const rootDir = path.resolve(config.dataDir, 'billing-sftp');
    await mkdir(rootDir, { recursive: true });
    const simulator = sftpSimulator = await startBillingSftpSimulator({ book, rootDir, host: '127.0.0.1', port: 0, username: 'lender', password: randomBytes(16).toString('hex'),
      partialCharges: config.billing.partialChargesAllowed, reserveFen: config.billing.prepaidReserveFen });
    closers.push(() => simulator.close());
    sftpUrl = simulator.url;
  }
  const client = await createBillingSoapClient({ url: soapUrl, timeoutMs: BILLING_SOAP_TIMEOUT_MS });
  let notifier: { close(): Promise<void> } | undefined;
  return {
    port: client,
    files: fileDeps(db, new BillingSftpClient(sftpUrl), config),
    sandboxRoutes: soap.kind === 'simulator' || sftpSimulator ? [billingSandboxRoutes(book, sftpSimulator)] : [],
    describe: {
      soap: soap.kind === 'remote' ? soap.url.origin : `built-in simulator at ${soapUrl}`,
      sftp: sftp.kind === 'remote' ? `${sftp.url.protocol}//${sftp.url.host}` : `built-in simulator at sftp://127.0.0.1:${new URL(sftpUrl).port}`,
    },
    startNotifier: (apiAddress) => {
      if (soap.kind === 'remote' || !config.billing.webhookSecret) return;
      notifier = startRechargeNotifier({ book, targetUrl: `${apiAddress}/v1/carrier/billing/recharges`, secret: config.billing.webhookSecret });
    },
    close: async () => {
      await notifier?.close();
      client.close();
      for (const close of closers) await close();
    },
  };
}
