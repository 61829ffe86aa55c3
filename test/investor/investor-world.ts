/**
 * The smallest world that delivers investor SMS codes: the API, the SMS gateway simulator
 * over its real wire, the outbox relay and the SMS worker (cut down from test/pos/pos-world.ts).
 */
import { createSmsSoapClient } from '../../adapters/sms/client.js';
import { startSmsSimulator, type SmsSimulator } from '../../adapters/sms/simulator.js';
import { OutboxRelay } from '../../src/queue/outbox.js';
import { QUEUE_SMS_OUTBOUND } from '../../src/queue/queues.js';
import { startWorkers } from '../../src/queue/workers.js';
import { smsSendHandler } from '../../src/sms/outbound.js';
import { recordingLogger, waitFor } from '../queue/support.js';
import { createApiApp, type ApiTestContext } from '../support/api-app.js';

export interface InvestorWorld extends ApiTestContext {
  sms: SmsSimulator;
  /** The code the last SMS to `msisdn` carried, once one newer than `seen` messages has arrived. */
  codeFor(msisdn: string, seen?: number): Promise<string>;
}

export async function createInvestorWorld(): Promise<InvestorWorld> {
  const ctx = await createApiApp();
  const sms = await startSmsSimulator();
  const smsClient = await createSmsSoapClient({ url: sms.url, timeoutMs: 2_000, senderName: '农信通' });
  const logger = recordingLogger();
  const workers = startWorkers({ connection: ctx.redis, prefix: ctx.prefix, logger, handlers: {
    [QUEUE_SMS_OUTBOUND]: smsSendHandler({ db: ctx.db, sms: smsClient }),
  } });
  const relay = new OutboxRelay({ db: ctx.db, queues: ctx.queues, logger });
  relay.start(20);
  return {
    ...ctx, sms,
    codeFor: async (msisdn, seen = 0) => waitFor(`an SMS code to ${msisdn.slice(0, 3)}`, async () => {
      const inbox = sms.inbox(msisdn);
      return inbox.length > seen ? inbox.at(-1)?.text.match(/验证码(\d{6})/)?.[1] : undefined;
    }),
    close: async () => {
      await relay.stop();
      await workers.close();
      smsClient.close();
      await sms.close();
      await ctx.close();
    },
  };
}
