import { describe, expect, it } from 'vitest';
import { CRM_FIELD_GROUPS, minimiseProfile, type CrmChangeEvent, type SubscriberProfile } from '../../src/core/subscriber-profile.js';
import {
  CRM_FAULT_TABLE, CrmWireError, crmChangeBody, lookupArgs, maskedDetail, outcomeForFault, parseCrmChangeEvent, parseLookupArgs, parseProfileReply,
  profileToWire,
} from './mapping.js';

const MSISDN = '13900000001';
const ID_NUMBER = '430923197011114288';

const FULL: SubscriberProfile = {
  msisdn: MSISDN,
  identity: { name: '梁梅秀', idNumber: ID_NUMBER },
  status: { status: 'active', since: '2022-12-06' },
  plan: { plan: 'prepaid', activatedOn: '2022-12-06' },
  usage: { monthlySpendFen: [5194, 6052, 0, 4692, 7715, 8775], recharges: [{ date: '2025-09-07', amountFen: 10_000 }, { date: '2025-11-04', amountFen: 5_000 }] },
  address: { installedAddress: '湖南省益阳市安化县马路口村7组36号', county: '安化县', village: '马路口村', villagesSeen: ['马路口村', '柴家门村'], homeNightSharePercent: 58 },
  device: { deviceId: '25c46a3ee8a752dcd707bd0b4c427cdf', deviceSince: '2025-05-01', simIssuedOn: '2026-03-07', lastSimSwapOn: '2026-03-07' },
  behaviour: { callActiveDays30: 16, outgoingCalls30: 64, smsSent30: 9, regularContacts: 6 },
};

const ALL = { msisdn: MSISDN, purpose: 'credit_assessment' as const, fields: CRM_FIELD_GROUPS };

/** The wire reply as node-soap hands it over with every typed value kept as text. */
function wireReply(profile: SubscriberProfile = FULL): { result: Record<string, Record<string, unknown>> } {
  const result = JSON.parse(JSON.stringify(profileToWire(profile, CRM_FIELD_GROUPS), (_k, v: unknown) => (typeof v === 'number' ? String(v) : v)));
  return { result };
}

function refused(mutate: (wire: Record<string, Record<string, unknown>>) => void): CrmWireError {
  const reply = wireReply();
  mutate(reply.result);
  try {
    parseProfileReply(reply, ALL);
  } catch (error) {
    if (error instanceof CrmWireError) return error;
    throw error;
  }
  throw new Error('the reply was accepted');
}

