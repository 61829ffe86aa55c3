/**
 * The simulated carrier's subscribers: a deterministic synthetic rural population for the CRM
 * simulator, the sandbox and risk-model tests, plus a hidden "truth" per subscriber (did they
 * default?) that only tests and the sandbox's evaluation may look at. Nothing here is real
 * data; names, villages and ID numbers are generated (ID numbers are valid GB 11643 numbers
 * of plausible people, so validation code paths are exercised).
 *
 * Determinism: subscriber i is drawn from its own mulberry32 stream seeded by
 * hash(seed, i), so the same seed gives the same subscribers whatever the population size
 * (a population of 100 is the first 100 of a population of 10 000), and the default draw
 * uses a second stream hash(seed, i, "outcome") so adding a profile feature never reshuffles
 * the outcomes of unrelated subscribers more than necessary.
 *
 * Numbers: subscriber i is 139 followed by i as 8 digits (13900000000, 13900000001, ...).
 *
 * Hidden default probability (logistic; features read from the profile at `asOf`):
 *
 *   z = DEFAULT_LOGIT_BASE (-4.45)
 *     + 0.9  * max(0, ln(24 / tenureMonths))        short tenure: +0 beyond 2 years, +2.9 at 1 month
 *     + 0.8  * max(0, ln(40 / meanMonthlySpendYuan))  low spend: +0 from 40 yuan a month, +1.1 at 10 yuan
 *     + 1.0  * min(2, spendVariation)                irregular spend: coefficient of variation of the months since activation
 *     + 1.2  * monthsWithoutRechargeShare            prepaid only: share of active months without a top-up
 *     + 0.35 * max(0, 5 - regularContacts)           few regular contacts: up to +1.75 with none
 *     + 1.5  * (1 - homeNightSharePercent / 100)     nights away from the home village
 *     + 0.9  * [SIM issued or swapped in the last 90 days]
 *     + 1.5  * [suspended]   + 2.5 * [cancelled]
 *     + 1.2  * [handset shared with a ring of other numbers]
 *   defaultProbability = 1 / (1 + e^-z);  defaulted = (outcome stream draw < defaultProbability)
 *
 * The base is calibrated so that about 10 % of a population defaults (population.test.ts
 * holds it within 5-15 %). The ring term uses the generator's knowledge of who is in a ring;
 * a model can only see it as several numbers sharing one deviceId.
 */
import { createHash } from 'node:crypto';
import { addDays, addMonthsClamped, daysBetween, daysInMonth, parseCalendarDate, shanghaiDate, type CalendarDate } from '../../src/core/calendar-date.js';
import { maskMobile } from '../../src/core/identity.js';
import type { Fen } from '../../src/core/money.js';
import {
  CRM_FIELD_GROUPS, type CrmChangeEvent, type Recharge, type SubscriberProfile, type SubscriberStatus,
} from '../../src/core/subscriber-profile.js';
import { mulberry32 } from '../prng.js';
import { USAGE_MONTHS, parseCrmChangeEvent, parseProfileReply, profileToWire } from './mapping.js';

export const POPULATION_SIZE_DEFAULT = 10_000;
/** Subscriber numbers are 139 + an 8-digit index, so at most 10^8 subscribers. */
export const POPULATION_SIZE_MAX = 100_000_000;
export const POPULATION_FIRST_MSISDN = 13_900_000_000;
/** Subscribers are grouped in blocks of this many indices; the ring members of a block share one handset. */
export const DEVICE_RING_BLOCK = 250;
/** Share of subscribers in a device ring: about 5 numbers per ring. */
export const DEVICE_RING_SHARE = 0.02;
export const DEFAULT_LOGIT_BASE = -4.45;

// ---------------------------------------------------------------- seeded randomness


/** FNV-1a, 32 bits: turns (seed, index) into a stream seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Rng = () => number;

const between = (r: Rng, min: number, max: number) => min + Math.floor(r() * (max - min + 1));
const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
/** Standard normal by Box-Muller; two draws. */
const normal = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

