import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planCharge } from './deduction.js';

describe('planCharge', () => {
  it('charges the full due when the credit above the reserve covers it', () => {
    expect(planCharge({ plan: 'prepaid', dueFen: 10_000, balanceFen: 10_500, reserveFen: 500, partialAllowed: true }))
      .toEqual({ kind: 'charge', amountFen: 10_000, partial: false });
  });

  it('charges what the credit allows above the reserve, or waits when partial charges are off', () => {
    expect(planCharge({ plan: 'prepaid', dueFen: 10_000, balanceFen: 3_000, reserveFen: 500, partialAllowed: true }))
      .toEqual({ kind: 'charge', amountFen: 2_500, partial: true });
    expect(planCharge({ plan: 'prepaid', dueFen: 10_000, balanceFen: 3_000, reserveFen: 500, partialAllowed: false }))
      .toEqual({ kind: 'insufficient', availableFen: 2_500 });
    expect(planCharge({ plan: 'prepaid', dueFen: 10_000, balanceFen: 400, reserveFen: 500, partialAllowed: true }))
      .toEqual({ kind: 'insufficient', availableFen: 0 });
  });

  it('puts the whole due on a postpaid bill whatever the balance', () => {
    expect(planCharge({ plan: 'postpaid', dueFen: 10_000, balanceFen: 0, reserveFen: 500, partialAllowed: false }))
      .toEqual({ kind: 'charge', amountFen: 10_000, partial: false });
  });

  it('never charges above the due or into the reserve', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }),
      fc.integer({ min: 0, max: 10_000 }), fc.boolean(), (dueFen, balanceFen, reserveFen, partialAllowed) => {
        const plan = planCharge({ plan: 'prepaid', dueFen, balanceFen, reserveFen, partialAllowed });
        if (plan.kind === 'charge') {
          expect(plan.amountFen).toBeLessThanOrEqual(dueFen);
          expect(balanceFen - plan.amountFen).toBeGreaterThanOrEqual(reserveFen);
          expect(plan.partial).toBe(plan.amountFen < dueFen);
        } else {
          expect(plan.availableFen).toBeLessThan(partialAllowed ? 1 : dueFen);
        }
      }));
  });
});