describe('profile replies', () => {
  it('read back exactly what the carrier holds', () => {
    expect(parseProfileReply(wireReply(), ALL)).toEqual(FULL);
  });

  it('write money as two-decimal yuan and leave out an absent SIM swap', () => {
    const wire = profileToWire({ ...FULL, device: { ...FULL.device!, lastSimSwapOn: null } }, ['usage', 'device']);
    expect(wire).toEqual({
      endUserIdentifier: `tel:+86${MSISDN}`,
      usage: { monthlySpend: ['51.94', '60.52', '0.00', '46.92', '77.15', '87.75'], recharges: [{ date: '2025-09-07', amount: '100.00' }, { date: '2025-11-04', amount: '50.00' }] },
      device: { deviceId: FULL.device!.deviceId, deviceSince: '2025-05-01', simIssuedOn: '2026-03-07' },
    });
    expect(parseProfileReply({ result: wire }, { ...ALL, fields: ['device'] }).device?.lastSimSwapOn).toBeNull();
  });

  it('keep only requested groups the purpose allows, without reading the others', () => {
    const reply = wireReply();
    reply.result.usage!.monthlySpend = 'garbage';
    expect(parseProfileReply(reply, { msisdn: MSISDN, purpose: 'identity_verification', fields: ['identity', 'status', 'usage'] }))
      .toEqual(minimiseProfile(FULL, 'identity_verification'));
    expect(parseProfileReply(wireReply(), { msisdn: MSISDN, purpose: 'credit_assessment', fields: ['plan'] })).toEqual({ msisdn: MSISDN, plan: FULL.plan });
  });

  it('accept an empty recharge list and a single villagesSeen element as node-soap gives them', () => {
    const reply = wireReply();
    delete reply.result.usage!.recharges;
    reply.result.address!.villagesSeen = '马路口村';
    const profile = parseProfileReply(reply, ALL);
    expect(profile.usage?.recharges).toEqual([]);
    expect(profile.address?.villagesSeen).toEqual(['马路口村']);
  });

  it.each([
    ['result.identity.idNumber', 'has a wrong check character', (w: Record<string, Record<string, unknown>>) => { w.identity!.idNumber = '430923197011114280'; }],
    ['result.identity.name', '2 to 50 characters', (w: Record<string, Record<string, unknown>>) => { w.identity!.name = '王'; }],
    ['result.status.status', 'must be one of active, suspended, cancelled', (w: Record<string, Record<string, unknown>>) => { w.status!.status = 'dormant'; }],
    ['result.status.since', 'must be a date written YYYY-MM-DD', (w: Record<string, Record<string, unknown>>) => { w.status!.since = '2022-12-06T00:00:00Z'; }],
    ['result.plan.activatedOn', 'not a real calendar date', (w: Record<string, Record<string, unknown>>) => { w.plan!.activatedOn = '2024-02-30'; }],
    ['result.plan.plan', 'must be one of prepaid, postpaid', (w: Record<string, Record<string, unknown>>) => { w.plan!.plan = 'hybrid'; }],
    ['result.usage.monthlySpend', 'exactly 6 months', (w: Record<string, Record<string, unknown>>) => { w.usage!.monthlySpend = ['1', '2', '3', '4', '5']; }],
    ['result.usage.monthlySpend[2]', 'at most two decimals', (w: Record<string, Record<string, unknown>>) => { w.usage!.monthlySpend = ['1', '2', '3.456', '4', '5', '6']; }],
    ['result.usage.monthlySpend[0]', 'at most two decimals', (w: Record<string, Record<string, unknown>>) => { w.usage!.monthlySpend = ['-1.00', '2', '3', '4', '5', '6']; }],
    ['result.usage.monthlySpend[5]', 'at most two decimals', (w: Record<string, Record<string, unknown>>) => { w.usage!.monthlySpend = ['1', '2', '3', '4', '5', '1e3']; }],
    ['result.usage.recharges[1].amount', 'greater than zero', (w: Record<string, Record<string, unknown>>) => { w.usage!.recharges = [{ date: '2025-09-07', amount: '10' }, { date: '2025-10-01', amount: '0.00' }]; }],
    ['result.usage.recharges[1].date', 'oldest first', (w: Record<string, Record<string, unknown>>) => { w.usage!.recharges = [{ date: '2025-09-07', amount: '10' }, { date: '2025-09-01', amount: '10' }]; }],
    ['result.address.homeNightSharePercent', 'from 0 to 100', (w: Record<string, Record<string, unknown>>) => { w.address!.homeNightSharePercent = '101'; }],
    ['result.address.homeNightSharePercent', 'from 0 to 100', (w: Record<string, Record<string, unknown>>) => { w.address!.homeNightSharePercent = '58.5'; }],
    ['result.address.village', '1 to 50 printable characters', (w: Record<string, Record<string, unknown>>) => { w.address!.village = ''; }],
    ['result.address.villagesSeen[1]', '1 to 50 printable characters', (w: Record<string, Record<string, unknown>>) => { w.address!.villagesSeen = ['马路口村', 'x'.repeat(51)]; }],
    ['result.device.deviceId', 'not a raw IMEI', (w: Record<string, Record<string, unknown>>) => { w.device!.deviceId = '3520990017614823'; }],
    ['result.device.deviceId', 'opaque hash', (w: Record<string, Record<string, unknown>>) => { w.device!.deviceId = 'abc'; }],
    ['result.device.lastSimSwapOn', 'YYYY-MM-DD', (w: Record<string, Record<string, unknown>>) => { w.device!.lastSimSwapOn = 'never'; }],
    ['result.behaviour.regularContacts', 'whole number from 0', (w: Record<string, Record<string, unknown>>) => { w.behaviour!.regularContacts = '-1'; }],
    ['result.behaviour.callActiveDays30', 'from 0 to 30', (w: Record<string, Record<string, unknown>>) => { w.behaviour!.callActiveDays30 = '31'; }],
    ['result.behaviour.smsSent30', 'whole number from 0', (w: Record<string, Record<string, unknown>>) => { delete w.behaviour!.smsSent30; }],
    ['result.device', 'requested but is missing', (w: Record<string, Record<string, unknown>>) => { delete w.device; }],
    ['result.endUserIdentifier', 'not the number asked about', (w: Record<string, Record<string, unknown>>) => { (w as Record<string, unknown>).endUserIdentifier = 'tel:+8613900000002'; }],
    ['result.endUserIdentifier', 'tel:+86 URI', (w: Record<string, Record<string, unknown>>) => { (w as Record<string, unknown>).endUserIdentifier = '13900000001'; }],
  ])('refuse %s (%s) without repeating the value', (field, message, mutate) => {
    const error = refused(mutate);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(ID_NUMBER.slice(0, 17));
  });
});

