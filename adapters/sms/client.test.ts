/**
 * SmsPort over the real wire: the SMS gateway simulator on a random port and the real client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SmsPort, SmsSendRequest } from '../../src/sms/sms.port.js';
import { SEND_SMS_PATH, createSmsSoapClient } from './client.js';
import { startSmsSimulator, type SmsSimulator } from './simulator.js';

const CLIENT_TIMEOUT_MS = 400;
const PHONE = '13900000001';
const UNKNOWN = '13700000000';
const BARRED = '13800000002';
const OTP = '【惠农贷】验证码384912，用于签署借款合同，5分钟内有效。工作人员不会向您索要验证码。';

let simulator: SmsSimulator;
let client: SmsPort;
let counter = 0;

/** A fresh reference per message, as the outbound queue gives. */
function message(overrides: Partial<SmsSendRequest> = {}): SmsSendRequest {
  counter += 1;
  return { msisdn: PHONE, text: OTP, reference: `otp-${counter}`, ...overrides };
}

beforeEach(async () => {
  simulator = await startSmsSimulator({ unknownNumbers: [UNKNOWN], barredNumbers: [BARRED] });
  client = await createSmsSoapClient({ url: simulator.url, timeoutMs: CLIENT_TIMEOUT_MS, senderName: '1069012345' });
});

afterEach(async () => {
  client.close();
  await simulator.close();
});

describe('accepted', () => {
  it('delivers the text to the phone under our reference, and logs the number masked and never the text', async () => {
    const request = message();
    const outcome = await client.send(request);
    expect(outcome).toEqual({ kind: 'accepted', requestIdentifier: expect.stringMatching(/^SMS[0-9A-Z]+$/), segments: 1 });
    expect(simulator.inbox(PHONE)).toEqual([{ text: OTP, reference: request.reference, receivedAt: expect.any(Date), segments: 1 }]);
    expect(simulator.requests()).toEqual([{
      operation: 'sendSms', msisdn: '139****0001', correlator: request.reference, segments: 1,
      requestIdentifier: outcome.kind === 'accepted' ? outcome.requestIdentifier : '', at: expect.any(Date), reply: 'ok',
    }]);
    const log = JSON.stringify(simulator.requests());
    expect(log).not.toContain(PHONE);
    expect(log).not.toContain('384912');
  });

  it('counts the segments the gateway sends: a long Chinese text is concatenated, a plain one is GSM-7', async () => {
    const long = '您好，'.repeat(30);
    expect(await client.send(message({ text: long }))).toMatchObject({ kind: 'accepted', segments: 2 });
    expect(await client.send(message({ text: 'a'.repeat(160) }))).toMatchObject({ kind: 'accepted', segments: 1 });
    expect(simulator.inbox(PHONE).map((m) => m.segments)).toEqual([2, 1]);
  });

  it('carries markup and line feeds in the text unchanged', async () => {
    const text = 'Code <123> & "quotes"\n回复TD退订';
    expect(await client.send(message({ text }))).toMatchObject({ kind: 'accepted' });
    expect(simulator.inbox(PHONE)[0]!.text).toBe(text);
  });

  it('a resend with the same reference gets the same requestIdentifier and is delivered once', async () => {
    const request = message();
    const first = await client.send(request);
    const again = await client.send(request);
    expect(again).toEqual(first);
    expect(simulator.inbox(PHONE)).toHaveLength(1);
    expect(simulator.requests().map((r) => r.reply)).toEqual(['ok', 'duplicate']);
  });

  it('the same reference for another text is not delivered: a service error naming the correlator', async () => {
    const request = message();
    await client.send(request);
    expect(await client.send({ ...request, text: '另一条消息' })).toMatchObject({
      kind: 'service_error', code: 'SVC0002', detail: 'ServiceException SVC0002: Invalid input value for message part receiptRequest.correlator',
    });
    expect(simulator.inbox(PHONE)).toHaveLength(1);
  });

  it('answers 32 concurrent sends to different phones, each phone getting its own message once', async () => {
    const phones = Array.from({ length: 32 }, (_, i) => `1390000${String(1000 + i)}`);
    // A deadline of its own: 32 calls at once on a loaded test machine may take longer than CLIENT_TIMEOUT_MS.
    const patient = await createSmsSoapClient({ url: simulator.url, timeoutMs: 10_000, senderName: '1069012345' });
    const outcomes = await Promise.all(phones.map((msisdn, i) => patient.send(message({ msisdn, text: `code ${i}` })))).finally(() => patient.close());
    expect(new Set(outcomes.map((o) => (o.kind === 'accepted' ? o.requestIdentifier : o.kind))).size).toBe(32);
    expect(phones.map((p) => simulator.inbox(p).map((m) => m.text))).toEqual(phones.map((_, i) => [`code ${i}`]));
  });
});

