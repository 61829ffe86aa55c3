import { beforeAll, describe, expect, it } from 'vitest';
import { daysBetween } from '../../src/core/calendar-date.js';
import { parseIdNumber } from '../../src/core/identity.js';
import { CRM_FIELD_GROUPS, type CrmChangeEvent } from '../../src/core/subscriber-profile.js';
import { parseProfileReply, profileToWire } from './mapping.js';
import { mulberry32 } from '../prng.js';
import { PopulationBook, generatePopulation, idNumberFor, populationMsisdn, type PopulationMember } from './population.js';

const AS_OF = '2026-03-15';
const RURAL_COUNTY_CODES = ['430923', '410225', '510824', '620422', '530627', '360731'];

let population: PopulationMember[];

beforeAll(() => {
  population = generatePopulation({ seed: 20260315, asOf: AS_OF });
});

const share = (test: (m: PopulationMember) => boolean, of: PopulationMember[] = population) => of.filter(test).length / of.length;
const defaultRate = (of: PopulationMember[]) => share((m) => m.hidden.defaulted, of);

describe('generatePopulation', () => {
  it('is deterministic: the same seed gives the same subscribers and outcomes, whatever the size', () => {
    const again = generatePopulation({ seed: 20260315, asOf: AS_OF, size: 200 });
    expect(again).toEqual(population.slice(0, 200));
    expect(again.map((m) => m.hidden)).toEqual(population.slice(0, 200).map((m) => m.hidden));
  });

  it('differs for another seed', () => {
    const other = generatePopulation({ seed: 20260316, asOf: AS_OF, size: 200 });
    expect(other.map((m) => m.profile.msisdn)).toEqual(population.slice(0, 200).map((m) => m.profile.msisdn));
    const same = other.filter((m, i) => m.profile.identity!.idNumber === population[i]!.profile.identity!.idNumber).length;
    expect(same).toBeLessThan(5);
    expect(other.map((m) => m.hidden.defaulted)).not.toEqual(population.slice(0, 200).map((m) => m.hidden.defaulted));
  });

  it('numbers subscribers 139 + an 8-digit index', () => {
    expect(population).toHaveLength(10_000);
    expect(population[0]!.profile.msisdn).toBe('13900000000');
    expect(population[9_999]!.profile.msisdn).toBe('13900009999');
    expect(populationMsisdn(12_345_678)).toBe('13912345678');
  });

  it('gives every subscriber a valid, unique ID number of an adult born 1960-2000 in a rural county', () => {
    const ids = population.map((m) => m.profile.identity!.idNumber);
    for (const id of ids) expect(parseIdNumber(id, 'idNumber')).toBe(id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => RURAL_COUNTY_CODES.includes(id.slice(0, 6)))).toBe(true);
    const years = ids.map((id) => Number(id.slice(6, 10)));
    expect(Math.min(...years)).toBe(1960);
    expect(Math.max(...years)).toBe(2000);
    expect(idNumberFor('110105', '1949-12-31', 2)).toBe('11010519491231002X');
  });

  it('fills every group with values the wire contract accepts', () => {
    for (const { profile } of population) {
      expect(parseProfileReply({ result: profileToWire(profile, CRM_FIELD_GROUPS) }, { msisdn: profile.msisdn, purpose: 'credit_assessment', fields: CRM_FIELD_GROUPS })).toEqual(profile);
    }
  });

  it('varies features the way a rural population does', () => {
    const tenure = population.map((m) => daysBetween(m.profile.plan!.activatedOn, AS_OF) / 30.44);
    expect(Math.min(...tenure)).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...tenure)).toBeLessThanOrEqual(182);
    expect(share((m) => m.profile.plan!.plan === 'prepaid')).toBeGreaterThan(0.76);
    expect(share((m) => m.profile.plan!.plan === 'prepaid')).toBeLessThan(0.84);
    expect(share((m) => m.profile.status!.status === 'suspended')).toBeGreaterThan(0.01);
    expect(share((m) => m.profile.status!.status === 'suspended')).toBeLessThan(0.06);
    expect(share((m) => m.profile.plan!.plan === 'postpaid' && m.profile.usage!.recharges.length > 0)).toBe(0);
    expect(share((m) => m.profile.device!.lastSimSwapOn !== null && daysBetween(m.profile.device!.lastSimSwapOn, AS_OF) <= 90)).toBeGreaterThan(0.02);
    expect(share((m) => m.profile.address!.homeNightSharePercent < 50)).toBeGreaterThan(0.05);
    expect(share((m) => m.profile.behaviour!.regularContacts < 3)).toBeGreaterThan(0.05);
    const monthly = population.map((m) => m.profile.usage!.monthlySpendFen);
    expect(monthly.every((months) => months.length === 6 && months.every((fen) => Number.isSafeInteger(fen) && fen >= 0))).toBe(true);
  });

  it('puts a few subscribers in rings that share one handset', () => {
    const byDevice = new Map<string, number>();
    for (const m of population) byDevice.set(m.profile.device!.deviceId, (byDevice.get(m.profile.device!.deviceId) ?? 0) + 1);
    const rings = [...byDevice.values()].filter((n) => n > 1);
    expect(rings.length).toBeGreaterThan(20);
    expect(rings.reduce((a, b) => a + b, 0) / population.length).toBeLessThan(0.04);
  });

  it('defaults about one in ten, more often where the features say risk', () => {
    const rate = defaultRate(population);
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.15);
    const young = population.filter((m) => daysBetween(m.profile.plan!.activatedOn, AS_OF) < 365);
    const old = population.filter((m) => daysBetween(m.profile.plan!.activatedOn, AS_OF) >= 365 * 3);
    expect(defaultRate(young)).toBeGreaterThan(defaultRate(old) * 1.5);
    const suspended = population.filter((m) => m.profile.status!.status !== 'active');
    expect(defaultRate(suspended)).toBeGreaterThan(rate * 1.5);
    const away = population.filter((m) => m.profile.address!.homeNightSharePercent < 50);
    expect(defaultRate(away)).toBeGreaterThan(rate);
    expect(population.every((m) => m.hidden.defaultProbability > 0 && m.hidden.defaultProbability < 1)).toBe(true);
  });

  it('refuses sizes it cannot number', () => {
    expect(() => generatePopulation({ seed: 1, asOf: AS_OF, size: 100_000_001 })).toThrow(/population size/);
    expect(() => generatePopulation({ seed: 1, asOf: '2026-02-30' })).toThrow(/asOf/);
    expect(generatePopulation({ seed: 1, asOf: AS_OF, size: 0 })).toEqual([]);
  });
});

