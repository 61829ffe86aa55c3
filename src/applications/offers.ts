/**
 * Product matching (产品适配) for an approved application and the applicant's acceptance
 * of one offer, which creates the loan in `approved` status for funding and signing.
 */
import { shanghaiDate } from '../core/calendar-date.js';
import { DomainError } from '../core/domain-error.js';
import { matchProducts, type MatchResult } from '../core/product-matching.js';
import type { Database, Queryable } from '../db/database.js';
import { insertAppliedLoan, parseRepaymentChannels } from '../loans/apply-for-loan.js';
import { lockLoan, recordTransition, type LoanRecord } from '../loans/loan-repository.js';
import { listProducts } from '../products/product-repository.js';
import { latestDecision } from '../risk/decide-application.js';
import type { RatePpm } from '../core/rate.js';
import { findApplication, lockApplication, moveApplication, type ApplicationRecord } from './application-repository.js';

async function offersOf(q: Queryable, app: ApplicationRecord, now: Date, rateCeilingPpm: RatePpm): Promise<MatchResult & { decisionId: number; creditLimitFen: number; grade: string }> {
  if (app.status !== 'approved') throw new DomainError('APPLICATION_NOT_APPROVED', `application ${app.id} is ${app.status}; offers exist only for approved applications`, 'id');
  const decision = await latestDecision(q, app.id);
  if (!decision || decision.outcome !== 'approved') throw new DomainError('APPLICATION_NOT_APPROVED', `application ${app.id} has no approving decision`, 'id');
  const products = await listProducts(q, true);
  const match = matchProducts({
    products, eligibleCodes: decision.result.score.productCodes, creditLimitFen: decision.creditLimitFen,
    request: {
      amountFen: app.requestedAmountFen, termMonths: app.termMonths,
      ...(app.method ? { method: app.method } : {}), ...(app.maxAnnualRatePpm !== null ? { maxAnnualRatePpm: app.maxAnnualRatePpm } : {}),
    },
    rateCeilingPpm, startDate: shanghaiDate(now),
  });
  return { ...match, decisionId: decision.id, creditLimitFen: decision.creditLimitFen, grade: decision.grade };
}

export async function applicationOffers(db: Database, applicationId: number, now: Date, rateCeilingPpm: RatePpm) {
  const app = await findApplication(db, applicationId);
  if (!app) throw new DomainError('APPLICATION_NOT_FOUND', `no application ${applicationId}`, 'id');
  return offersOf(db, app, now, rateCeilingPpm);
}

export interface AcceptOfferInput {
  productCode: string;
  /** At most the offered amount; the offered amount when omitted. */
  amountFen?: number;
  repaymentChannels: string[];
}

export async function acceptOffer(
  db: Database, applicationId: number, input: AcceptOfferInput, actor: string, now: Date, rateCeilingPpm: RatePpm,
): Promise<{ applicationId: number; loan: LoanRecord }> {
  const channels = parseRepaymentChannels(input.repaymentChannels, 'repaymentChannels');
  return db.transaction(async (tx) => {
    const app = await lockApplication(tx, applicationId);
    const match = await offersOf(tx, app, now, rateCeilingPpm);
    const offer = match.offers.find((o) => o.productCode === input.productCode);
    if (!offer) throw new DomainError('OFFER_NOT_FOUND', `product ${input.productCode} is not among the offers of application ${applicationId}`, 'productCode');
    const amountFen = input.amountFen ?? offer.amountFen;
    if (amountFen > offer.amountFen) {
      throw new DomainError('AMOUNT_ABOVE_OFFER', `amountFen ${amountFen} exceeds the offered ${offer.amountFen} fen`, 'amountFen');
    }
    const product = (await listProducts(tx, true)).find((p) => p.code === offer.productCode)!;
    const applied = await insertAppliedLoan(tx, { name: app.name, idNumber: app.idNumber, mobile: app.mobile, product, principalFen: amountFen, channels },
      actor, `application ${app.id} accepted offer ${offer.productCode}`);
    // The store that took the application serves the borrower: it signs, pays out and takes cash.
    if (app.storeCode) await tx.query(`UPDATE loans SET store_code = $2 WHERE id = $1`, [applied.id, app.storeCode]);
    const loan = await recordTransition(tx, await lockLoan(tx, applied.id), 'approved', 'risk-engine',
      `credit decision ${match.decisionId}: grade ${match.grade}, limit ${match.creditLimitFen} fen`);
    await moveApplication(tx, app, 'accepted', { loanId: loan.id });
    return { applicationId, loan };
  });
}