// ---------------------------------------------------------------- places and people

interface County { code: string; province: string; city: string; name: string; villages: readonly string[] }

/** Rural counties with their GB/T 2260 codes (the first six ID digits) and a few villages each. */
const COUNTIES: readonly County[] = [
  { code: '430923', province: '湖南省', city: '益阳市', name: '安化县', villages: ['墩头村', '烟溪村', '大福村', '马路口村', '江南村', '梅城村', '仙溪村', '龙塘村'] },
  { code: '410225', province: '河南省', city: '开封市', name: '兰考县', villages: ['张庄村', '胡寨村', '赵垛楼村', '董堂村', '东坝头村', '杨庄村', '三义寨村', '朱庄村'] },
  { code: '510824', province: '四川省', city: '广元市', name: '苍溪县', villages: ['白桥村', '文昌村', '五龙村', '陵江村', '石门村', '石马村', '桥溪村', '九龙村'] },
  { code: '620422', province: '甘肃省', city: '白银市', name: '会宁县', villages: ['郭城村', '丁家沟村', '新塬村', '河畔村', '杨崖集村', '红堡子村', '大沟村', '柴家门村'] },
  { code: '530627', province: '云南省', city: '昭通市', name: '镇雄县', villages: ['以古村', '坡头村', '母享村', '雨河村', '大湾村', '黑树村', '牛场村', '芒部村'] },
  { code: '360731', province: '江西省', city: '赣州市', name: '于都县', villages: ['梓山村', '潭头村', '寒信村', '段屋村', '银坑村', '黄麟村', '车溪村', '罗坳村'] },
];

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '许', '邓', '冯', '韩', '曹'];
const GIVEN_MALE = ['伟', '强', '军', '勇', '国', '建', '明', '平', '刚', '志', '华', '林', '峰', '海', '涛', '春', '德', '成', '福', '生'];
const GIVEN_FEMALE = ['芳', '丽', '敏', '静', '秀', '英', '娟', '霞', '燕', '玲', '兰', '梅', '红', '萍', '娥', '凤', '琴', '云', '桂', '莲'];

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

/** GB 11643-1999: region, birth date, sequence (odd for men), ISO 7064 MOD 11-2 check character. */
export function idNumberFor(regionCode: string, birthDate: CalendarDate, sequence: number): string {
  const body = `${regionCode}${birthDate.replace(/-/g, '')}${String(sequence).padStart(3, '0')}`;
  const sum = ID_WEIGHTS.reduce((acc, weight, i) => acc + weight * Number(body[i]), 0);
  return `${body}${ID_CHECK_CHARS[sum % 11]}`;
}

const hex = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

// ---------------------------------------------------------------- the risk truth

/** What the hidden default probability is computed from (see the formula at the top). */
export interface RiskFeatures {
  tenureMonths: number;
  meanMonthlySpendYuan: number;
  spendVariation: number;
  /** 0 for postpaid numbers. */
  monthsWithoutRechargeShare: number;
  regularContacts: number;
  homeNightSharePercent: number;
  recentSim: boolean;
  status: SubscriberStatus;
  inDeviceRing: boolean;
}

/** The months of the usage window (oldest first) as [first day, last day]. */
function usageMonths(asOf: CalendarDate): [CalendarDate, CalendarDate][] {
  const firstOfThisMonth = `${asOf.slice(0, 8)}01`;
  return Array.from({ length: USAGE_MONTHS }, (_, k) => {
    const start = addMonthsClamped(firstOfThisMonth, k - USAGE_MONTHS);
    return [start, addDays(addMonthsClamped(start, 1), -1)];
  });
}