describe('refusals by the gateway', () => {
  it('an unknown number is refused with SVC0004 and nothing is delivered', async () => {
    expect(await client.send(message({ msisdn: UNKNOWN }))).toEqual({
      kind: 'refused', code: 'SVC0004', detail: 'ServiceException SVC0004: No valid addresses provided in message part addresses',
    });
    expect(simulator.inbox(UNKNOWN)).toEqual([]);
  });

  it('a barred number is refused with POL3101, the number masked in the detail and the log', async () => {
    const outcome = await client.send(message({ msisdn: BARRED }));
    expect(outcome).toEqual({ kind: 'refused', code: 'POL3101', detail: 'PolicyException POL3101: Messages to tel:138****0002 are barred' });
    expect(JSON.stringify(simulator.requests())).not.toContain(BARRED);
  });

  it('an opted-out number is refused with POL3102', async () => {
    simulator.bar(PHONE, 'opted_out');
    expect(await client.send(message())).toEqual({
      kind: 'refused', code: 'POL3102', detail: 'PolicyException POL3102: tel:139****0001 has opted out of messages from 1069012345',
    });
  });

  it('a refusal is not remembered: once the bar is lifted the same reference is delivered', async () => {
    simulator.bar(PHONE);
    const request = message();
    expect(await client.send(request)).toMatchObject({ kind: 'refused', code: 'POL3101' });
    simulator.unbar(PHONE);
    expect(await client.send(request)).toMatchObject({ kind: 'accepted' });
    expect(simulator.inbox(PHONE)).toHaveLength(1);
  });

  it('a message delivered before the number was barred is answered as delivered, not refused', async () => {
    const request = message();
    const first = await client.send(request);
    simulator.bar(PHONE);
    expect(await client.send(request)).toEqual(first);
  });
});

