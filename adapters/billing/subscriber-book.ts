/**
 * The simulated carrier's subscriber accounts, shared by the billing SOAP simulator and
 * the SFTP batch simulator. A deterministic synthetic population (numbers 139 0000 0000
 * upwards) plus any subscriber a test or demo sets explicitly. Charges are de-duplicated
 * by referenceCode as a real charging system does: the same reference returns the first
 * result and never charges again.
 */
import { createHash } from 'node:crypto';

export type SimulatedPlan = 'prepaid' | 'postpaid';
export type SimulatedStatus = 'active' | 'suspended';

export interface SimulatedSubscriber {
  msisdn: string;
  plan: SimulatedPlan;
  status: SimulatedStatus;
  /** Prepaid credit left. */
  balanceFen: number;
  /** Postpaid amount on the current bill. */
  billFen: number;
}

export type SimulatedChargeResult =
  | { kind: 'charged'; amountFen: number }
  | { kind: 'insufficient_credit' | 'subscriber_suspended' | 'subscriber_unknown' | 'duplicate_conflict' };

export interface RechargeEvent {
  eventId: string;
  msisdn: string;
  amountFen: number;
  rechargedAt: string;
}

export const POPULATION_FIRST_MSISDN = 13_900_000_000;
export const POPULATION_SIZE_DEFAULT = 10_000;

function hashInt(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export class SubscriberBook {
  private readonly explicit = new Map<string, SimulatedSubscriber>();
  private readonly results = new Map<string, { msisdn: string; amountFen: number; result: SimulatedChargeResult }>();
  /** Refunds live apart from charges: a refund reference never answers as a charge, nor is it settled as one. */
  private readonly refunds = new Map<string, { msisdn: string; amountFen: number; original: string }>();
  private readonly rechargeListeners: ((event: RechargeEvent) => void)[] = [];
  private rechargeCounter = 0;

  /**
   * `accountOf`, when given, supplies plan and status of population numbers (the sandbox
   * passes the simulated CRM's records, so both simulated systems agree about a number).
   */
  constructor(
    private readonly populationSize = POPULATION_SIZE_DEFAULT,
    private readonly seed = 'billing-sim',
    private readonly accountOf?: (msisdn: string) => Pick<SimulatedSubscriber, 'plan' | 'status'> | undefined,
  ) {}

  /** The subscriber, from the explicit set or the synthetic population; undefined when unknown. */
  get(msisdn: string): SimulatedSubscriber | undefined {
    const known = this.explicit.get(msisdn);
    if (known) return known;
    const index = Number(msisdn) - POPULATION_FIRST_MSISDN;
    if (!/^\d{11}$/.test(msisdn) || index < 0 || index >= this.populationSize) return undefined;
    const h = hashInt(`${this.seed}:${msisdn}`);
    const account = this.accountOf?.(msisdn);
    const subscriber: SimulatedSubscriber = {
      msisdn,
      plan: account?.plan ?? (h % 10 < 7 ? 'prepaid' : 'postpaid'),
      status: account?.status ?? (h % 97 === 0 ? 'suspended' : 'active'),
      balanceFen: (h >>> 8) % 30_000,
      billFen: 0,
    };
    this.explicit.set(msisdn, subscriber);
    return subscriber;
  }

  set(subscriber: SimulatedSubscriber): void {
    this.explicit.set(subscriber.msisdn, { ...subscriber });
  }

  /** Prepaid: takes the amount from the credit if it is all there. Postpaid: adds it to the bill. */
  charge(msisdn: string, amountFen: number, referenceCode: string): SimulatedChargeResult {
    const earlier = this.results.get(referenceCode);
    if (earlier) {
      return earlier.msisdn === msisdn && earlier.amountFen === amountFen ? earlier.result : { kind: 'duplicate_conflict' };
    }
    const result = this.applyCharge(msisdn, amountFen);
    // Only a completed charge is remembered: a refused one may succeed later under the same reference.
    if (result.kind === 'charged') this.results.set(referenceCode, { msisdn, amountFen, result });
    return result;
  }

  private applyCharge(msisdn: string, amountFen: number): SimulatedChargeResult {
    const subscriber = this.get(msisdn);
    if (!subscriber) return { kind: 'subscriber_unknown' };
    if (subscriber.status !== 'active') return { kind: 'subscriber_suspended' };
    if (subscriber.plan === 'postpaid') {
      subscriber.billFen += amountFen;
      return { kind: 'charged', amountFen };
    }
    if (subscriber.balanceFen < amountFen) return { kind: 'insufficient_credit' };
    subscriber.balanceFen -= amountFen;
    return { kind: 'charged', amountFen };
  }

  /** Gives money back to a charged reference; refunding twice under one refund reference refunds once. */
  refund(msisdn: string, amountFen: number, referenceCode: string, originalReferenceCode: string): SimulatedChargeResult {
    const earlier = this.refunds.get(referenceCode);
    if (earlier) {
      return earlier.msisdn === msisdn && earlier.amountFen === amountFen && earlier.original === originalReferenceCode
        ? { kind: 'charged', amountFen } : { kind: 'duplicate_conflict' };
    }
    const original = this.results.get(originalReferenceCode);
    const refunded = [...this.refunds.values()].filter((r) => r.original === originalReferenceCode).reduce((sum, r) => sum + r.amountFen, 0);
    if (!original || original.msisdn !== msisdn || original.amountFen < refunded + amountFen) return { kind: 'duplicate_conflict' };
    const subscriber = this.get(msisdn);
    if (!subscriber) return { kind: 'subscriber_unknown' };
    if (subscriber.plan === 'postpaid') subscriber.billFen -= amountFen;
    else subscriber.balanceFen += amountFen;
    this.refunds.set(referenceCode, { msisdn, amountFen, original: originalReferenceCode });
    return { kind: 'charged', amountFen };
  }

  /** A top-up at a store or online; listeners (the recharge notifier) hear about it. */
  recharge(msisdn: string, amountFen: number, at: Date): RechargeEvent {
    const subscriber = this.get(msisdn);
    if (!subscriber) throw new Error(`simulated subscriber ${msisdn} does not exist`);
    subscriber.balanceFen += amountFen;
    this.rechargeCounter += 1;
    const event = { eventId: `RCH${at.getTime()}${String(this.rechargeCounter).padStart(6, '0')}`, msisdn, amountFen, rechargedAt: at.toISOString() };
    for (const listener of this.rechargeListeners) listener(event);
    return event;
  }

  onRecharge(listener: (event: RechargeEvent) => void): void {
    this.rechargeListeners.push(listener);
  }

  /** What the carrier owes the lender per charge reference, net of refunds, for the settlement file. */
  chargedReferences(): { referenceCode: string; msisdn: string; amountFen: number }[] {
    const refunded = new Map<string, number>();
    for (const r of this.refunds.values()) refunded.set(r.original, (refunded.get(r.original) ?? 0) + r.amountFen);
    return [...this.results]
      .map(([referenceCode, r]) => ({ referenceCode, msisdn: r.msisdn, amountFen: r.amountFen - (refunded.get(referenceCode) ?? 0) }))
      .filter((r) => r.amountFen > 0);
  }
}