describe('mulberry32', () => {
  it('is a repeatable stream in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 1_000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    expect(draws.reduce((s, d) => s + d, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});

describe('PopulationBook', () => {
  const first = () => generatePopulation({ seed: 'book', asOf: AS_OF, size: 3 });

  it('holds generated subscribers with their hidden outcome and hands out copies', () => {
    const members = first();
    const book = new PopulationBook(members);
    const msisdn = members[0]!.profile.msisdn;
    expect(book.size).toBe(3);
    expect(book.get(msisdn)).toEqual(members[0]!.profile);
    expect(book.hiddenOutcome(msisdn)).toEqual(members[0]!.hidden);
    book.get(msisdn)!.status!.status = 'cancelled';
    expect(book.get(msisdn)!.status!.status).toBe(members[0]!.profile.status!.status);
    expect(book.get('13700000000')).toBeUndefined();
    expect(PopulationBook.generate({ seed: 'book', asOf: AS_OF, size: 3 }).msisdns()).toEqual(members.map((m) => m.profile.msisdn));
  });

  it('registers a specific subscriber, but only with every group', () => {
    const book = new PopulationBook();
    const profile = { ...first()[1]!.profile, msisdn: '13812345678' };
    book.upsert(profile);
    expect(book.get('13812345678')).toEqual(profile);
    expect(book.hiddenOutcome('13812345678')).toBeUndefined();
    const { behaviour: _dropped, ...partial } = profile;
    expect(() => book.upsert(partial)).toThrow('simulated subscriber 138****5678 lacks behaviour');
  });

  it('refuses a subscriber the wire contract could not carry, naming the field', () => {
    const book = new PopulationBook();
    const profile = { ...first()[1]!.profile, msisdn: '13812345678' };
    expect(() => book.upsert({ ...profile, device: { ...profile.device!, deviceId: '352099001761481' } })).toThrow(expect.objectContaining({ field: 'result.device.deviceId' }));
    expect(() => book.upsert({ ...profile, behaviour: { ...profile.behaviour!, callActiveDays30: 31 } })).toThrow(expect.objectContaining({ field: 'result.behaviour.callActiveDays30' }));
    expect(() => book.upsert({ ...profile, usage: { ...profile.usage!, monthlySpendFen: [1, 2, 3, 4, 5, 6.5] } })).toThrow(expect.objectContaining({ field: 'usage.monthlySpendFen[5]' }));
    expect(book.has('13812345678')).toBe(false);
  });

  it('applies changes at the carrier and tells the listeners', () => {
    const book = new PopulationBook(first());
    const msisdn = populationMsisdn(0);
    const heard: CrmChangeEvent[] = [];
    const stop = book.onChange((event) => heard.push(event));

    const suspended = book.applyChange({ msisdn, type: 'status_changed', status: 'suspended', occurredAt: '2026-03-14T17:00:00.000Z' });
    expect(book.get(msisdn)!.status).toEqual({ status: 'suspended', since: '2026-03-15' });
    const swapped = book.applyChange({ msisdn, type: 'sim_swapped', simIssuedOn: '2026-03-15', eventId: 'SWAP-1' });
    expect(book.get(msisdn)!.device).toMatchObject({ simIssuedOn: '2026-03-15', lastSimSwapOn: '2026-03-15' });
    book.applyChange({ msisdn, type: 'ported_out', occurredAt: '2026-03-16T01:00:00.000Z' });
    expect(book.get(msisdn)!.status).toEqual({ status: 'cancelled', since: '2026-03-16' });
    expect(heard.map((e) => e.type)).toEqual(['status_changed', 'sim_swapped', 'ported_out']);
    expect(heard[0]).toEqual(suspended);
    expect(swapped).toMatchObject({ eventId: 'SWAP-1', occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    expect(new Set(heard.map((e) => e.eventId)).size).toBe(3);

    stop();
    book.applyChange({ msisdn, type: 'number_cancelled' });
    expect(heard).toHaveLength(3);
  });

  it('refuses a change to an unknown number or one that breaks the feed contract', () => {
    const book = new PopulationBook(first());
    expect(() => book.applyChange({ msisdn: '13700000000', type: 'ported_out' })).toThrow('simulated subscriber 137****0000 does not exist');
    expect(() => book.applyChange({ msisdn: populationMsisdn(0), type: 'status_changed' })).toThrow(expect.objectContaining({ field: 'status' }));
    expect(() => book.applyChange({ msisdn: populationMsisdn(0), type: 'sim_swapped' })).toThrow(expect.objectContaining({ field: 'simIssuedOn' }));
  });
});