/** Reads the formula's features from a full profile; `inDeviceRing` is the generator's knowledge. */
export function riskFeatures(profile: SubscriberProfile, asOf: CalendarDate, inDeviceRing: boolean): RiskFeatures {
  const { plan, usage, address, device, behaviour, status } = profile;
  if (!plan || !usage || !address || !device || !behaviour || !status) throw new Error('risk features need a full profile');
  const tenureMonths = Math.max(1, daysBetween(plan.activatedOn, asOf) / 30.44);
  // Only months the number existed for count: a new number's empty months are tenure, not thrift.
  const months = usageMonths(asOf).map(([start, end], k) => ({ start, end, fen: usage.monthlySpendFen[k] ?? 0 })).filter((m) => m.end >= plan.activatedOn);
  const spends = months.map((m) => m.fen / 100);
  const mean = spends.length > 0 ? spends.reduce((a, b) => a + b, 0) / spends.length : 0;
  const sd = spends.length > 1 ? Math.sqrt(spends.reduce((a, b) => a + (b - mean) ** 2, 0) / spends.length) : 0;
  const rechargedMonths = months.filter((m) => usage.recharges.some((r) => r.date >= m.start && r.date <= m.end)).length;
  const swapOrIssue = device.lastSimSwapOn ?? device.simIssuedOn;
  return {
    tenureMonths,
    meanMonthlySpendYuan: mean,
    spendVariation: mean > 0 ? sd / mean : 2,
    monthsWithoutRechargeShare: plan.plan === 'prepaid' && months.length > 0 ? 1 - rechargedMonths / months.length : 0,
    regularContacts: behaviour.regularContacts,
    homeNightSharePercent: address.homeNightSharePercent,
    recentSim: daysBetween(swapOrIssue, asOf) <= 90,
    status: status.status,
    inDeviceRing,
  };
}

export function defaultProbability(f: RiskFeatures): number {
  const z = DEFAULT_LOGIT_BASE
    + 0.9 * Math.max(0, Math.log(24 / f.tenureMonths))
    + 0.8 * Math.max(0, Math.log(40 / Math.max(1, f.meanMonthlySpendYuan)))
    + 1.0 * Math.min(2, f.spendVariation)
    + 1.2 * f.monthsWithoutRechargeShare
    + 0.35 * Math.max(0, 5 - f.regularContacts)
    + 1.5 * (1 - f.homeNightSharePercent / 100)
    + (f.recentSim ? 0.9 : 0)
    + (f.status === 'suspended' ? 1.5 : f.status === 'cancelled' ? 2.5 : 0)
    + (f.inDeviceRing ? 1.2 : 0);
  return 1 / (1 + Math.exp(-z));
}

// ---------------------------------------------------------------- one subscriber

export interface HiddenOutcome {
  defaultProbability: number;
  defaulted: boolean;
}

export interface PopulationMember {
  /** Every field group present. */
  profile: SubscriberProfile;
  hidden: HiddenOutcome;
}

export interface PopulationOptions {
  size?: number;
  seed: number | string;
  /** The day the population is observed; usage covers the 6 complete months before it. */
  asOf: CalendarDate;
}

export function populationMsisdn(index: number): string {
  return String(POPULATION_FIRST_MSISDN + index);
}

const laterOf = (a: CalendarDate, b: CalendarDate) => (a > b ? a : b);

function person(r: Rng, asOf: CalendarDate) {
  const home = pick(r, COUNTIES);
  const village = pick(r, home.villages);
  // Most people were born where they live; a few moved in from another county.
  const birthCounty = r() < 0.9 ? home : pick(r, COUNTIES);
  // Born 1960-2000, and at least 18 on asOf: only adults hold a real-name registered number here.
  const year = between(r, 1960, Math.min(2000, Number(asOf.slice(0, 4)) - 18));
  const month = between(r, 1, 12);
  const birthDate = `${year}-${String(month).padStart(2, '0')}-${String(between(r, 1, daysInMonth(year, month))).padStart(2, '0')}`;
  const male = r() < 0.52;
  const given = male ? GIVEN_MALE : GIVEN_FEMALE;
  const name = pick(r, SURNAMES) + pick(r, given) + (r() < 0.7 ? pick(r, given) : '');
  const idNumber = idNumberFor(birthCounty.code, birthDate, between(r, 0, 499) * 2 + (male ? 1 : 0));
  return { home, village, birthDate, name, idNumber };
}

