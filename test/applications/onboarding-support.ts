/**
 * Onboarding tests' world: the API app, a CRM simulator over real SOAP with an empty
 * population the test fills, and helpers to submit, assess and call back applications.
 */
import { createCrmSoapClient } from '../../adapters/crm/client.js';
import { PopulationBook } from '../../adapters/crm/population.js';
import { startCrmSimulator, type CrmSimulator } from '../../adapters/crm/simulator.js';
import { assessApplication, type AssessmentResult } from '../../src/applications/assess-application.js';
import { addDays, shanghaiDate, type CalendarDate } from '../../src/core/calendar-date.js';
import type { SubscriberProfile } from '../../src/core/subscriber-profile.js';
import type { CrmPort } from '../../src/risk/crm.port.js';
import { call, createApiApp, type ApiTestContext } from '../support/api-app.js';
import { freshIdNumber, freshMobile } from '../support/identities.js';

export const TODAY: CalendarDate = shanghaiDate(new Date());

export interface OnboardingWorld extends ApiTestContext {
  book: PopulationBook;
  simulator: CrmSimulator;
  crm: CrmPort;
}

export async function createOnboardingWorld(timeoutMs = 2_000): Promise<OnboardingWorld> {
  const ctx = await createApiApp();
  const book = new PopulationBook();
  const simulator = await startCrmSimulator({ book });
  const crm = await createCrmSoapClient({ url: simulator.url, timeoutMs });
  return {
    ...ctx, book, simulator, crm,
    close: async () => {
      crm.close();
      await simulator.close();
      await ctx.close();
    },
  };
}

export interface Person {
  name: string;
  idNumber: string;
  mobile: string;
  village: string;
  county: string;
}

let deviceCounter = 0;

/** A settled farmer: long tenure, steady spend and top-ups, sleeps at home, many contacts. */
export function goodProfile(person: Person, overrides: Partial<SubscriberProfile> = {}): SubscriberProfile {
  deviceCounter += 1;
  return {
    msisdn: person.mobile,
    identity: { name: person.name, idNumber: person.idNumber },
    status: { status: 'active', since: '2015-03-01' },
    plan: { plan: 'prepaid', activatedOn: '2012-05-20' },
    usage: {
      monthlySpendFen: [6_800, 7_200, 7_000, 7_500, 7_100, 7_400],
      recharges: [5, 4, 3, 2, 1, 0].map((monthsAgo) => ({ date: addDays(TODAY, -(monthsAgo * 30 + 10)), amountFen: 10_000 })),
    },
    address: { installedAddress: `${person.county}${person.village}12号`, county: person.county, village: person.village,
      villagesSeen: [person.village, '石桥村'], homeNightSharePercent: 92 },
    device: { deviceId: `dev-${deviceCounter.toString(16).padStart(12, '0')}`, deviceSince: '2022-01-10', simIssuedOn: '2012-05-20', lastSimSwapOn: null },
    behaviour: { callActiveDays30: 27, outgoingCalls30: 140, smsSent30: 25, regularContacts: 18 },
    ...overrides,
  };
}

export function freshPerson(name = '张建国'): Person {
  return { name, idNumber: freshIdNumber(), mobile: freshMobile(), village: '墩头村', county: '清远县' };
}

export function applicationBody(person: Person, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel: 'store_pos', staffId: 'clerk-7', storeCode: 'GZ-QY-001',
    applicant: { name: person.name, idNumber: person.idNumber, mobile: person.mobile, county: person.county, village: person.village },
    request: { amountFen: 3_000_000, termMonths: 6, purpose: '购买化肥和种子', method: 'equal_principal' },
    otherPlatformsDebt: { amountFen: 0, source: 'declared' },
    consent: { purposes: ['credit_assessment', 'post_loan_monitoring'], method: 'signed_form', evidenceRef: 'scan-0001', grantedAt: new Date().toISOString() },
    ...overrides,
  };
}

export async function submit(world: OnboardingWorld, person: Person, overrides: Record<string, unknown> = {}): Promise<number> {
  const { status, body } = await call(world.app, 'POST', '/v1/applications', applicationBody(person, overrides));
  if (status !== 201) throw new Error(`application refused: ${status} ${JSON.stringify(body)}`);
  return body.id as number;
}

export const assess = (world: OnboardingWorld, id: number): Promise<AssessmentResult> =>
  assessApplication({ db: world.db, crm: world.crm, clock: () => new Date() }, id);

let callCounter = 0;

export async function callback(world: OnboardingWorld, id: number, result: 'confirmed' | 'not_reachable' | 'denied') {
  callCounter += 1;
  return call(world.app, 'POST', `/v1/applications/${id}/callback-result`, { result, agentId: 'agent-3', callId: `call-${callCounter}` });
}

export async function view(world: OnboardingWorld, id: number) {
  return (await call(world.app, 'GET', `/v1/applications/${id}`)).body;
}

/** A person known to the CRM, applied, assessed and confirmed on the callback. */
export async function throughCallback(world: OnboardingWorld, person: Person, profile = goodProfile(person), overrides: Record<string, unknown> = {}) {
  world.book.upsert(profile);
  const id = await submit(world, person, overrides);
  const assessed = await assess(world, id);
  if (assessed.status !== 'awaiting_callback') return { id, assessed, decided: undefined };
  const decided = await callback(world, id, 'confirmed');
  return { id, assessed, decided };
}
