/**
 * CrmPort over the real wire: the CRM simulator on a random port and the real client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CRM_FIELD_GROUPS, type CrmFieldGroup, type CrmPurpose, type SubscriberProfile } from '../../src/core/subscriber-profile.js';
import type { CrmPort, SubscriberLookup } from '../../src/risk/crm.port.js';
import { SUBSCRIBER_PROFILE_PATH, createCrmSoapClient } from './client.js';
import { PopulationBook, populationMsisdn } from './population.js';
import { startCrmSimulator, type CrmSimulator } from './simulator.js';

const AS_OF = '2026-03-15';
const CLIENT_TIMEOUT_MS = 400;
const KNOWN = populationMsisdn(1);
const UNKNOWN = '13700000000';

let book: PopulationBook;
let simulator: CrmSimulator;
let client: CrmPort;
let full: SubscriberProfile;

function lookup(overrides: Partial<SubscriberLookup> = {}): SubscriberLookup {
  return { msisdn: KNOWN, purpose: 'credit_assessment', consentRef: 'CONSENT-2026-0001', fields: [...CRM_FIELD_GROUPS], referenceCode: 'CRM-REF-1', ...overrides };
}

const only = (purpose: CrmPurpose, fields: CrmFieldGroup[]) => lookup({ purpose, fields });

beforeAll(() => {
  book = PopulationBook.generate({ size: 40, seed: 'crm-client-test', asOf: AS_OF });
});

beforeEach(async () => {
  full = book.get(KNOWN)!;
  simulator = await startCrmSimulator({ book });
  client = await createCrmSoapClient({ url: simulator.url, timeoutMs: CLIENT_TIMEOUT_MS });
});

afterEach(async () => {
  client.close();
  await simulator.close();
});

describe('found', () => {
  it('credit assessment gets every group, exactly as the carrier holds it', async () => {
    expect(await client.lookupSubscriber(lookup())).toEqual({ kind: 'found', profile: full });
    expect(simulator.requests()).toEqual([{
      operation: 'getSubscriberProfile', msisdn: '139****0001', purpose: 'credit_assessment', fieldGroups: [...CRM_FIELD_GROUPS],
      referenceCode: 'CRM-REF-1', at: expect.any(Date), reply: 'ok',
    }]);
  });

  it('identity verification gets identity and status only: the carrier sends nothing else', async () => {
    const outcome = await client.lookupSubscriber(only('identity_verification', ['identity', 'status']));
    expect(outcome).toEqual({ kind: 'found', profile: { msisdn: KNOWN, identity: full.identity, status: full.status } });
  });

  it('post-loan monitoring may ask for fewer groups than allowed and gets just those', async () => {
    const outcome = await client.lookupSubscriber(only('post_loan_monitoring', ['device']));
    expect(outcome).toEqual({ kind: 'found', profile: { msisdn: KNOWN, device: full.device } });
  });

  it('sees a change applied at the carrier on the next lookup', async () => {
    book.applyChange({ msisdn: KNOWN, type: 'status_changed', status: 'suspended', occurredAt: '2026-03-14T20:00:00.000Z' });
    try {
      const outcome = await client.lookupSubscriber(only('post_loan_monitoring', ['status']));
      expect(outcome).toEqual({ kind: 'found', profile: { msisdn: KNOWN, status: { status: 'suspended', since: '2026-03-15' } } });
    } finally {
      book.upsert(full, book.hiddenOutcome(KNOWN));
    }
  });

  it('answers 32 concurrent lookups of different subscribers, each with its own profile', async () => {
    const numbers = Array.from({ length: 32 }, (_, i) => populationMsisdn(i));
    const outcomes = await Promise.all(numbers.map((msisdn, i) => client.lookupSubscriber(lookup({ msisdn, referenceCode: `CRM-CONC-${i}` }))));
    expect(outcomes.map((o) => (o.kind === 'found' ? o.profile.msisdn : o.kind))).toEqual(numbers);
    expect(outcomes.every((o, i) => o.kind === 'found' && o.profile.identity?.idNumber === book.get(numbers[i]!)!.identity!.idNumber)).toBe(true);
  });
});

describe('refusals by the carrier', () => {
  it('an unknown number is unknown_subscriber, with the number masked in the detail and the log', async () => {
    const outcome = await client.lookupSubscriber(lookup({ msisdn: UNKNOWN }));
    expect(outcome).toEqual({ kind: 'unknown_subscriber', code: 'POL3001', detail: 'PolicyException POL3001: Unknown subscriber tel:137****0000' });
    expect(JSON.stringify(simulator.requests())).not.toContain(UNKNOWN);
  });

  it.each(['', '   '])('a consent reference of %j is refused with POL3002 and reveals nothing', async (consentRef) => {
    const outcome = await client.lookupSubscriber(lookup({ consentRef, msisdn: UNKNOWN }));
    expect(outcome).toMatchObject({ kind: 'refused', code: 'POL3002' });
  });

  it('a group the purpose does not permit is refused with POL3003 naming it, before existence is checked', async () => {
    const outcome = await client.lookupSubscriber(lookup({ purpose: 'identity_verification', fields: ['identity', 'usage', 'device'], msisdn: UNKNOWN }));
    expect(outcome).toEqual({
      kind: 'refused', code: 'POL3003', detail: 'PolicyException POL3003: Field group usage,device is not permitted for purpose identity_verification',
    });
  });
});

describe('injected faults', () => {
  it.each([
    ['ServiceException', 'SVC0001', 'service_error'],
    ['PolicyException', 'POL0002', 'refused'],
    ['PolicyException', 'POL9999', 'refused'],
    ['ServiceException', 'SVC0004', 'unknown_subscriber'],
    ['ServiceException', 'SVC9999', 'service_error'],
  ] as const)('%s %s is %s, for one call only', async (exception, messageId, kind) => {
    simulator.faults.fault({ exception, messageId, variables: ['CRM busy'] });
    expect(await client.lookupSubscriber(lookup())).toMatchObject({ kind, code: messageId, detail: `${exception} ${messageId}: A ${exception === 'ServiceException' ? 'service' : 'policy'} error occurred. Error code is CRM busy` });
    expect(await client.lookupSubscriber(lookup())).toMatchObject({ kind: 'found' });
    expect(simulator.faults.pending()).toBe(0);
  });

  it('a hung carrier is a timeout at the deadline; the next lookup is answered', async () => {
    simulator.faults.hang({ msisdn: KNOWN });
    const started = Date.now();
    expect(await client.lookupSubscriber(lookup())).toEqual({ kind: 'timeout', code: 'TIMEOUT', detail: `no reply within ${CLIENT_TIMEOUT_MS} ms` });
    expect(Date.now() - started).toBeLessThan(CLIENT_TIMEOUT_MS + 200);
    expect(await client.lookupSubscriber(lookup())).toMatchObject({ kind: 'found' });
    expect(simulator.requests().map((r) => r.reply)).toEqual(['hang', 'ok']);
  });

  it('a slow reply within the deadline is fine; one later than it is a timeout', async () => {
    simulator.faults.delay({ delayMs: CLIENT_TIMEOUT_MS / 2 });
    expect(await client.lookupSubscriber(lookup())).toMatchObject({ kind: 'found' });
    simulator.faults.delay({ delayMs: CLIENT_TIMEOUT_MS + 100 });
    expect(await client.lookupSubscriber(lookup())).toMatchObject({ kind: 'timeout' });
  });

  it('a 200 with broken XML is a service error saying so', async () => {
    simulator.faults.malformed({ mode: 'broken_xml' });
    const outcome = await client.lookupSubscriber(lookup());
    expect(outcome).toMatchObject({ kind: 'service_error', code: 'MALFORMED_XML' });
    expect(outcome.kind !== 'found' && outcome.detail).toMatch(/^HTTP 200 reply is not well-formed XML/);
  });

  it('a well-formed reply with impossible values is a service error naming the field, never the value', async () => {
    simulator.faults.malformed({ mode: 'schema_violation', times: 2 });
    const outcome = await client.lookupSubscriber(lookup());
    expect(outcome).toEqual({
      kind: 'service_error', code: 'CRM_WIRE_VALUE_INVALID',
      detail: 'reply does not fit the contract: result.identity.idNumber has a wrong check character',
    });
    expect(await client.lookupSubscriber(only('post_loan_monitoring', ['address']))).toEqual({
      kind: 'service_error', code: 'CRM_WIRE_VALUE_INVALID',
      detail: 'reply does not fit the contract: result.address.homeNightSharePercent must be a whole number from 0 to 100',
    });
  });
});

describe('requests that never leave', () => {
  it.each<[string, Partial<SubscriberLookup>]>([
    ['msisdn', { msisdn: '12345' }],
    ['purpose', { purpose: 'marketing' as CrmPurpose }],
    ['fields', { fields: [] }],
    ['fields[1]', { fields: ['identity', 'income' as CrmFieldGroup] }],
    ['fields', { fields: ['identity', 'identity'] as CrmFieldGroup[] }],
    ['referenceCode', { referenceCode: '' }],
    ['consentRef', { consentRef: 'x'.repeat(65) }],
  ])('a malformed %s is our bug: rejected before anything is sent', async (field, overrides) => {
    await expect(client.lookupSubscriber(lookup(overrides))).rejects.toMatchObject({ code: 'CRM_WIRE_VALUE_INVALID', field });
    expect(simulator.requests()).toEqual([]);
  });
});

describe('the simulator as a carrier', () => {
  const envelope = (body: string) => `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${body}</soap:Body></soap:Envelope>`;
  const request = (tel: string) => `<l:getSubscriberProfile xmlns:l="http://www.carrier-lending.example/schema/crm/subscriber_profile/v1_0/local">`
    + `<l:endUserIdentifier>${tel}</l:endUserIdentifier><l:purpose>credit_assessment</l:purpose><l:consentReference>C1</l:consentReference>`
    + '<l:fieldGroups>identity</l:fieldGroups><l:referenceCode>R1</l:referenceCode></l:getSubscriberProfile>';
  const post = (body: string) => fetch(`${simulator.url}${SUBSCRIBER_PROFILE_PATH}`, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body });

  it('refuses an XXE request before parsing it, and logs the refusal', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${envelope(request('&x;'))}`;
    const response = await post(xxe);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain('<messageId>SVC0001</messageId>');
    expect(text).toContain('<variables>XML_DTD_FORBIDDEN</variables>');
    expect(text).not.toContain('root:');
    expect(simulator.requests()).toEqual([{ operation: 'refused', at: expect.any(Date), reply: 'XML_DTD_FORBIDDEN' }]);
  });

  it('refuses an entity-expansion bomb the same way', async () => {
    const entities = ['<!ENTITY l0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`)];
    const response = await post(`<?xml version="1.0"?><!DOCTYPE lolz [${entities.join('')}]>${envelope(request('&l9;'))}`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('<variables>XML_DTD_FORBIDDEN</variables>');
  });

  it('answers a request that breaks the contract with SVC0002 naming the part', async () => {
    const response = await post(envelope(request('tel:+86123')));
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain('SVC0002');
    expect(text).toContain('endUserIdentifier');
  });

  it('serves a hand-written request like any SOAP toolkit would send it', async () => {
    const response = await post(envelope(request(`tel:+86${KNOWN}`)));
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain(`<local:idNumber>${full.identity!.idNumber}</local:idNumber>`);
    expect(text).not.toContain('<local:status>');
  });
});

describe('transport', () => {
  let closedPort: number;
  beforeAll(async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closedPort = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a refused connection is a service error', async () => {
    const unreachable = await createCrmSoapClient({ url: `http://127.0.0.1:${closedPort}`, timeoutMs: CLIENT_TIMEOUT_MS });
    try {
      expect(await unreachable.lookupSubscriber(lookup())).toMatchObject({ kind: 'service_error', code: 'UNREACHABLE' });
    } finally {
      unreachable.close();
    }
  });

  it('refuses options it cannot honour', async () => {
    await expect(createCrmSoapClient({ url: 'ftp://crm.example', timeoutMs: 100 })).rejects.toThrow(/http\(s\)/);
    await expect(createCrmSoapClient({ url: simulator.url, timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });
});
