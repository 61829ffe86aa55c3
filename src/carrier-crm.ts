/**
 * Connects the CRM: the carrier's SOAP endpoint when CRM_SOAP_URL is set; otherwise (sandbox)
 * the built-in simulator serving a deterministic synthetic population, whose changes are
 * pushed, signed, to this process's own change-event endpoint as the carrier would.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { startCrmChangeNotifier, type CrmChangeNotifier } from '../adapters/crm/change-notifier.js';
import { createCrmSoapClient } from '../adapters/crm/client.js';
import { PopulationBook, POPULATION_SIZE_DEFAULT } from '../adapters/crm/population.js';
import { crmSandboxRoutes } from '../adapters/crm/sandbox.routes.js';
import { startCrmSimulator } from '../adapters/crm/simulator.js';
import type { AppDeps } from './api/app.js';
import type { Config } from './config.js';
import { shanghaiDate } from './core/calendar-date.js';
import type { SubscriberPlanKind } from './core/subscriber-profile.js';
import type { CrmPort } from './risk/crm.port.js';

/** Seed of the sandbox population: the same subscribers on every start. */
export const SANDBOX_POPULATION_SEED = 20160110;

export interface CrmConnection {
  port: CrmPort;
  /** Plan and status of a simulated number, for the simulated billing system (sandbox only). */
  accountOf?: (msisdn: string) => { plan: SubscriberPlanKind; status: 'active' | 'suspended' } | undefined;
  describe: string;
  sandboxRoutes: ((deps: AppDeps) => FastifyPluginAsyncTypebox)[];
  startNotifier(apiAddress: string): void;
  close(): Promise<void>;
}

export async function connectCrm(config: Config, now: Date): Promise<CrmConnection> {
  const endpoint = config.endpoints.crm;
  if (endpoint.kind === 'remote') {
    const port = await createCrmSoapClient({ url: endpoint.url.toString(), timeoutMs: config.crm.lookupTimeoutMs });
    return { port, describe: endpoint.url.origin, sandboxRoutes: [], startNotifier: () => undefined, close: async () => port.close() };
  }
  const book = PopulationBook.generate({ seed: SANDBOX_POPULATION_SEED, size: POPULATION_SIZE_DEFAULT, asOf: shanghaiDate(now) });
  const simulator = await startCrmSimulator({ book, host: '127.0.0.1', port: 0 });
  const port = await createCrmSoapClient({ url: simulator.url, timeoutMs: config.crm.lookupTimeoutMs });
  let notifier: CrmChangeNotifier | undefined;
  return {
    port,
    describe: `built-in simulator at ${simulator.url} (${book.size} synthetic subscribers)`,
    accountOf: (msisdn) => {
      const profile = book.get(msisdn);
      if (!profile?.plan || !profile.status) return undefined;
      // Billing knows no "cancelled": a cancelled number is as unchargeable as a suspended one.
      return { plan: profile.plan.plan, status: profile.status.status === 'active' ? 'active' : 'suspended' };
    },
    sandboxRoutes: [crmSandboxRoutes(book)],
    startNotifier: (apiAddress) => {
      if (!config.crm.webhookSecret) return;
      notifier = startCrmChangeNotifier({ book, targetUrl: `${apiAddress}/v1/carrier/crm/events`, secret: config.crm.webhookSecret });
    },
    close: async () => {
      await notifier?.close();
      port.close();
      await simulator.close();
    },
  };
}