function monthlySpend(r: Rng, months: [CalendarDate, CalendarDate][], activatedOn: CalendarDate, irregular: boolean): Fen[] {
  const baseYuan = Math.min(400, Math.max(8, Math.exp(Math.log(38) + 0.55 * normal(r))));
  const sigma = irregular ? 0.3 + 0.6 * r() : 0.05 + 0.2 * r();
  return months.map(([, end]) => {
    const draw = Math.max(0, 1 + sigma * normal(r));
    const idle = irregular && r() < sigma * 0.3;
    return end < activatedOn || idle ? 0 : Math.round(baseYuan * draw * 100);
  });
}

const DENOMINATIONS_YUAN = [10, 20, 30, 50, 100];

function rechargesFor(r: Rng, months: [CalendarDate, CalendarDate][], spend: Fen[], activatedOn: CalendarDate, irregular: boolean): Recharge[] {
  const chance = irregular ? 0.35 + 0.4 * r() : 0.9 + 0.1 * r();
  const out: Recharge[] = [];
  months.forEach(([start, end], k) => {
    if (end < activatedOn || r() >= chance) return;
    const wantYuan = Math.max(10, (spend[k] ?? 0) / 100);
    const times = wantYuan > 60 && r() < 0.5 ? 2 : 1;
    const days = Array.from({ length: times }, () => between(r, 0, daysBetween(start, end))).sort((a, b) => a - b);
    for (const day of days) {
      const date = addDays(start, day);
      if (date < activatedOn) continue;
      // The card or voucher nearest to what the month needs.
      const yuan = DENOMINATIONS_YUAN.reduce((best, d) => (Math.abs(d - wantYuan / times) < Math.abs(best - wantYuan / times) ? d : best));
      out.push({ date, amountFen: yuan * 100 });
    }
  });
  return out;
}

