/**
 * The simulated carrier's top-up notifications: every SubscriberBook recharge is POSTed as
 * JSON to the lender's endpoint, signed with a shared secret, and retried with capped
 * exponential backoff until it is accepted or the attempts run out. Delivery is therefore
 * at least once: the receiver de-duplicates by eventId. The contract (body, headers,
 * signature, replay window) is in wsdl/RECHARGE.md; both sides sign and verify with
 * src/billing/carrier-webhook.ts, so they share one implementation. The delivery loop is
 * shared with the CRM change feed (../webhook-delivery.ts).
 */
import { maskMobile } from '../../src/core/identity.js';
import { startWebhookDelivery, type WebhookDeliveryOptions } from '../webhook-delivery.js';
import type { RechargeEvent, SubscriberBook } from './subscriber-book.js';

export { CARRIER_SIGNATURE_HEADER, CARRIER_TIMESTAMP_HEADER } from '../webhook-delivery.js';

export interface RechargeNotifierOptions extends Pick<WebhookDeliveryOptions<unknown>, 'attemptsMax' | 'firstDelayMs' | 'delayMsMax' | 'timeoutMs'> {
  book: SubscriberBook;
  targetUrl: string;
  secret: string;
  /** Called once per event that could not be delivered; by default a warning with the number masked. */
  onGiveUp?: (event: RechargeEvent, reason: string) => void;
}

export interface RechargeNotifier {
  /** Resolves when every event heard so far is delivered or given up. */
  idle(): Promise<void>;
  /** Stops listening, cuts retry waits short (those events are given up) and waits for POSTs in flight. */
  close(): Promise<void>;
}

/** The wire body; only these four fields leave the carrier. */
export function rechargeBody(event: RechargeEvent): string {
  return JSON.stringify({ eventId: event.eventId, msisdn: event.msisdn, amountFen: event.amountFen, rechargedAt: event.rechargedAt });
}

export function startRechargeNotifier(options: RechargeNotifierOptions): RechargeNotifier {
  const delivery = startWebhookDelivery<RechargeEvent>({
    ...options,
    body: rechargeBody,
    onGiveUp: options.onGiveUp ?? ((event, reason) => {
      console.warn(`recharge ${event.eventId} for ${maskMobile(event.msisdn)} not delivered: ${reason}`);
    }),
  });
  // SubscriberBook has no way to unsubscribe; after close() the delivery ignores new events.
  options.book.onRecharge((event) => delivery.send(event));
  return { idle: delivery.idle, close: delivery.close };
}
