/**
 * How much to take from a phone account for an installment (委托划扣). Prepaid: never
 * more than the credit above the reserve that keeps the phone usable; a partial charge
 * only when allowed. Postpaid: the whole amount goes on the bill.
 */
import { invariant } from './domain-error.js';
import { assertFen, assertPositiveFen, type Fen } from './money.js';

export type SubscriberPlan = 'prepaid' | 'postpaid';

export interface ChargePlanInput {
  plan: SubscriberPlan;
  dueFen: Fen;
  /** Prepaid credit now; ignored for postpaid. */
  balanceFen: Fen;
  reserveFen: Fen;
  partialAllowed: boolean;
}

export type ChargePlan = { kind: 'charge'; amountFen: Fen; partial: boolean } | { kind: 'insufficient'; availableFen: Fen };

export function planCharge(input: ChargePlanInput): ChargePlan {
  assertPositiveFen(input.dueFen, 'dueFen');
  assertFen(input.reserveFen, 'reserveFen');
  if (input.plan === 'postpaid') return { kind: 'charge', amountFen: input.dueFen, partial: false };
  assertFen(input.balanceFen, 'balanceFen');
  const available = Math.max(0, input.balanceFen - input.reserveFen);
  const plan: ChargePlan = available >= input.dueFen ? { kind: 'charge', amountFen: input.dueFen, partial: false }
    : available > 0 && input.partialAllowed ? { kind: 'charge', amountFen: available, partial: true }
      : { kind: 'insufficient', availableFen: available };
  if (plan.kind === 'charge') {
    invariant(plan.amountFen > 0 && plan.amountFen <= input.dueFen, 'a charge is positive and never above what is due');
    invariant(input.balanceFen - plan.amountFen >= input.reserveFen, 'a prepaid charge never eats into the reserve');
  }
  return plan;
}