function member(seed: string, index: number, asOf: CalendarDate): PopulationMember {
  const r = mulberry32(hash32(`${seed}:${index}`));
  const msisdn = populationMsisdn(index);
  const who = person(r, asOf);
  const prepaid = r() < 0.8;

  // Tenure 1-180 months, but never a number registered before the holder turned 16.
  const tenureMonths = r() < 0.18 ? between(r, 1, 12) : between(r, 13, 180);
  const activatedOn = laterOf(addDays(addMonthsClamped(asOf, -tenureMonths), -between(r, 0, 27)), addMonthsClamped(who.birthDate, 16 * 12));
  const daysActive = Math.max(1, daysBetween(activatedOn, asOf));

  const statusDraw = r();
  const status: SubscriberStatus = statusDraw < 0.03 ? 'suspended' : statusDraw < 0.035 ? 'cancelled' : 'active';
  const since = status === 'active' ? activatedOn : laterOf(activatedOn, addDays(asOf, -between(r, 1, 120)));

  const irregular = r() < 0.3;
  const months = usageMonths(asOf);
  const spend = monthlySpend(r, months, activatedOn, irregular);
  const recharges = prepaid ? rechargesFor(r, months, spend, activatedOn, irregular || r() < 0.1) : [];

  // Most people sleep at home; migrant workers spend many nights in other villages.
  const migrant = r() < 0.2;
  const homeNightSharePercent = migrant ? between(r, 10, 70) : between(r, 75, 100);
  const elsewhere = migrant ? pick(r, COUNTIES) : who.home;
  const others = Array.from({ length: migrant ? between(r, 1, 4) : between(r, 0, 2) }, () => pick(r, elsewhere.villages)).filter((v) => v !== who.village);
  const villagesSeen = [...new Set(homeNightSharePercent >= 50 ? [who.village, ...others] : [...others, who.village])];

  // SIM: issued at activation, unless swapped since; some swaps are recent (a fraud signal).
  const swapDraw = r();
  const swapOn = swapDraw < 0.04 ? addDays(asOf, -between(r, 1, 90)) : swapDraw < 0.1 ? addDays(asOf, -between(r, 91, 1500)) : null;
  const lastSimSwapOn = swapOn !== null && swapOn > activatedOn ? swapOn : null;
  const inDeviceRing = r() < DEVICE_RING_SHARE;
  const deviceId = inDeviceRing ? hex(`${seed}:ring:${Math.floor(index / DEVICE_RING_BLOCK)}`) : hex(`${seed}:device:${index}`);
  const deviceSince = addDays(asOf, -between(r, 0, Math.min(daysActive, 4 * 365)));

  const lonely = r() < 0.15;
  const regularContacts = status === 'cancelled' ? 0 : lonely ? between(r, 0, 2) : between(r, 3, 12) + Math.floor(20 * r() * r());
  const callActiveDays30 = status === 'active' ? between(r, lonely ? 2 : 8, 30) : status === 'suspended' ? between(r, 0, 3) : 0;
  const outgoingCalls30 = callActiveDays30 * between(r, 1, 6);
  const smsSent30 = status === 'active' ? between(r, 0, 40) : 0;

  const profile: SubscriberProfile = {
    msisdn,
    identity: { name: who.name, idNumber: who.idNumber },
    status: { status, since },
    plan: { plan: prepaid ? 'prepaid' : 'postpaid', activatedOn },
    usage: { monthlySpendFen: spend, recharges },
    address: {
      installedAddress: `${who.home.province}${who.home.city}${who.home.name}${who.village}${between(r, 1, 12)}组${between(r, 1, 80)}号`,
      county: who.home.name,
      village: who.village,
      villagesSeen,
      homeNightSharePercent,
    },
    device: { deviceId, deviceSince, simIssuedOn: lastSimSwapOn ?? activatedOn, lastSimSwapOn },
    behaviour: { callActiveDays30, outgoingCalls30, smsSent30, regularContacts },
  };
  const p = defaultProbability(riskFeatures(profile, asOf, inDeviceRing));
  const outcome = mulberry32(hash32(`${seed}:${index}:outcome`));
  return { profile, hidden: { defaultProbability: p, defaulted: outcome() < p } };
}

/** The first `size` subscribers of the population `seed` as seen on `asOf`. */
export function generatePopulation(options: PopulationOptions): PopulationMember[] {
  const size = options.size ?? POPULATION_SIZE_DEFAULT;
  if (!Number.isInteger(size) || size < 0 || size > POPULATION_SIZE_MAX) throw new Error(`population size must be a whole number from 0 to ${POPULATION_SIZE_MAX}`);
  const asOf = parseCalendarDate(options.asOf, 'asOf');
  const seed = String(options.seed);
  const members = Array.from({ length: size }, (_, index) => member(seed, index, asOf));
  // Two people drawn with the same county and birthday may draw the same sequence number; the
  // later one takes the next free number of the same sex, as the registry would have given it.
  // Earlier subscribers never change, so a smaller population is still a prefix of a larger one.
  const used = new Set<string>();
  for (const { profile } of members) {
    const identity = profile.identity!;
    while (used.has(identity.idNumber)) {
      const id = identity.idNumber;
      identity.idNumber = idNumberFor(id.slice(0, 6), `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`, (Number(id.slice(14, 17)) + 2) % 1000);
    }
    used.add(identity.idNumber);
  }
  return members;
}

// ---------------------------------------------------------------- the carrier's book

/** A change to apply; the book fills in eventId and occurredAt (now) when they are left out. */
export type CrmChangeInput = Omit<CrmChangeEvent, 'eventId' | 'occurredAt'> & { eventId?: string; occurredAt?: string };

export type CrmChangeListener = (event: CrmChangeEvent) => void;

/**
 * The simulated CRM's subscriber records, shared by the SOAP simulator and the change
 * notifier. get() hands out copies, so only upsert() and applyChange() change a record.
 */
