/**
 * The request on the wire, and replies the simulator does not make: proxy error pages,
 * Huawei-style faults, oversized or hostile XML, a connection cut after sending. `nock`
 * answers at the HTTP layer; the client is the real one.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmsPort, SmsSendRequest } from '../../src/sms/sms.port.js';
import { SEND_SMS_PATH, SMS_SOAP_REPLY_BYTES_MAX, createSmsSoapClient } from './client.js';
import { RECEIPT_ENDPOINT_NONE } from './mapping.js';

const GATEWAY = 'http://sms.carrier.test:8310';
const TIMEOUT_MS = 300;
const MSISDN = '13900000001';
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const LOCAL = 'http://www.csapi.org/schema/parlayx/sms/send/v2_2/local';
const COMMON = 'http://www.csapi.org/schema/parlayx/common/v2_1';
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

const envelope = (body: string) => `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP}"><s:Body>${body}</s:Body></s:Envelope>`;
const accepted = (id: string) => envelope(`<l:sendSmsResponse xmlns:l="${LOCAL}"><l:result>${id}</l:result></l:sendSmsResponse>`);
const fault = (faultcode: string, detail: string) => envelope(`<s:Fault><faultcode>${faultcode}</faultcode><faultstring>refused</faultstring><detail>${detail}</detail></s:Fault>`);

const request: SmsSendRequest = { msisdn: MSISDN, text: '验证码 <123456> & "x"', reference: 'otp-77' };

let client: SmsPort;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  client = await createSmsSoapClient({ url: GATEWAY, timeoutMs: TIMEOUT_MS, senderName: '1069012345' });
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

const gateway = () => nock(GATEWAY).post(SEND_SMS_PATH);

describe('the request on the wire', () => {
  it('is a document/literal sendSms with one address and our reference as the unqualified receipt correlator', async () => {
    let sent = '';
    nock(GATEWAY)
      .matchHeader('soapaction', '""')
      .post(SEND_SMS_PATH, (body: string) => {
        sent = body;
        return true;
      })
      .reply(200, accepted('100001'), XML);
    expect(await client.send(request)).toEqual({ kind: 'accepted', requestIdentifier: '100001', segments: 1 });
    expect(sent).toContain(`<local:addresses>tel:+86${MSISDN}</local:addresses><local:senderName>1069012345</local:senderName>`
      + '<local:message>验证码 &lt;123456&gt; &amp; &quot;x&quot;</local:message>'
      + `<local:receiptRequest xmlns=""><endpoint>${RECEIPT_ENDPOINT_NONE}</endpoint><interfaceName>SmsNotification</interfaceName>`
      + '<correlator>otp-77</correlator></local:receiptRequest>');
    expect(sent).not.toContain('charging');
  });

  it('names the configured receipt endpoint', async () => {
    const withReceipts = await createSmsSoapClient({ url: GATEWAY, timeoutMs: TIMEOUT_MS, senderName: '10690', receiptEndpoint: 'https://lender.example/v1/carrier/sms/receipts' });
    try {
      let sent = '';
      nock(GATEWAY).post(SEND_SMS_PATH, (body: string) => {
        sent = body;
        return true;
      }).reply(200, accepted('100002'), XML);
      await withReceipts.send(request);
      expect(sent).toContain('<endpoint>https://lender.example/v1/carrier/sms/receipts</endpoint>');
    } finally {
      withReceipts.close();
    }
  });
});

describe('replies the simulator does not make', () => {
  it('a proxy error page is a service error saying it is not SOAP', async () => {
    gateway().reply(502, '<html><body>Bad Gateway</body></html>', { 'Content-Type': 'text/html' });
    expect(await client.send(request)).toEqual({ kind: 'service_error', code: 'NOT_SOAP', detail: 'HTTP 502 reply is text/html, not a SOAP envelope' });
  });

  it('a Parlay X fault on HTTP 200 is still read as a fault', async () => {
    gateway().reply(200, fault('soap:Server', `<px:PolicyException xmlns:px="${COMMON}"><messageId>POL3101</messageId><text>Messages to %1 are barred</text><variables>tel:+86${MSISDN}</variables></px:PolicyException>`), XML);
    expect(await client.send(request)).toEqual({ kind: 'refused', code: 'POL3101', detail: 'PolicyException POL3101: Messages to tel:139****0001 are barred' });
  });

  it('a message id in faultcode with an empty detail (Huawei SDP style) is mapped by the table', async () => {
    gateway().reply(500, fault('SVC0004', ''), XML);
    expect(await client.send(request)).toMatchObject({ kind: 'refused', code: 'SVC0004' });
  });

  it('a fault without a Parlay X detail is a service error', async () => {
    gateway().reply(500, fault('soap:Server', '<trace>java.lang.NullPointerException</trace>'), XML);
    expect(await client.send(request)).toMatchObject({ kind: 'service_error', code: 'SOAP_FAULT' });
  });

  it('a reply with a DTD is refused before any parser sees it', async () => {
    gateway().reply(200, `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${accepted('&x;')}`, XML);
    expect(await client.send(request)).toMatchObject({ kind: 'service_error', code: 'XML_DTD_FORBIDDEN' });
  });

  it('a reply larger than the limit is refused while reading', async () => {
    gateway().reply(200, accepted('x'.repeat(SMS_SOAP_REPLY_BYTES_MAX)), XML);
    expect(await client.send(request)).toMatchObject({ kind: 'service_error', code: 'XML_TOO_LARGE' });
  });

  it('a connection cut after the request was sent is a timeout: the message may have gone out', async () => {
    gateway().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(await client.send(request)).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
  });

  it('an empty sendSmsResponse is a reply that breaks the contract', async () => {
    gateway().reply(200, envelope(`<l:sendSmsResponse xmlns:l="${LOCAL}"/>`), XML);
    expect(await client.send(request)).toMatchObject({ kind: 'service_error', code: 'SMS_WIRE_REPLY_INVALID' });
  });
});