describe('injected faults', () => {
  it.each([
    ['ServiceException', 'SVC0001', ['SMSC busy'], 'service_error'],
    ['ServiceException', 'SVC9999', ['SMSC busy'], 'service_error'],
    ['PolicyException', 'POL0001', ['SMSC busy'], 'refused'],
    ['PolicyException', 'POL9999', ['SMSC busy'], 'refused'],
    ['ServiceException', 'SVC0280', ['SMSC busy'], 'refused'],
  ] as const)('%s %s is %s, for one call only', async (exception, messageId, variables, kind) => {
    simulator.faults.fault({ exception, messageId, variables: [...variables] });
    expect(await client.send(message())).toEqual({
      kind, code: messageId, detail: `${exception} ${messageId}: A ${exception === 'ServiceException' ? 'service' : 'policy'} error occurred. Error code is SMSC busy`,
    });
    expect(await client.send(message())).toMatchObject({ kind: 'accepted' });
    expect(simulator.faults.pending()).toBe(0);
  });

  it('SVC0002 naming the addresses is a refusal of the number; naming another part it is a service error', async () => {
    simulator.faults.fault({ exception: 'ServiceException', messageId: 'SVC0002', text: 'Invalid input value for message part %1', variables: ['addresses'] });
    expect(await client.send(message())).toMatchObject({ kind: 'refused', code: 'SVC0002' });
    simulator.faults.fault({ exception: 'ServiceException', messageId: 'SVC0002', text: 'Invalid input value for message part %1', variables: ['message'] });
    expect(await client.send(message())).toMatchObject({ kind: 'service_error', code: 'SVC0002' });
  });

  it('SVC0005 (duplicate correlator) from a gateway that does not repeat its first answer means the first send stands', async () => {
    const request = message();
    simulator.faults.fault({ exception: 'ServiceException', messageId: 'SVC0005', text: 'Duplicate correlator %1', variables: [request.reference] });
    expect(await client.send(request)).toEqual({ kind: 'accepted', requestIdentifier: `correlator:${request.reference}`, segments: 1 });
  });

  it('a fault quoting a phone number gives a detail with the number masked', async () => {
    simulator.faults.fault({ exception: 'PolicyException', messageId: 'POL0001', text: 'Subscriber %1 is in a blacklist', variables: ['+8613912345678'] });
    const outcome = await client.send(message());
    expect(outcome).toEqual({ kind: 'refused', code: 'POL0001', detail: 'PolicyException POL0001: Subscriber 139****5678 is in a blacklist' });
  });

  it('a hung gateway is a timeout at the deadline; the next send is answered', async () => {
    simulator.faults.hang({ msisdn: PHONE });
    const started = Date.now();
    expect(await client.send(message())).toEqual({ kind: 'timeout', code: 'TIMEOUT', detail: `no reply within ${CLIENT_TIMEOUT_MS} ms` });
    expect(Date.now() - started).toBeLessThan(CLIENT_TIMEOUT_MS + 200);
    expect(simulator.inbox(PHONE)).toEqual([]);
    expect(await client.send(message())).toMatchObject({ kind: 'accepted' });
    expect(simulator.requests().map((r) => r.reply)).toEqual(['hang', 'ok']);
  });

  it('a reply lost after delivery is a timeout; the resend with the same reference is answered and not delivered again', async () => {
    simulator.faults.hang({ msisdn: PHONE, mode: 'deliverThenHang' });
    const request = message();
    expect(await client.send(request)).toMatchObject({ kind: 'timeout' });
    expect(simulator.inbox(PHONE)).toHaveLength(1);
    const resent = await client.send(request);
    expect(resent).toMatchObject({ kind: 'accepted' });
    expect(simulator.inbox(PHONE)).toHaveLength(1);
    expect(resent.kind === 'accepted' && resent.requestIdentifier).toBe(simulator.requests()[0]!.requestIdentifier);
  });

  it('a slow reply within the deadline is fine; one later than it is a timeout', async () => {
    simulator.faults.delay({ delayMs: CLIENT_TIMEOUT_MS / 2 });
    expect(await client.send(message())).toMatchObject({ kind: 'accepted' });
    simulator.faults.delay({ delayMs: CLIENT_TIMEOUT_MS + 100 });
    expect(await client.send(message())).toMatchObject({ kind: 'timeout' });
  });

  it('a 200 with broken XML is a service error saying so; the resend is not delivered again', async () => {
    simulator.faults.malformed({ mode: 'broken_xml' });
    const request = message();
    const outcome = await client.send(request);
    expect(outcome).toMatchObject({ kind: 'service_error', code: 'MALFORMED_XML' });
    expect(outcome.kind !== 'accepted' && outcome.detail).toMatch(/^HTTP 200 reply is not well-formed XML/);
    expect(await client.send(request)).toMatchObject({ kind: 'accepted' });
    expect(simulator.inbox(PHONE)).toHaveLength(1);
  });

  it('a well-formed reply with an unusable requestIdentifier is a service error naming the field', async () => {
    simulator.faults.malformed({ mode: 'schema_violation' });
    expect(await client.send(message())).toEqual({
      kind: 'service_error', code: 'SMS_WIRE_REPLY_INVALID',
      detail: 'reply does not fit the contract: result must be 1 to 128 characters without spaces or markup',
    });
  });
});

describe('requests that never leave', () => {
  it.each<[string, Partial<SmsSendRequest>]>([
    ['msisdn', { msisdn: '12345' }],
    ['msisdn', { msisdn: `+86${PHONE}` }],
    ['text', { text: '' }],
    ['text', { text: '元'.repeat(671) }],
    ['text', { text: 'a\u0000b' }],
    ['reference', { reference: '' }],
    ['reference', { reference: 'has space' }],
    ['reference', { reference: 'r'.repeat(65) }],
  ])('a malformed %s is our bug: rejected before anything is sent', async (field, overrides) => {
    await expect(client.send(message(overrides))).rejects.toMatchObject({ code: 'SMS_WIRE_VALUE_INVALID', field });
    expect(simulator.requests()).toEqual([]);
  });
});

