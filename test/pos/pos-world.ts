/**
 * The store counter's world for tests: the API listening on a port, POS routes, the SMS
 * gateway and custody bank simulators over their real wires, the outbox relay and workers
 * that send SMS and bank transfers, a store with terminals, a clerk and a manager.
 */
import { createTerminalClient, type TerminalClient } from '../../adapters/pos/terminal-client.js';
import { createBankHttpClient } from '../../adapters/bank/client.js';
import { startBankSimulator, type BankSimulator } from '../../adapters/bank/simulator.js';
import { createSmsSoapClient } from '../../adapters/sms/client.js';
import { startSmsSimulator, type SmsSimulator } from '../../adapters/sms/simulator.js';
import { bankTransferHandler } from '../../src/bank/transfer-jobs.js';
import { disbursementTransferHooks } from '../../src/pos/disbursement.js';
import { OutboxRelay } from '../../src/queue/outbox.js';
import { QUEUE_BANK_TRANSFERS, QUEUE_SMS_OUTBOUND } from '../../src/queue/queues.js';
import { startWorkers, type Workers } from '../../src/queue/workers.js';
import { smsSendHandler } from '../../src/sms/outbound.js';
import { recordingLogger, waitFor } from '../queue/support.js';
import { call, createApiApp, type ApiTestContext } from '../support/api-app.js';
import { freshIdNumber, freshMobile } from '../support/identities.js';

export const BANK_SECRET = 'test-bank-request-secret';
export const STAFF_PIN = '246810';

export interface PosWorld extends ApiTestContext {
  baseUrl: string;
  sms: SmsSimulator;
  bank: BankSimulator;
  /** A new signed-in terminal of a store (created on first use), for clerk or manager. */
  terminal(storeCode: string, role?: 'clerk' | 'manager'): Promise<TerminalClient>;
  /** The code the last SMS to `msisdn` carried, once it has arrived. */
  otpFor(msisdn: string): Promise<string>;
  workers: Workers;
}

let counter = 0;

export async function createPosWorld(): Promise<PosWorld> {
  const ctx = await createApiApp();
  const baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const sms = await startSmsSimulator();
  const smsClient = await createSmsSoapClient({ url: sms.url, timeoutMs: 2_000, senderName: '农信通' });
  const bank = await startBankSimulator({ merchantId: ctx.config.bank.merchantId, secret: BANK_SECRET, callbackSecret: ctx.config.bank.webhookSecret!,
    callbackUrl: `${baseUrl}/v1/bank/transfer-results`, completionDelayMs: 20 });
  const bankClient = createBankHttpClient({ baseUrl: bank.url, merchantId: ctx.config.bank.merchantId, secret: BANK_SECRET, timeoutMs: 2_000 });
  const logger = recordingLogger();
  const workers = startWorkers({ connection: ctx.redis, prefix: ctx.prefix, logger, handlers: {
    [QUEUE_SMS_OUTBOUND]: smsSendHandler({ db: ctx.db, sms: smsClient }),
    [QUEUE_BANK_TRANSFERS]: bankTransferHandler({ db: ctx.db, bank: bankClient, ...disbursementTransferHooks(ctx.db, () => new Date()) }),
  } });
  const relay = new OutboxRelay({ db: ctx.db, queues: ctx.queues, logger });
  relay.start(20);
  const stores = new Set<string>();
  return {
    ...ctx, baseUrl, sms, bank, workers,
    terminal: async (storeCode, role = 'clerk') => {
      if (!stores.has(storeCode)) {
        const created = await call(ctx.app, 'POST', '/v1/ops/stores', { code: storeCode, name: `${storeCode}营业厅`, region: '广东', county: '清远县', villages: ['墩头村'] });
        if (created.status !== 201) throw new Error(`store: ${JSON.stringify(created.body)}`);
        stores.add(storeCode);
      }
      counter += 1;
      const terminal = await call(ctx.app, 'POST', `/v1/ops/stores/${storeCode}/terminals`, { id: `T${counter}-${storeCode}` });
      const staffId = `${role}${counter}`;
      await call(ctx.app, 'POST', `/v1/ops/stores/${storeCode}/staff`, { id: staffId, name: '王店员', role, pin: STAFF_PIN });
      const client = createTerminalClient({ baseUrl, terminalId: terminal.body.terminal.id, secret: terminal.body.secret, retries: 0 });
      await client.signIn(staffId, STAFF_PIN);
      return client;
    },
    otpFor: async (msisdn) => waitFor(`an SMS code to ${msisdn.slice(0, 3)}`, async () => {
      const last = sms.inbox(msisdn).at(-1);
      return last?.text.match(/验证码(\d{6})/)?.[1];
    }),
    close: async () => {
      await relay.stop();
      await workers.close();
      smsClient.close();
      bankClient.close();
      await sms.close();
      await bank.close();
      await ctx.close();
    },
  };
}

export interface Borrower { name: string; idNumber: string; mobile: string }

export function freshBorrower(): Borrower {
  return { name: '李秀英', idNumber: freshIdNumber(), mobile: freshMobile() };
}

/** An approved loan served by `storeCode`. */
export async function approvedLoan(world: PosWorld, storeCode: string, borrower = freshBorrower(), principalFen = 3_000_000,
  channels: string[] = ['store_cash', 'phone_credit']): Promise<{ loanId: number; borrower: Borrower }> {
  const created = await call(world.app, 'POST', '/v1/ops/loans', { borrowerName: borrower.name, idNumber: borrower.idNumber, mobile: borrower.mobile,
    productCode: 'Z001', principalFen, repaymentChannels: channels });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  await call(world.app, 'POST', `/v1/ops/loans/${created.body.id}/transitions`, { to: 'approved', reason: '风控通过' });
  await world.db.query(`UPDATE loans SET store_code = $2 WHERE id = $1`, [created.body.id, storeCode]);
  return { loanId: created.body.id as number, borrower };
}
