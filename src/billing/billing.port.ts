/**
 * What the lending side needs from the carrier's billing system in real time. The SOAP
 * adapter (adapters/billing/soap-client.ts) implements it over Parlay X Payment and
 * Account Management; every foreign reply is mapped to one of these outcomes there.
 */
import type { Fen } from '../core/money.js';

/** 11-digit mainland mobile number; adapters turn it into `tel:+86…`. */
export type Msisdn = string;

export interface ChargeRequest {
  msisdn: Msisdn;
  amountFen: Fen;
  /** Shown on the subscriber's bill or balance notice. */
  description: string;
  /**
   * Our unique reference for this charge (Parlay X `referenceCode`). Sending the same
   * reference again must never charge twice: the carrier de-duplicates on it.
   */
  referenceCode: string;
}

export interface RefundRequest extends ChargeRequest {
  /** The referenceCode of the charge being refunded. */
  originalReferenceCode: string;
}

/** Why the carrier did not charge. */
export type ChargeFailure =
  | { kind: 'insufficient_credit'; code: string; detail: string }
  | { kind: 'subscriber_suspended'; code: string; detail: string }
  | { kind: 'subscriber_unknown'; code: string; detail: string }
  | { kind: 'policy_refused'; code: string; detail: string }
  | { kind: 'service_error'; code: string; detail: string }
  | { kind: 'timeout'; code: 'TIMEOUT'; detail: string };

export type ChargeOutcome = { kind: 'charged'; amountFen: Fen } | ChargeFailure;
export type BalanceOutcome = { kind: 'balance'; balanceFen: Fen } | ChargeFailure;

export interface BillingPort {
  /** Prepaid credit left on the account (Parlay X Account Management getBalance). */
  getBalance(msisdn: Msisdn): Promise<BalanceOutcome>;
  /** Charge prepaid credit, or add to the postpaid bill (Parlay X chargeAmount). */
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Give money back to the account (Parlay X refundAmount). */
  refund(request: RefundRequest): Promise<ChargeOutcome>;
}
