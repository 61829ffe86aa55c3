/**
 * The simulated carrier CRM's change feed: every PopulationBook change (status change, SIM
 * swap, cancellation, port-out) is POSTed as JSON to the lender's endpoint, signed exactly
 * like billing's recharge notifications (same headers, same HMAC, src/billing/carrier-webhook.ts)
 * and retried with capped exponential backoff (../webhook-delivery.ts). Delivery is at least
 * once: the receiver de-duplicates on eventId and parses with mapping.parseCrmChangeEvent.
 * The contract is in wsdl/README.md "Change events".
 */
import { maskMobile } from '../../src/core/identity.js';
import type { CrmChangeEvent } from '../../src/core/subscriber-profile.js';
import { startWebhookDelivery, type WebhookDeliveryOptions } from '../webhook-delivery.js';
import { crmChangeBody } from './mapping.js';
import type { PopulationBook } from './population.js';


export interface CrmChangeNotifierOptions extends Pick<WebhookDeliveryOptions<unknown>, 'attemptsMax' | 'firstDelayMs' | 'delayMsMax' | 'timeoutMs'> {
  book: PopulationBook;
  targetUrl: string;
  secret: string;
  /** Called once per event that could not be delivered; by default a warning with the number masked. */
  onGiveUp?: (event: CrmChangeEvent, reason: string) => void;
}

export interface CrmChangeNotifier {
  /** Resolves when every change heard so far is delivered or given up. */
  idle(): Promise<void>;
  /** Stops listening, cuts retry waits short (those events are given up) and waits for POSTs in flight. */
  close(): Promise<void>;
}

export function startCrmChangeNotifier(options: CrmChangeNotifierOptions): CrmChangeNotifier {
  const delivery = startWebhookDelivery<CrmChangeEvent>({
    ...options,
    body: crmChangeBody,
    onGiveUp: options.onGiveUp ?? ((event, reason) => {
      console.warn(`CRM change ${event.eventId} (${event.type}) for ${maskMobile(event.msisdn)} not delivered: ${reason}`);
    }),
  });
  const stopListening = options.book.onChange((event) => delivery.send(event));
  return {
    idle: delivery.idle,
    close: async () => {
      stopListening();
      await delivery.close();
    },
  };
}
