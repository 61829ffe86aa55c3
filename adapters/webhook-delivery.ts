/**
 * How a simulated carrier pushes events to the lender (recharges, CRM changes): each event
 * is POSTed as JSON, signed with the shared secret exactly as src/billing/carrier-webhook.ts
 * verifies it, and retried with capped, jittered exponential backoff until it is accepted or
 * the attempts run out. Delivery is at least once; receivers de-duplicate on the event id.
 * Events are independent: no ordering between them.
 *
 * The sender knows nothing of the events: the caller gives the body and a label for reports.
 */
import { signCarrierWebhook } from '../src/billing/carrier-webhook.js';

export const CARRIER_TIMESTAMP_HEADER = 'X-Carrier-Timestamp';
export const CARRIER_SIGNATURE_HEADER = 'X-Carrier-Signature';

/** Retry and load limits every simulated carrier feed uses unless a test shortens them. */
export const WEBHOOK_DELIVERY_DEFAULTS = {
  /** Attempts per event, the first included. */
  attemptsMax: 8,
  /** Wait before the second attempt; doubles each time. */
  firstDelayMs: 500,
  /** Longest wait between two attempts. */
  delayMsMax: 30_000,
  /** Deadline of one POST. */
  timeoutMs: 5_000,
  /** Events being delivered at once at most; beyond it new events are given up at once (and reported). */
  pendingMax: 10_000,
} as const;

export interface WebhookDeliveryOptions<E> {
  targetUrl: string;
  secret: string;
  /** The exact JSON body of an event; signed and sent byte for byte on every attempt. */
  body: (event: E) => string;
  /** Retry and load limits; WEBHOOK_DELIVERY_DEFAULTS for those left out (tests shorten them). */
  attemptsMax?: number;
  firstDelayMs?: number;
  delayMsMax?: number;
  timeoutMs?: number;
  pendingMax?: number;
  /** Called once per event that could not be delivered. */
  onGiveUp: (event: E, reason: string) => void;
}

export interface WebhookDelivery<E> {
  /** Starts delivering one event; ignored once closed. */
  send(event: E): void;
  /** Resolves when every event sent so far is delivered or given up. */
  idle(): Promise<void>;
  /** Cuts retry waits short (those events are given up) and waits for POSTs in flight. */
  close(): Promise<void>;
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; reason: string };

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
export function backoffMs(attempt: number, firstDelayMs: number, delayMsMax: number): number {
  const full = Math.min(delayMsMax, firstDelayMs * 2 ** (attempt - 1));
  return full / 2 + Math.random() * (full / 2);
}

export function startWebhookDelivery<E>(options: WebhookDeliveryOptions<E>): WebhookDelivery<E> {
  const { targetUrl, secret, onGiveUp } = options;
  const attemptsMax = options.attemptsMax ?? WEBHOOK_DELIVERY_DEFAULTS.attemptsMax;
  const firstDelayMs = options.firstDelayMs ?? WEBHOOK_DELIVERY_DEFAULTS.firstDelayMs;
  const delayMsMax = options.delayMsMax ?? WEBHOOK_DELIVERY_DEFAULTS.delayMsMax;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_DELIVERY_DEFAULTS.timeoutMs;
  const pendingMax = options.pendingMax ?? WEBHOOK_DELIVERY_DEFAULTS.pendingMax;
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

  async function deliver(event: E): Promise<void> {
    const rawBody = options.body(event);
    for (let attempt = 1; ; attempt++) {
      const result = await postOnce(targetUrl, secret, rawBody, timeoutMs);
      if (result.ok) return;
      if (!result.retryable || attempt >= attemptsMax) return onGiveUp(event, `${result.reason} after ${attempt} attempt(s)`);
      await wait(backoffMs(attempt, firstDelayMs, delayMsMax));
      if (stop.signal.aborted) return onGiveUp(event, `notifier closed after ${attempt} attempt(s)`);
    }
  }

  const idle = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  return {
    send: (event) => {
      if (stop.signal.aborted) return;
      if (inFlight.size >= pendingMax) return onGiveUp(event, `more than ${pendingMax} deliveries pending`);
      const delivery = deliver(event).finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    },
    idle,
    close: async () => {
      stop.abort();
      await idle();
    },
  };
}