describe('requests', () => {
  const request = { msisdn: MSISDN, purpose: 'credit_assessment' as const, consentRef: 'C-1', fields: ['usage', 'identity'] as const, referenceCode: 'R-1' };

  it('are written with a tel: URI and the groups in contract order', () => {
    expect(lookupArgs(request)).toEqual({
      endUserIdentifier: `tel:+86${MSISDN}`, purpose: 'credit_assessment', consentReference: 'C-1', fieldGroups: ['identity', 'usage'], referenceCode: 'R-1',
    });
  });

  it('are read by the carrier side with duplicates folded and the consent trimmed', () => {
    expect(parseLookupArgs({
      endUserIdentifier: `tel:+86${MSISDN}`, purpose: 'post_loan_monitoring', consentReference: '  ', fieldGroups: ['status', 'device', 'status'], referenceCode: 'R-1',
    })).toEqual({ msisdn: MSISDN, purpose: 'post_loan_monitoring', consentReference: '', fieldGroups: ['status', 'device'], referenceCode: 'R-1' });
    expect(parseLookupArgs({ endUserIdentifier: `tel:+86${MSISDN}`, purpose: 'credit_assessment', fieldGroups: 'plan', referenceCode: 'R' }).consentReference).toBe('');
  });

  it.each([
    ['endUserIdentifier', { endUserIdentifier: MSISDN }],
    ['purpose', { purpose: 'marketing' }],
    ['fieldGroups', { fieldGroups: undefined }],
    ['fieldGroups[0]', { fieldGroups: ['salary'] }],
    ['referenceCode', { referenceCode: 'x'.repeat(65) }],
  ])('are refused by the carrier side naming %s', (field, overrides) => {
    const body = { endUserIdentifier: `tel:+86${MSISDN}`, purpose: 'credit_assessment', consentReference: 'C', fieldGroups: ['plan'], referenceCode: 'R', ...overrides };
    expect(() => parseLookupArgs(body)).toThrow(expect.objectContaining({ code: 'CRM_WIRE_VALUE_INVALID', field }));
  });
});

describe('faults', () => {
  const fault = (exception: 'ServiceException' | 'PolicyException', messageId: string, text = 'x', variables: string[] = []) => ({ exception, messageId, text, variables });

  it('map through the table, then by family', () => {
    for (const row of CRM_FAULT_TABLE) expect(outcomeForFault(fault(row.messageId.startsWith('POL') ? 'PolicyException' : 'ServiceException', row.messageId)).kind).toBe(row.kind);
    expect(outcomeForFault(fault('PolicyException', 'POL3001')).kind).toBe('unknown_subscriber');
    expect(outcomeForFault(fault('PolicyException', 'POL3002')).kind).toBe('refused');
    expect(outcomeForFault(fault('PolicyException', 'POL3003')).kind).toBe('refused');
    expect(outcomeForFault(fault('PolicyException', 'POL4711')).kind).toBe('refused');
    expect(outcomeForFault(fault('ServiceException', 'SVC4711')).kind).toBe('service_error');
    expect(outcomeForFault({ exception: 'none', messageId: 'SOAP_FAULT', text: 'boom', variables: [] }).kind).toBe('service_error');
  });

  it('never carry a full phone or ID number, on one bounded line', () => {
    const detail = maskedDetail(`user +8613912345678\nid ${ID_NUMBER.slice(0, 17)}x and 11010519491231002X ${'y'.repeat(400)}`);
    expect(detail).toMatch(/^user 139\*\*\*\*5678 id 430923\*\*\*\*\*\*\*\*428X and 110105\*\*\*\*\*\*\*\*002X y+…$/);
    expect(detail.length).toBe(300);
  });
});

describe('change events', () => {
  const base = { eventId: 'CRM1', msisdn: MSISDN, occurredAt: '2026-03-14T20:00:00.000Z' };

  it.each<CrmChangeEvent>([
    { ...base, type: 'status_changed', status: 'suspended' },
    { ...base, type: 'sim_swapped', simIssuedOn: '2026-03-15' },
    { ...base, type: 'number_cancelled' },
    { ...base, type: 'number_cancelled', status: 'cancelled' },
    { ...base, type: 'ported_out', occurredAt: '2026-03-15T04:00:00+08:00' },
  ])('read back what was sent: %j', (event) => {
    expect(parseCrmChangeEvent(JSON.parse(crmChangeBody(event)))).toEqual(event);
  });

  it('ignore fields the contract does not know', () => {
    expect(parseCrmChangeEvent({ ...base, type: 'ported_out', recipientCarrier: 'CU' })).toEqual({ ...base, type: 'ported_out' });
  });

  it.each([
    ['body', null],
    ['eventId', { ...base, eventId: '', type: 'ported_out' }],
    ['msisdn', { ...base, msisdn: '+8613900000001', type: 'ported_out' }],
    ['type', { ...base, type: 'name_changed' }],
    ['occurredAt', { ...base, occurredAt: '2026-03-14 20:00', type: 'ported_out' }],
    ['occurredAt', { ...base, occurredAt: '2026-03-14T20:00:00', type: 'ported_out' }],
    ['status', { ...base, type: 'status_changed' }],
    ['status', { ...base, type: 'status_changed', status: 'frozen' }],
    ['status', { ...base, type: 'number_cancelled', status: 'active' }],
    ['status', { ...base, type: 'sim_swapped', simIssuedOn: '2026-03-15', status: 'active' }],
    ['simIssuedOn', { ...base, type: 'sim_swapped' }],
    ['simIssuedOn', { ...base, type: 'sim_swapped', simIssuedOn: '2026-02-30' }],
    ['simIssuedOn', { ...base, type: 'ported_out', simIssuedOn: '2026-03-15' }],
  ])('refuse a bad %s', (field, json) => {
    expect(() => parseCrmChangeEvent(json)).toThrow(expect.objectContaining({ code: 'CRM_EVENT_INVALID', field }));
  });
});