export class PopulationBook {
  private readonly profiles = new Map<string, SubscriberProfile>();
  private readonly hidden = new Map<string, HiddenOutcome>();
  private readonly listeners = new Set<CrmChangeListener>();
  private eventCounter = 0;

  constructor(members: Iterable<PopulationMember> = []) {
    // Generated members fit the contract by construction (population.test.ts checks every one).
    for (const m of members) this.store(m.profile, m.hidden);
  }

  static generate(options: PopulationOptions): PopulationBook {
    return new PopulationBook(generatePopulation(options));
  }

  get size(): number {
    return this.profiles.size;
  }

  /** A copy of the full profile; undefined when the carrier has no such number. */
  get(msisdn: string): SubscriberProfile | undefined {
    const profile = this.profiles.get(msisdn);
    return profile && structuredClone(profile);
  }

  has(msisdn: string): boolean {
    return this.profiles.has(msisdn);
  }

  msisdns(): string[] {
    return [...this.profiles.keys()];
  }

  /**
   * Adds or replaces a subscriber. Every field group must be present (the simulator may be
   * asked for any) and fit the wire contract: the carrier cannot hold what it could not send,
   * so a bad value is refused here, naming the field, rather than surfacing later as a
   * service_error at the client. Use the fault plan's `malformed` to test bad replies.
   */
  upsert(profile: SubscriberProfile, hidden?: HiddenOutcome): void {
    if (!/^1[3-9]\d{9}$/.test(profile.msisdn)) throw new Error('simulated subscriber needs an 11-digit mainland mobile number');
    const missing = CRM_FIELD_GROUPS.filter((g) => profile[g] === undefined);
    if (missing.length > 0) throw new Error(`simulated subscriber ${maskMobile(profile.msisdn)} lacks ${missing.join(', ')}`);
    parseProfileReply({ result: profileToWire(profile, CRM_FIELD_GROUPS) }, { msisdn: profile.msisdn, purpose: 'credit_assessment', fields: CRM_FIELD_GROUPS });
    this.store(profile, hidden);
  }

  private store(profile: SubscriberProfile, hidden: HiddenOutcome | undefined): void {
    this.profiles.set(profile.msisdn, structuredClone(profile));
    if (hidden) this.hidden.set(profile.msisdn, { ...hidden });
    else this.hidden.delete(profile.msisdn);
  }

  /** The generator's truth for a generated subscriber; undefined for one registered without it. */
  hiddenOutcome(msisdn: string): HiddenOutcome | undefined {
    const h = this.hidden.get(msisdn);
    return h && { ...h };
  }

  /**
   * Applies a change at the carrier and tells the listeners (the change notifier). A number
   * that is cancelled or ported out stays on file as `cancelled` from the day of the event
   * (Asia/Shanghai): the CRM keeps the record, it just no longer serves the number.
   */
  applyChange(change: CrmChangeInput): CrmChangeEvent {
    const profile = this.profiles.get(change.msisdn);
    if (!profile?.status || !profile.device) throw new Error(`simulated subscriber ${maskMobile(change.msisdn)} does not exist`);
    this.eventCounter += 1;
    const now = new Date();
    // The event goes through the receiver's own parser: what the book emits is what the contract allows.
    const event = parseCrmChangeEvent({
      ...change,
      eventId: change.eventId ?? `CRM${now.getTime()}${String(this.eventCounter).padStart(6, '0')}`,
      occurredAt: change.occurredAt ?? now.toISOString(),
    });
    const day = shanghaiDate(new Date(event.occurredAt));
    switch (event.type) {
      case 'status_changed':
        profile.status = { status: event.status!, since: day };
        break;
      case 'number_cancelled':
      case 'ported_out':
        profile.status = { status: 'cancelled', since: day };
        break;
      case 'sim_swapped':
        profile.device = { ...profile.device, simIssuedOn: event.simIssuedOn!, lastSimSwapOn: event.simIssuedOn! };
        break;
    }
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Listens to every applied change; returns the way to stop listening. */
  onChange(listener: CrmChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
