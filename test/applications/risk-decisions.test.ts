/**
 * The risk step through the API: anti-fraud cross-checks, borrowing caps, offline forms,
 * manual review, scorecard versions and replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCORECARD } from '../../src/core/default-scorecard.js';
import { addDays } from '../../src/core/calendar-date.js';
import { call } from '../support/api-app.js';
import {
  assess, callback, createOnboardingWorld, freshPerson, goodProfile, submit, throughCallback, TODAY, view, type OnboardingWorld,
} from './onboarding-support.js';

let world: OnboardingWorld;
beforeAll(async () => { world = await createOnboardingWorld(); });
afterAll(async () => { await world.close(); });

const codes = (v: { hits: { code: string }[] }) => v.hits.map((h) => h.code);

describe('anti-fraud cross-checks send the application to manual review with evidence', () => {
  it('a SIM swapped last week', async () => {
    const person = freshPerson();
    const profile = goodProfile(person);
    profile.device = { ...profile.device!, simIssuedOn: addDays(TODAY, -7), lastSimSwapOn: addDays(TODAY, -7) };
    const { id, decided } = await throughCallback(world, person, profile);
    expect(decided!.body.status).toBe('manual_review');
    const v = await view(world, id);
    expect(codes(v)).toContain('SIM_SWAPPED_RECENTLY');
    expect(v.hits.find((h: { code: string }) => h.code === 'SIM_SWAPPED_RECENTLY').evidence).toMatchObject({ swappedOn: addDays(TODAY, -7) });
  });

  it('a handset shared with another applicant (an application ring)', async () => {
    const first = freshPerson('王一');
    const second = freshPerson('王二');
    const firstProfile = goodProfile(first);
    await throughCallback(world, first, firstProfile);
    const { id, decided } = await throughCallback(world, second, goodProfile(second, { device: { ...firstProfile.device! } }));
    expect(decided!.body.status).toBe('manual_review');
    expect(codes(await view(world, id))).toContain('SHARED_DEVICE');
  });

  it('contacts shared with another applicant', async () => {
    const contacts = [freshPerson().mobile, freshPerson().mobile, freshPerson().mobile];
    const first = freshPerson('赵一');
    const second = freshPerson('赵二');
    const withContacts = (p: typeof first, list: string[]) => ({ applicant: { name: p.name, idNumber: p.idNumber, mobile: p.mobile, county: p.county, village: p.village, contacts: list } });
    await throughCallback(world, first, goodProfile(first), withContacts(first, contacts));
    const { id, decided } = await throughCallback(world, second, goodProfile(second), withContacts(second, [contacts[0]!, contacts[2]!]));
    expect(decided!.body.status).toBe('manual_review');
    expect(codes(await view(world, id))).toContain('SHARED_CONTACTS');
  });

  it('a stated village the handset never slept in', async () => {
    const person = freshPerson();
    const profile = goodProfile(person);
    profile.address = { ...profile.address!, village: '石桥村', villagesSeen: ['石桥村', '上坪村'] };
    const { id, decided } = await throughCallback(world, person, profile);
    expect(decided!.body.status).toBe('manual_review');
    expect(codes(await view(world, id))).toContain('VILLAGE_NOT_SEEN');
  });

  it('a staff member taking more applications in a day than allowed', async () => {
    const staffId = 'installer-busy';
    const people = Array.from({ length: 11 }, () => freshPerson());
    for (const p of people) world.book.upsert(goodProfile(p));
    const ids: number[] = [];
    for (const p of people) ids.push(await submit(world, p, { channel: 'installer_referral', staffId, storeCode: undefined }));
    const last = ids.at(-1)!;
    await assess(world, last);
    expect((await callback(world, last, 'confirmed')).body.status).toBe('manual_review');
    expect(codes(await view(world, last))).toContain('STAFF_VELOCITY');
  });

  it('a name that differs from the real-name record', async () => {
    const person = freshPerson('陈小红');
    const { id, decided } = await throughCallback(world, person, goodProfile(person, { identity: { name: '陈晓红', idNumber: person.idNumber } }));
    expect(decided!.body.status).toBe('manual_review');
    expect(codes(await view(world, id))).toContain('NAME_MISMATCH');
  });
});

describe('borrowing caps', () => {
  it('refuses when debts on other platforms leave no room under CNY 1,000,000', async () => {
    const person = freshPerson();
    const { id, decided } = await throughCallback(world, person, goodProfile(person), { otherPlatformsDebt: { amountFen: 99_950_000, source: 'bureau' } });
    expect(decided!.body.status).toBe('refused');
    expect(codes(await view(world, id))).toContain('TOTAL_CAP_EXHAUSTED');
  });

  it('refuses when the person already owes CNY 199,500 on the platform', async () => {
    const person = freshPerson();
    for (const principalFen of [8_000_000, 8_000_000, 3_950_000]) {
      const loan = await call(world.app, 'POST', '/v1/ops/loans', { borrowerName: person.name, idNumber: person.idNumber, mobile: person.mobile,
        productCode: 'Y001', principalFen, repaymentChannels: ['store_cash'] });
      expect(loan.status).toBe(201);
    }
    const { id, decided } = await throughCallback(world, person, goodProfile(person));
    expect(decided!.body.status).toBe('refused');
    expect(codes(await view(world, id))).toContain('PLATFORM_CAP_EXHAUSTED');
  });

  it('limits the credit to the room left under the platform cap', async () => {
    const person = freshPerson();
    for (const principalFen of [8_000_000, 8_000_000]) {
      await call(world.app, 'POST', '/v1/ops/loans', { borrowerName: person.name, idNumber: person.idNumber, mobile: person.mobile,
        productCode: 'Y001', principalFen, repaymentChannels: ['store_cash'] });
    }
    const { id } = await throughCallback(world, person, goodProfile(person));
    const v = await view(world, id);
    expect(v.decision.creditLimitFen).toBeLessThanOrEqual(4_000_000);
  });
});

describe('offline data, manual review and scorecard versions', () => {
  it('validates forms field by field', async () => {
    const id = await submit(world, freshPerson());
    const { status, body } = await call(world.app, 'POST', `/v1/applications/${id}/home-visit`, {
      officerId: 'officer-1', visitedOn: TODAY, purposeConfirmed: true, householdSize: 4, dependants: 2, monthlyIncomeFen: 400_000,
      incomeSources: ['种植'], assets: [{ kind: 'land', estimatedValueFen: -5 }], existingDebtFen: 0,
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'INVALID_AMOUNT', field: 'homeVisit.assets[0].estimatedValueFen' });
    expect(await world.db.query(`SELECT 1 FROM application_forms WHERE application_id = $1`, [id])).toHaveLength(0);
  });

  it('a late home visit and installer survey lift the score when decided again', async () => {
    const person = freshPerson();
    const { id } = await throughCallback(world, person, goodProfile(person));
    const before = await view(world, id);
    expect((await call(world.app, 'POST', `/v1/applications/${id}/installer-survey`, {
      installerId: 'inst-9', villagesCovered: ['墩头村', '石桥村', '上坪村'], knowsHousehold: true, householdRating: 5, livesInStatedVillage: true,
    })).status).toBe(201);
    expect((await call(world.app, 'POST', `/v1/applications/${id}/home-visit`, {
      officerId: 'officer-1', visitedOn: TODAY, purposeConfirmed: true, householdSize: 4, dependants: 2, monthlyIncomeFen: 600_000,
      incomeSources: ['种植', '务工'], assets: [{ kind: 'land', estimatedValueFen: 5_000_000 }], existingDebtFen: 0,
    })).status).toBe(201);
    const again = await call(world.app, 'POST', `/v1/ops/applications/${id}/decisions`);
    expect(again.status).toBe(201);
    expect(again.body.score).toBeGreaterThan(before.decision.score);
  });

  it('an officer approves a reviewed application but cannot override a refusal', async () => {
    const person = freshPerson();
    const profile = goodProfile(person);
    profile.address = { ...profile.address!, villagesSeen: ['上坪村'] };
    const { id } = await throughCallback(world, person, profile);
    expect((await view(world, id)).status).toBe('manual_review');
    const approved = await call(world.app, 'POST', `/v1/ops/applications/${id}/review`, { outcome: 'approved', reason: '走访确认在本村居住，外出务工' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ outcome: 'approved', decidedBy: 'ops:admin-token' });
    expect((await view(world, id)).status).toBe('approved');
    expect((await call(world.app, 'GET', `/v1/applications/${id}/offers`)).status).toBe(200);
    const again = await call(world.app, 'POST', `/v1/ops/applications/${id}/review`, { outcome: 'refused', reason: 'x' });
    expect(again.status).toBe(409);
  });

  it('new decisions use the activated scorecard; old ones replay with theirs', async () => {
    const person = freshPerson();
    const { id } = await throughCallback(world, person, goodProfile(person));
    const old = (await view(world, id)).decision;
    const stricter = { ...structuredClone(DEFAULT_SCORECARD), version: 'rural-2026.2', baseScore: DEFAULT_SCORECARD.baseScore - 40 };
    expect((await call(world.app, 'POST', '/v1/ops/scorecards', stricter)).status).toBe(201);
    expect((await call(world.app, 'POST', '/v1/ops/scorecards', stricter)).body.code).toBe('SCORECARD_EXISTS');
    expect((await call(world.app, 'POST', '/v1/ops/scorecards/rural-2026.2/activate')).status).toBe(200);
    try {
      const again = await call(world.app, 'POST', `/v1/ops/applications/${id}/decisions`);
      expect(again.body).toMatchObject({ scorecardVersion: 'rural-2026.2', score: old.score - 40 });
      const replay = await call(world.app, 'POST', `/v1/ops/decisions/${old.id}/replay`);
      expect(replay.body).toMatchObject({ matches: true, scorecardVersion: 'rural-2026.1' });
      const stored = await call(world.app, 'GET', `/v1/ops/decisions/${old.id}`);
      expect(stored.body.inputs.profile.msisdn).toBe(person.mobile);
      expect(stored.body.consentId).toBeGreaterThan(0);
    } finally {
      await call(world.app, 'POST', '/v1/ops/scorecards/rural-2026.1/activate');
    }
  });

  it('rejects a scorecard with a gap between bands, naming the place', async () => {
    const broken = structuredClone(DEFAULT_SCORECARD) as { version: string; features: { bands: { min: number | null }[] }[] };
    broken.version = 'broken-1';
    broken.features[0]!.bands[1]!.min = (broken.features[0]!.bands[1]!.min ?? 0) + 1;
    const { status, body } = await call(world.app, 'POST', '/v1/ops/scorecards', broken);
    expect(status).toBe(422);
    expect(body.field).toMatch(/^scorecard\.features\[0\]\.bands/);
  });

  it('a replay notices a decision whose stored result was tampered with', async () => {
    const person = freshPerson();
    const { id } = await throughCallback(world, person, goodProfile(person));
    const decisionId = (await view(world, id)).decision.id;
    await world.db.query(`UPDATE credit_decisions SET result = jsonb_set(result, '{score,score}', '999') WHERE id = $1`, [decisionId]);
    expect((await call(world.app, 'POST', `/v1/ops/decisions/${decisionId}/replay`)).body.matches).toBe(false);
  });
});
