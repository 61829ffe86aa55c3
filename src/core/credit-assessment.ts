/**
 * The whole risk step (风控) as one pure function of its inputs: the initial review's list
 * and identity hits, the anti-fraud cross-checks, the scorecard and the borrowing caps.
 * Decisions store exactly these inputs with the scorecard version, so replaying a decision
 * is calling this again and comparing.
 */
import type { CalendarDate } from './calendar-date.js';
import { decideCredit, type CreditDecision } from './credit-decision.js';
import { fraudChecks, type FraudLimits } from './fraud-rules.js';
import { identityReview, listModelReview, type ListFacts } from './initial-review.js';
import type { Fen } from './money.js';
import { sortHitsBySeverity, type ReasonHit } from './reason-codes.js';
import { deriveFeatures, fieldDataReview, type FeatureVector, type HomeVisit, type InstallerSurvey } from './risk-features.js';
import { scoreApplicant, type ScorecardDefinition, type ScoreResult } from './scorecard.js';
import type { SubscriberProfile } from './subscriber-profile.js';

export interface CreditAssessmentInputs {
  asOf: CalendarDate;
  applicant: { name: string; idNumber: string; village: string };
  requestedAmountFen: Fen;
  termMonths: number;
  profile: SubscriberProfile;
  installerSurvey: InstallerSurvey | null;
  homeVisit: HomeVisit | null;
  listFacts: ListFacts;
  otherPersonsOnDevice: number;
  otherPersonsSharingContacts: number;
  storeApplicationsToday: number | null;
  staffApplicationsToday: number | null;
  fraudLimits: FraudLimits;
  openPlatformPrincipalFen: Fen;
  otherPlatformsDebtFen: Fen;
  smallestProductMinFen: Fen;
}

export interface CreditAssessment {
  hits: ReasonHit[];
  features: FeatureVector;
  score: ScoreResult;
  decision: CreditDecision;
}

export function assessCredit(inputs: CreditAssessmentInputs, scorecard: ScorecardDefinition): CreditAssessment {
  const hits = sortHitsBySeverity([
    ...listModelReview(inputs.listFacts),
    ...identityReview(inputs.applicant, inputs.profile),
    ...fieldDataReview({
      ...(inputs.installerSurvey ? { installerSurvey: inputs.installerSurvey } : {}), ...(inputs.homeVisit ? { homeVisit: inputs.homeVisit } : {}),
    }),
    ...fraudChecks({
      asOf: inputs.asOf, statedVillage: inputs.applicant.village, profile: inputs.profile,
      otherPersonsOnDevice: inputs.otherPersonsOnDevice, otherPersonsSharingContacts: inputs.otherPersonsSharingContacts,
      storeApplicationsToday: inputs.storeApplicationsToday, staffApplicationsToday: inputs.staffApplicationsToday, limits: inputs.fraudLimits,
    }),
  ]);
  const features = deriveFeatures({
    profile: inputs.profile, asOf: inputs.asOf, requestedAmountFen: inputs.requestedAmountFen, termMonths: inputs.termMonths,
    ...(inputs.installerSurvey ? { installerSurvey: inputs.installerSurvey } : {}),
    ...(inputs.homeVisit ? { homeVisit: inputs.homeVisit } : {}),
    redListed: inputs.listFacts.redListed,
  });
  const score = scoreApplicant(scorecard, features);
  const decision = decideCredit({
    hits, score, openPlatformPrincipalFen: inputs.openPlatformPrincipalFen, otherPlatformsDebtFen: inputs.otherPlatformsDebtFen,
    requestedAmountFen: inputs.requestedAmountFen, smallestProductMinFen: inputs.smallestProductMinFen,
  });
  return { hits, features, score, decision };
}
