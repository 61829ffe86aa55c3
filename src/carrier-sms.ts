/**
 * Connects the SMS gateway: the carrier's Parlay X endpoint when SMS_URL is set; otherwise
 * (sandbox) the built-in simulator, whose handsets' inboxes the sandbox shows, so a demo can
 * read the codes borrowers receive.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createSmsSoapClient, SMS_SOAP_TIMEOUT_MS } from '../adapters/sms/client.js';
import { smsSandboxRoutes } from '../adapters/sms/sandbox.routes.js';
import { startSmsSimulator } from '../adapters/sms/simulator.js';
import type { AppDeps } from './api/app.js';
import type { Config } from './config.js';
import type { SmsPort } from './sms/sms.port.js';

/** The sender signature the carrier shows on the handset (短信签名). */
export const SMS_SENDER_NAME = '农信通';

export interface SmsConnection {
  port: SmsPort;
  describe: string;
  sandboxRoutes: ((deps: AppDeps) => FastifyPluginAsyncTypebox)[];
  close(): Promise<void>;
}

export async function connectSms(config: Config): Promise<SmsConnection> {
  const endpoint = config.endpoints.sms;
  if (endpoint.kind === 'remote') {
    const port = await createSmsSoapClient({ url: endpoint.url.toString(), timeoutMs: SMS_SOAP_TIMEOUT_MS, senderName: SMS_SENDER_NAME });
    return { port, describe: endpoint.url.origin, sandboxRoutes: [], close: async () => port.close() };
  }
  const simulator = await startSmsSimulator({ host: '127.0.0.1', port: 0 });
  const port = await createSmsSoapClient({ url: simulator.url, timeoutMs: SMS_SOAP_TIMEOUT_MS, senderName: SMS_SENDER_NAME });
  return {
    port,
    describe: `built-in simulator at ${simulator.url}`,
    sandboxRoutes: [smsSandboxRoutes(simulator)],
    close: async () => {
      port.close();
      await simulator.close();
    },
  };
}