describe('the simulator as a gateway', () => {
  const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
  const LOCAL = 'http://www.csapi.org/schema/parlayx/sms/send/v2_2/local';
  const envelope = (body: string) => `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NS}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
  const sendSms = (addresses: string[], extra = '', correlator = 'hand-1') => `<l:sendSms xmlns:l="${LOCAL}">`
    + addresses.map((a) => `<l:addresses>${a}</l:addresses>`).join('') + `<l:senderName>10690</l:senderName>${extra}<l:message>你好</l:message>`
    + `<l:receiptRequest><endpoint>urn:x</endpoint><interfaceName>SmsNotification</interfaceName><correlator>${correlator}</correlator></l:receiptRequest></l:sendSms>`;
  const post = (body: string) => fetch(`${simulator.url}${SEND_SMS_PATH}`, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body });

  it('serves a hand-written request like any SOAP toolkit would send it, and reports its delivery status', async () => {
    const response = await post(envelope(sendSms([`tel:+86${PHONE}`])));
    const text = await response.text();
    expect(response.status).toBe(200);
    const id = /<local:result>([^<]+)<\/local:result>/.exec(text)?.[1];
    expect(id).toMatch(/^SMS/);
    expect(simulator.inbox(PHONE)).toEqual([{ text: '你好', reference: 'hand-1', receivedAt: expect.any(Date), segments: 1 }]);
    const status = await (await post(envelope(`<l:getSmsDeliveryStatus xmlns:l="${LOCAL}"><l:requestIdentifier>${id}</l:requestIdentifier></l:getSmsDeliveryStatus>`))).text();
    expect(status).toContain('DeliveredToTerminal');
    expect(status).toContain(`tel:+86${PHONE}`);
    const unknown = await post(envelope(`<l:getSmsDeliveryStatus xmlns:l="${LOCAL}"><l:requestIdentifier>SMS-NOPE</l:requestIdentifier></l:getSmsDeliveryStatus>`));
    expect(unknown.status).toBe(500);
    expect(await unknown.text()).toContain('<variables>requestIdentifier</variables>');
  });

  it('refuses an XXE request before parsing it, and logs the refusal', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${envelope(sendSms(['&x;']))}`;
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
    const response = await post(`<?xml version="1.0"?><!DOCTYPE lolz [${entities.join('')}]>${envelope(sendSms(['&l9;']))}`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('<variables>XML_DTD_FORBIDDEN</variables>');
  });

  it.each([
    ['an address that is not a tel: URI', sendSms(['13900000001']), 'SVC0002', 'addresses[0]'],
    ['two addresses', sendSms([`tel:+86${PHONE}`, 'tel:+8613900000002']), 'POL0003', 'addresses'],
    ['a charge to the recipient', sendSms([`tel:+86${PHONE}`], '<l:charging><description>x</description></l:charging>'), 'POL0008', ''],
    ['a correlator with spaces', sendSms([`tel:+86${PHONE}`], '', 'a b'), 'SVC0002', 'receiptRequest.correlator'],
  ])('answers %s with %s and delivers nothing', async (_what, body, messageId, variable) => {
    const response = await post(envelope(body));
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain(`<messageId>${messageId}</messageId>`);
    if (variable) expect(text).toContain(`<variables>${variable}</variables>`);
    expect(simulator.inbox(PHONE)).toEqual([]);
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
    const unreachable = await createSmsSoapClient({ url: `http://127.0.0.1:${closedPort}`, timeoutMs: CLIENT_TIMEOUT_MS, senderName: '10690' });
    try {
      expect(await unreachable.send(message())).toMatchObject({ kind: 'service_error', code: 'UNREACHABLE' });
    } finally {
      unreachable.close();
    }
  });

  it('refuses options it cannot honour', async () => {
    await expect(createSmsSoapClient({ url: 'ftp://sms.example', timeoutMs: 100, senderName: '10690' })).rejects.toThrow(/http\(s\)/);
    await expect(createSmsSoapClient({ url: simulator.url, timeoutMs: 0, senderName: '10690' })).rejects.toThrow(/timeoutMs/);
    await expect(createSmsSoapClient({ url: simulator.url, timeoutMs: 100, senderName: '' })).rejects.toThrow(/senderName/);
    await expect(createSmsSoapClient({ url: simulator.url, timeoutMs: 100, senderName: '10690', receiptEndpoint: 'not a uri' })).rejects.toThrow(/receiptEndpoint/);
  });
});
