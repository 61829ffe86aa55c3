/**
 * What a simulator cannot easily make: broken connections, proxy error pages, malformed and
 * hostile XML. `nock` answers at the HTTP layer; the client is the real one.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_MANAGEMENT_PATH, AMOUNT_CHARGING_PATH, BILLING_SOAP_REPLY_BYTES_MAX, createBillingSoapClient, type BillingSoapClient,
} from './soap-client.js';
import { sdpPasswordDigest } from './soap-mapping.js';

const CARRIER = 'http://sdp.carrier.test:8310';
const TIMEOUT_MS = 300;
const request = { msisdn: '13800000001', amountFen: 1_000, description: 'repayment', referenceCode: 'R-NOCK-1' };

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const LOCAL = 'http://www.csapi.org/schema/parlayx/payment/amount_charging/v2_1/local';
const envelope = (body: string) => `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="${SOAP}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };
const HTML = { 'Content-Type': 'text/html' };

let client: BillingSoapClient;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  client = await createBillingSoapClient({ url: CARRIER, timeoutMs: TIMEOUT_MS });
});

afterEach(() => {
  expect(nock.isDone()).toBe(true);
  nock.cleanAll();
});

afterAll(() => {
  client.close();
  nock.enableNetConnect();
});

const charging = () => nock(CARRIER).post(AMOUNT_CHARGING_PATH);

describe('the request on the wire', () => {
  it('is a document/literal chargeAmount with unqualified charge fields and the SDP header when an spId is set', async () => {
    let sent = '';
    nock(CARRIER)
      .matchHeader('soapaction', '""')
      .matchHeader('content-type', 'text/xml; charset=utf-8')
      .post(AMOUNT_CHARGING_PATH, (body: string) => {
        sent = body;
        return true;
      })
      .reply(200, envelope(`<ns:chargeAmountResponse xmlns:ns="${LOCAL}"/>`), XML);
    const withSp = await createBillingSoapClient({ url: CARRIER, timeoutMs: TIMEOUT_MS, spId: '000201', spPassword: 'pw' });
    try {
      expect(await withSp.charge({ ...request, description: 'R&D <loan>' })).toEqual({ kind: 'charged', amountFen: 1_000 });
    } finally {
      withSp.close();
    }
    expect(sent).toContain('<local:endUserIdentifier>tel:+8613800000001</local:endUserIdentifier>');
    expect(sent).toContain('<local:charge xmlns=""><description>R&amp;D &lt;loan&gt;</description><currency>CNY</currency><amount>10.00</amount></local:charge>');
    expect(sent).toContain('<local:referenceCode>R-NOCK-1</local:referenceCode>');
    const timeStamp = /<sdp:timeStamp>(\d{14})<\/sdp:timeStamp>/.exec(sent)?.[1] ?? '';
    expect(sent).toContain(`<sdp:spId>000201</sdp:spId><sdp:spPassword>${sdpPasswordDigest('000201', 'pw', timeStamp)}</sdp:spPassword>`);
    expect(sent).not.toContain('>pw<');
  });
});

describe('transport failures', () => {
  it('a connection reset is a timeout: the charge may have happened, retry with the same reference', async () => {
    // nock surfaces an Error instance as the request's 'error' event (a plain object would be lost).
    charging().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(await client.charge(request)).toMatchObject({ kind: 'timeout', code: 'TIMEOUT', detail: expect.stringMatching(/^connection lost before the reply \(ECONNRESET/) });
  });

  it('a reply later than the deadline is a timeout', async () => {
    charging().delay(TIMEOUT_MS + 200).reply(200, envelope(`<ns:chargeAmountResponse xmlns:ns="${LOCAL}"/>`), XML);
    const started = Date.now();
    expect(await client.charge(request)).toMatchObject({ kind: 'timeout', detail: `no reply within ${TIMEOUT_MS} ms` });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 150);
  });

  it.each([
    ['closes the connection without a word', ''],
    ['cuts the reply off halfway', `HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 900\r\n\r\n${envelope('').slice(0, 80)}`],
  ])('a real server that reads the request and %s: timeout', async (_what, partialReply) => {
    const server = net.createServer((socket) => {
      socket.once('data', () => socket.end(partialReply, () => socket.destroy()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const broken = await createBillingSoapClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 2_000 });
    try {
      const started = Date.now();
      expect(await broken.charge(request)).toMatchObject({ kind: 'timeout', detail: expect.stringMatching(/^connection lost before the reply/) });
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      broken.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a refused connection is a service error (nothing was sent)', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closed = await createBillingSoapClient({ url: `http://127.0.0.1:${port}`, timeoutMs: TIMEOUT_MS });
    try {
      expect(await closed.charge(request)).toMatchObject({ kind: 'service_error', code: 'UNREACHABLE' });
    } finally {
      closed.close();
    }
  });
});

describe('replies that are not SOAP', () => {
  it.each([500, 502, 503])('HTTP %i with an HTML page is a service error that says so', async (status) => {
    charging().reply(status, '<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body>nginx</body></html>', HTML);
    expect(await client.charge(request)).toEqual({
      kind: 'service_error', code: 'NOT_SOAP', detail: `HTTP ${status} reply is text/html, not a SOAP envelope`,
    });
  });

  it('an HTML page labelled text/xml is still not SOAP', async () => {
    charging().reply(503, '<html><body>Service Unavailable</body></html>', XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'NOT_SOAP' });
  });

  it('an empty 200 is not a charge', async () => {
    charging().reply(200, '', XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'NOT_SOAP' });
  });

  it('malformed XML is a service error naming the HTTP status', async () => {
    charging().reply(500, `<soapenv:Envelope xmlns:soapenv="${SOAP}"><soapenv:Body><soapenv:Fault></soapenv:Body></soapenv:Envelope>`, XML);
    const outcome = await client.charge(request);
    expect(outcome).toMatchObject({ kind: 'service_error', code: 'MALFORMED_XML' });
    expect(outcome.kind === 'service_error' && outcome.detail).toMatch(/^HTTP 500 reply is not well-formed XML/);
  });

  it.each([
    ['an empty Body', envelope('')],
    ['no Body at all', `<soapenv:Envelope xmlns:soapenv="${SOAP}"></soapenv:Envelope>`],
    ['a comment that looks like the reply', envelope('<!-- <chargeAmountResponse/> -->')],
  ])('a well-formed envelope with %s is not a charge', async (_what, reply) => {
    charging().reply(200, reply, XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'BILLING_WIRE_REPLY_INVALID' });
  });

  it('a chargeAmountResponse with extra content is still a charge', async () => {
    charging().reply(200, envelope(`<ns:chargeAmountResponse xmlns:ns="${LOCAL}"><ns:transactionId>T1</ns:transactionId></ns:chargeAmountResponse>`), XML);
    expect(await client.charge(request)).toEqual({ kind: 'charged', amountFen: 1_000 });
  });
});

describe('hostile replies are refused before parsing', () => {
  it('an entity-expansion (billion laughs) reply', async () => {
    const entities = ['<!ENTITY l0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`)];
    charging().reply(200, `<?xml version="1.0"?><!DOCTYPE lolz [${entities.join('')}]>${envelope(`<ns:chargeAmountResponse xmlns:ns="${LOCAL}">&l9;</ns:chargeAmountResponse>`)}`, XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'XML_DTD_FORBIDDEN' });
  });

  it('an XXE reply reading a local file', async () => {
    charging().reply(500, `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${envelope('<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>&x;</faultstring></soapenv:Fault>')}`, XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'XML_DTD_FORBIDDEN' });
  });

  it('an oversized reply', async () => {
    charging().reply(200, envelope(`<ns:chargeAmountResponse xmlns:ns="${LOCAL}">${'x'.repeat(BILLING_SOAP_REPLY_BYTES_MAX)}</ns:chargeAmountResponse>`), XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'XML_TOO_LARGE' });
  });

  it('a deeply nested reply', async () => {
    charging().reply(200, envelope(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`), XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'XML_TOO_DEEP' });
  });
});

describe('carrier faults seen in the field', () => {
  const fault = (faultcode: string, faultstring: string, detail = '') =>
    envelope(`<soapenv:Fault><faultcode>${faultcode}</faultcode><faultstring>${faultstring}</faultstring>${detail ? `<detail>${detail}</detail>` : ''}</soapenv:Fault>`);
  const px = (exception: string, messageId: string, text: string, variables: string[] = []) =>
    `<ns1:${exception} xmlns:ns1="http://www.csapi.org/schema/parlayx/common/v2_1"><messageId>${messageId}</messageId><text>${text}</text>${variables.map((v) => `<variables>${v}</variables>`).join('')}</ns1:${exception}>`;

  it('SVC0270 overloaded with an insufficient-balance text, even on HTTP 200', async () => {
    charging().reply(200, fault('soapenv:Server', 'Charging failed', px('ServiceException', 'SVC0270', 'Charging failed: %1', ['insufficient balance'])), XML);
    expect(await client.charge(request)).toEqual({
      kind: 'insufficient_credit', code: 'SVC0270', detail: 'ServiceException SVC0270: Charging failed: insufficient balance',
    });
  });

  it('an SDP that puts the message id in faultcode', async () => {
    charging().reply(500, fault('SVC0905', 'OA 8613800000001 is invalid!', px('ServiceException', 'SVC0905', 'OA 8613800000001 is invalid!', ['8613800000001'])), XML);
    const outcome = await client.charge(request);
    expect(outcome).toMatchObject({ kind: 'service_error', code: 'SVC0905' });
    expect(JSON.stringify(outcome)).not.toContain('13800000001');
  });

  it('a bare server fault without a Parlay X detail', async () => {
    charging().reply(500, fault('soapenv:Server', 'java.lang.NullPointerException'), XML);
    expect(await client.charge(request)).toMatchObject({ kind: 'service_error', code: 'SOAP_FAULT', detail: 'none SOAP_FAULT: soapenv:Server: java.lang.NullPointerException' });
  });

  it('a getBalance reply with three decimals is refused, not rounded', async () => {
    const ns = 'http://www.csapi.org/schema/parlayx/account_management/v2_2/local';
    nock(CARRIER).post(ACCOUNT_MANAGEMENT_PATH).reply(200, envelope(`<ns:getBalanceResponse xmlns:ns="${ns}"><ns:result><ns:balanceType>MAIN</ns:balanceType><ns:amount>12.345</ns:amount></ns:result></ns:getBalanceResponse>`), XML);
    expect(await client.getBalance('13800000001')).toMatchObject({ kind: 'service_error', code: 'BILLING_WIRE_AMOUNT_INVALID' });
  });
});
