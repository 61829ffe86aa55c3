/**
 * Replies the simulator does not make: proxy error pages, a carrier that over-shares or
 * answers about someone else, faults quoting personal numbers. `nock` answers at the HTTP
 * layer; the client is the real one.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CrmPort, SubscriberLookup } from '../../src/risk/crm.port.js';
import { CRM_SOAP_REPLY_BYTES_MAX, SUBSCRIBER_PROFILE_PATH, createCrmSoapClient } from './client.js';

const CARRIER = 'http://crm.carrier.test:8310';
const TIMEOUT_MS = 300;
const MSISDN = '13900000001';
const ID_NUMBER = '430923197011114288';
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const LOCAL = 'http://www.carrier-lending.example/schema/crm/subscriber_profile/v1_0/local';
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

const envelope = (body: string) => `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP}"><s:Body>${body}</s:Body></s:Envelope>`;
const reply = (result: string) => envelope(`<l:getSubscriberProfileResponse xmlns:l="${LOCAL}"><l:result>${result}</l:result></l:getSubscriberProfileResponse>`);
const tel = (msisdn: string) => `<l:endUserIdentifier>tel:+86${msisdn}</l:endUserIdentifier>`;
const identity = `<l:identity><l:name>梁梅秀</l:name><l:idNumber>${ID_NUMBER}</l:idNumber></l:identity>`;
const status = '<l:status><l:status>active</l:status><l:since>2022-12-06</l:since></l:status>';
const brokenUsage = '<l:usage><l:monthlySpend>-1</l:monthlySpend></l:usage>';

const request: SubscriberLookup = { msisdn: MSISDN, purpose: 'identity_verification', consentRef: 'C-1', fields: ['identity', 'status'], referenceCode: 'R-NOCK-1' };

let client: CrmPort;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  client = await createCrmSoapClient({ url: CARRIER, timeoutMs: TIMEOUT_MS });
});

afterEach(() => {
  const done = nock.isDone();
  nock.cleanAll();
  expect(done).toBe(true);
});

afterAll(() => {
  client.close();
  nock.enableNetConnect();
});

const crm = () => nock(CARRIER).post(SUBSCRIBER_PROFILE_PATH);

describe('the request on the wire', () => {
  it('is a document/literal getSubscriberProfile with one element per field group', async () => {
    let sent = '';
    nock(CARRIER)
      .matchHeader('soapaction', '""')
      .post(SUBSCRIBER_PROFILE_PATH, (body: string) => {
        sent = body;
        return true;
      })
      .reply(200, reply(`${tel(MSISDN)}${identity}${status}`), XML);
    expect(await client.lookupSubscriber({ ...request, consentRef: 'C&1 "x"' })).toMatchObject({ kind: 'found' });
    expect(sent).toContain(`<local:endUserIdentifier>tel:+86${MSISDN}</local:endUserIdentifier><local:purpose>identity_verification</local:purpose>`
      + '<local:consentReference>C&amp;1 &quot;x&quot;</local:consentReference><local:fieldGroups>identity</local:fieldGroups>'
      + '<local:fieldGroups>status</local:fieldGroups><local:referenceCode>R-NOCK-1</local:referenceCode>');
  });
});

describe('data minimisation against an over-sharing carrier', () => {
  it('drops groups that were not asked for, unread, even when they are broken', async () => {
    crm().reply(200, reply(`${tel(MSISDN)}${identity}${status}${brokenUsage}<l:plan><l:plan>prepaid</l:plan><l:activatedOn>2020-01-01</l:activatedOn></l:plan>`), XML);
    expect(await client.lookupSubscriber(request)).toEqual({
      kind: 'found', profile: { msisdn: MSISDN, identity: { name: '梁梅秀', idNumber: ID_NUMBER }, status: { status: 'active', since: '2022-12-06' } },
    });
  });

  it('drops a requested group the purpose does not permit, if the carrier answers instead of refusing', async () => {
    crm().reply(200, reply(`${tel(MSISDN)}${identity}${status}`), XML);
    const outcome = await client.lookupSubscriber({ ...request, purpose: 'post_loan_monitoring', fields: ['identity', 'status'] });
    expect(outcome).toEqual({ kind: 'found', profile: { msisdn: MSISDN, status: { status: 'active', since: '2022-12-06' } } });
  });
});

describe('replies that break the contract', () => {
  it('a reply about another number is refused', async () => {
    crm().reply(200, reply(`${tel('13900000002')}${identity}${status}`), XML);
    expect(await client.lookupSubscriber(request)).toEqual({
      kind: 'service_error', code: 'CRM_WIRE_REPLY_INVALID', detail: 'reply does not fit the contract: result.endUserIdentifier is not the number asked about',
    });
  });

  it('a requested group that is missing is refused, naming it', async () => {
    crm().reply(200, reply(`${tel(MSISDN)}${identity}`), XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'service_error', code: 'CRM_WIRE_REPLY_INVALID', detail: expect.stringContaining('result.status was requested but is missing') });
  });

  it('an empty response element is refused', async () => {
    crm().reply(200, envelope(`<l:getSubscriberProfileResponse xmlns:l="${LOCAL}"/>`), XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'service_error', code: 'CRM_WIRE_REPLY_INVALID' });
  });

  it('a status outside the enumeration is refused, naming the field', async () => {
    crm().reply(200, reply(`${tel(MSISDN)}${identity}<l:status><l:status>dormant</l:status><l:since>2022-12-06</l:since></l:status>`), XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'service_error', detail: expect.stringContaining('result.status.status must be one of active, suspended, cancelled') });
  });
});

describe('replies that are not SOAP', () => {
  it.each([502, 503])('HTTP %i with an HTML page is a service error that says so', async (code) => {
    crm().reply(code, '<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body>nginx</body></html>', { 'Content-Type': 'text/html' });
    expect(await client.lookupSubscriber(request)).toEqual({ kind: 'service_error', code: 'NOT_SOAP', detail: `HTTP ${code} reply is text/html, not a SOAP envelope` });
  });

  it('an oversized reply is refused before parsing', async () => {
    crm().reply(200, reply(`${tel(MSISDN)}<l:identity><l:name>${'王'.repeat(CRM_SOAP_REPLY_BYTES_MAX / 3)}</l:name></l:identity>`), XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'service_error', code: 'XML_TOO_LARGE' });
  });

  it('an XXE reply is refused before parsing', async () => {
    crm().reply(200, `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${reply(`${tel(MSISDN)}<l:identity><l:name>&x;</l:name></l:identity>`)}`, XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'service_error', code: 'XML_DTD_FORBIDDEN' });
  });

  it('a connection reset is a timeout: the lookup may be retried', async () => {
    crm().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
  });
});

describe('faults that quote personal numbers', () => {
  const fault = (faultcode: string, faultstring: string, detail = '') =>
    envelope(`<s:Fault><faultcode>${faultcode}</faultcode><faultstring>${faultstring}</faultstring>${detail ? `<detail>${detail}</detail>` : ''}</s:Fault>`);
  const px = (exception: string, messageId: string, text: string, variables: string[]) =>
    `<p:${exception} xmlns:p="http://www.csapi.org/schema/parlayx/common/v2_1"><messageId>${messageId}</messageId><text>${text}</text>${variables.map((v) => `<variables>${v}</variables>`).join('')}</p:${exception}>`;

  it('masks ID and phone numbers in the detail', async () => {
    crm().reply(500, fault('s:Server', 'refused', px('PolicyException', 'POL3002', 'Consent of %1 (ID %2) was withdrawn', [`8613900000001`, ID_NUMBER])), XML);
    const outcome = await client.lookupSubscriber(request);
    expect(outcome).toEqual({ kind: 'refused', code: 'POL3002', detail: 'PolicyException POL3002: Consent of 139****0001 (ID 430923********4288) was withdrawn' });
  });

  it('a message id in faultcode with an empty detail (as some SDPs send it) is still mapped', async () => {
    crm().reply(500, fault('POL3001', 'no such user'), XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'unknown_subscriber', code: 'POL3001' });
  });

  it('a bare server fault is a service error', async () => {
    crm().reply(500, fault('s:Server', 'java.lang.NullPointerException'), XML);
    expect(await client.lookupSubscriber(request)).toMatchObject({ kind: 'service_error', code: 'SOAP_FAULT' });
  });
});
