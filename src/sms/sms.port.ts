/**
 * What the lending side needs from the carrier's SMS gateway to send a message. The Parlay X
 * Short Messaging adapter (adapters/sms/client.ts) implements it; every foreign reply is
 * mapped there to one of these outcomes.
 */

export interface SmsSendRequest {
  /** 11-digit mainland mobile number. */
  msisdn: string;
  /** The whole text; the gateway splits it into concatenated segments (70 characters each for Chinese). */
  text: string;
  /** Our unique reference for the message (Parlay X correlator style): a resend with it never sends twice. */
  reference: string;
}

export type SmsSendOutcome =
  | { kind: 'accepted'; requestIdentifier: string; segments: number }
  /** The gateway refused the message for good (unknown number, barred, policy). */
  | { kind: 'refused'; code: string; detail: string }
  /** No usable reply in time; the send may be retried with the same reference. */
  | { kind: 'timeout'; code: 'TIMEOUT'; detail: string }
  | { kind: 'service_error'; code: string; detail: string };

export interface SmsPort {
  send(request: SmsSendRequest): Promise<SmsSendOutcome>;
  close(): void;
}
