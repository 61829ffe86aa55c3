/**
 * Connects the billing port: the carrier's SOAP endpoint when BILLING_SOAP_URL is set,
 * otherwise (sandbox) the built-in billing simulator, whose recharges are pushed, signed,
 * to this process's own recharge endpoint as the carrier would.
 */
import { createBillingSoapClient, BILLING_SOAP_TIMEOUT_MS } from '../adapters/billing/soap-client.js';
import { startBillingSoapSimulator } from '../adapters/billing/soap-simulator.js';
import { startRechargeNotifier } from '../adapters/billing/recharge-notifier.js';
import { SubscriberBook } from '../adapters/billing/subscriber-book.js';
import type { BillingPort } from './billing/billing.port.js';
import type { Config } from './config.js';

export interface BillingConnection {
  port: BillingPort;
  /** Where the SOAP calls go, for the start-up banner. */
  describe: string;
  /** Starts pushing simulated recharges once the API listens (sandbox only). */
  startNotifier(apiAddress: string): void;
  close(): Promise<void>;
}

export async function connectBilling(config: Config): Promise<BillingConnection> {
  const endpoint = config.endpoints.billingSoap;
  if (endpoint.kind === 'remote') {
    const client = await createBillingSoapClient({ url: endpoint.url.toString(), timeoutMs: BILLING_SOAP_TIMEOUT_MS });
    return { port: client, describe: endpoint.url.origin, startNotifier: () => undefined, close: async () => client.close() };
  }
  const book = new SubscriberBook();
  const simulator = await startBillingSoapSimulator({ book, host: '127.0.0.1', port: 0 });
  const client = await createBillingSoapClient({ url: simulator.url, timeoutMs: BILLING_SOAP_TIMEOUT_MS });
  let notifier: { close(): Promise<void> } | undefined;
  return {
    port: client,
    describe: `built-in simulator at ${simulator.url}`,
    startNotifier: (apiAddress) => {
      if (!config.billing.webhookSecret) return;
      notifier = startRechargeNotifier({ book, targetUrl: `${apiAddress}/v1/carrier/billing/recharges`, secret: config.billing.webhookSecret });
    },
    close: async () => {
      await notifier?.close();
      client.close();
      await simulator.close();
    },
  };
}
