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
import { startWebhookDelivery } from '../webhook-delivery.js';
import { crmChangeBody } from './mapping.js';
import type { PopulationBook } from './population.js';

/** Attempts per event, the first included. */
export const CRM_CHANGE_DELIVERY_ATTEMPTS_MAX = 8;
/** Wait before the second attempt; doubles each time. */
export const CRM_CHANGE_RETRY_FIRST_DELAY_MS = 500;
/** Longest wait between two attempts. */
export const CRM_CHANGE_RETRY_DELAY_MS_MAX = 30_000;
/** Deadline of one POST. */
export const CRM_CHANGE_DELIVERY_TIMEOUT_MS = 5_000;
/** Events being delivered at once at most; beyond it new events are given up at once (and reported). */
export const CRM_CHANGE_PENDING_MAX = 10_000;

export interface CrmChangeNotifierOptions {
  book: PopulationBook;
  targetUrl: string;
  secret: string;
  attemptsMax?: number;
  firstDelayMs?: number;
  delayMsMax?: number;
  timeoutMs?: number;
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
    targetUrl: options.targetUrl,
    secret: options.secret,
    body: crmChangeBody,
    attemptsMax: options.attemptsMax ?? CRM_CHANGE_DELIVERY_ATTEMPTS_MAX,
    firstDelayMs: options.firstDelayMs ?? CRM_CHANGE_RETRY_FIRST_DELAY_MS,
    delayMsMax: options.delayMsMax ?? CRM_CHANGE_RETRY_DELAY_MS_MAX,
    timeoutMs: options.timeoutMs ?? CRM_CHANGE_DELIVERY_TIMEOUT_MS,
    pendingMax: CRM_CHANGE_PENDING_MAX,
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
