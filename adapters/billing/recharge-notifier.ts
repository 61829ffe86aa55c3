/**
 * The simulated carrier's top-up notifications: every SubscriberBook recharge is POSTed as
 * JSON to the lender's endpoint, signed with a shared secret, and retried with capped
 * exponential backoff until it is accepted or the attempts run out. Delivery is therefore
 * at least once: the receiver de-duplicates by eventId. The contract (body, headers,
 * signature, replay window) is in wsdl/RECHARGE.md; both sides sign and verify with
 * src/billing/carrier-webhook.ts, so they share one implementation.
 */
import { signCarrierWebhook } from '../../src/billing/carrier-webhook.js';
import { maskMobile } from '../../src/core/identity.js';
import type { RechargeEvent, SubscriberBook } from './subscriber-book.js';

/** Attempts per event, the first included. */
export const RECHARGE_DELIVERY_ATTEMPTS_MAX = 8;
/** Wait before the second attempt; doubles each time. */
export const RECHARGE_RETRY_FIRST_DELAY_MS = 500;
/** Longest wait between two attempts. */
export const RECHARGE_RETRY_DELAY_MS_MAX = 30_000;
/** Deadline of one POST. */
export const RECHARGE_DELIVERY_TIMEOUT_MS = 5_000;
/** Events being delivered at once at most; beyond it new events are given up at once (and reported). */
export const RECHARGE_PENDING_MAX = 10_000;
export const CARRIER_TIMESTAMP_HEADER = 'X-Carrier-Timestamp';
export const CARRIER_SIGNATURE_HEADER = 'X-Carrier-Signature';

export interface RechargeNotifierOptions {
  book: SubscriberBook;
  targetUrl: string;
  secret: string;
  attemptsMax?: number;
  firstDelayMs?: number;
  delayMsMax?: number;
  timeoutMs?: number;
  /** Called once per event that could not be delivered; by default a warning with the number masked. */
  onGiveUp?: (event: RechargeEvent, reason: string) => void;
}

export interface RechargeNotifier {
  /** Resolves when every event heard so far is delivered or given up. */
  idle(): Promise<void>;
  /** Stops listening, cuts retry waits short (those events are given up) and waits for POSTs in flight. */
  close(): Promise<void>;
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; reason: string };

/** The wire body; only these four fields leave the carrier. */
export function rechargeBody(event: RechargeEvent): string {
  return JSON.stringify({ eventId: event.eventId, msisdn: event.msisdn, amountFen: event.amountFen, rechargedAt: event.rechargedAt });
}

async function postOnce(targetUrl: string, secret: string, rawBody: string, timeoutMs: number): Promise<Attempt> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(targetUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        [CARRIER_TIMESTAMP_HEADER]: timestamp,
        [CARRIER_SIGNATURE_HEADER]: signCarrierWebhook(secret, timestamp, rawBody),
      },
      body: rawBody,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.ok) return { ok: true };
    // A 4xx other than 408/429 will not change by asking again (bad signature, bad body).
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    return { ok: false, retryable, reason: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, retryable: true, reason: (error as Error).message };
  }
}

/** Capped exponential backoff with half of it jittered, so retries of many events spread out. */
function backoffMs(attempt: number, firstDelayMs: number, delayMsMax: number): number {
  const full = Math.min(delayMsMax, firstDelayMs * 2 ** (attempt - 1));
  return full / 2 + Math.random() * (full / 2);
}

export function startRechargeNotifier(options: RechargeNotifierOptions): RechargeNotifier {
  const attemptsMax = options.attemptsMax ?? RECHARGE_DELIVERY_ATTEMPTS_MAX;
  const firstDelayMs = options.firstDelayMs ?? RECHARGE_RETRY_FIRST_DELAY_MS;
  const delayMsMax = options.delayMsMax ?? RECHARGE_RETRY_DELAY_MS_MAX;
  const timeoutMs = options.timeoutMs ?? RECHARGE_DELIVERY_TIMEOUT_MS;
  const giveUp = options.onGiveUp ?? ((event, reason) => {
    console.warn(`recharge ${event.eventId} for ${maskMobile(event.msisdn)} not delivered: ${reason}`);
  });
  const inFlight = new Set<Promise<void>>();
  const stop = new AbortController();

  const wait = (ms: number) => new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      stop.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    stop.signal.addEventListener('abort', onAbort, { once: true });
  });

  async function deliver(event: RechargeEvent): Promise<void> {
    const rawBody = rechargeBody(event);
    for (let attempt = 1; ; attempt++) {
      const result = await postOnce(options.targetUrl, options.secret, rawBody, timeoutMs);
      if (result.ok) return;
      if (!result.retryable || attempt >= attemptsMax) return giveUp(event, `${result.reason} after ${attempt} attempt(s)`);
      await wait(backoffMs(attempt, firstDelayMs, delayMsMax));
      if (stop.signal.aborted) return giveUp(event, `notifier closed after ${attempt} attempt(s)`);
    }
  }

  options.book.onRecharge((event) => {
    if (stop.signal.aborted) return;
    if (inFlight.size >= RECHARGE_PENDING_MAX) return giveUp(event, `more than ${RECHARGE_PENDING_MAX} deliveries pending`);
    const delivery = deliver(event).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  });

  const idle = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  return {
    idle,
    close: async () => {
      stop.abort();
      await idle();
    },
  };
}
