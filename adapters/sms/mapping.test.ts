import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ParlayXFault } from '../billing/soap-mapping.js';
import { RECEIPT_ENDPOINT_NONE, SMS_FAULT_TABLE, outcomeForFault, parseSendSmsArgs, sendSmsArgs } from './mapping.js';

const request = { msisdn: '13900000001', text: '您好', reference: 'otp-1' };
const fault = (messageId: string, exception: ParlayXFault['exception'], variables: string[] = []): ParlayXFault =>
  ({ exception, messageId, text: 'Error %1', variables });

describe('the fault table', () => {
  it('is the one README.md documents, row for row', () => {
    const readme = readFileSync(new URL('./wsdl/README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `((?:SVC|POL)\d{4})` \| (\w+) \| (Parlay X|project) \|/gm)].map((m) => [m[1], m[3]]);
    expect(documented).toEqual(SMS_FAULT_TABLE.map((row) => [row.messageId, row.source]));
  });

  it.each([
    ['SVC0004', 'ServiceException', [], 'refused'],
    ['SVC0002', 'ServiceException', ['addresses'], 'refused'],
    ['SVC0002', 'ServiceException', ['message'], 'service_error'],
    ['POL3101', 'PolicyException', ['tel:+8613900000001'], 'refused'],
    ['POL3102', 'PolicyException', [], 'refused'],
    ['POL0042', 'PolicyException', [], 'refused'],
    ['SVC0042', 'ServiceException', [], 'service_error'],
    ['SOAP_FAULT', 'none', [], 'service_error'],
    ['SOAP_FAULT', 'PolicyException', [], 'refused'],
  ] as const)('%s (%s %j) is %s', (messageId, exception, variables, kind) => {
    expect(outcomeForFault(fault(messageId, exception, [...variables]), request)).toMatchObject({ kind, code: messageId });
  });

  it('masks a number quoted by the gateway', () => {
    expect(outcomeForFault(fault('POL3101', 'PolicyException', ['tel:+8613900000001']), request))
      .toEqual({ kind: 'refused', code: 'POL3101', detail: 'PolicyException POL3101: Error tel:139****0001' });
  });
});

describe('sendSms arguments', () => {
  it('round-trip: what our client writes, the gateway side reads back', () => {
    const args = sendSmsArgs(request, { senderName: '10690', receiptEndpoint: RECEIPT_ENDPOINT_NONE });
    expect(parseSendSmsArgs(args)).toEqual({
      msisdns: ['13900000001'], senderName: '10690', message: '您好', charging: false,
      receipt: { endpoint: RECEIPT_ENDPOINT_NONE, interfaceName: 'SmsNotification', correlator: 'otp-1' },
    });
  });

  it('a request without a receipt request is read as one that cannot be de-duplicated', () => {
    expect(parseSendSmsArgs({ addresses: 'tel:+8613900000001', message: 'hi' })).toMatchObject({ receipt: undefined, senderName: undefined });
  });

  it.each([
    ['addresses', { message: 'hi' }],
    ['addresses[1]', { addresses: ['tel:+8613900000001', 'tel:+86123'], message: 'hi' }],
    ['message', { addresses: 'tel:+8613900000001' }],
    ['receiptRequest.correlator', { addresses: 'tel:+8613900000001', message: 'hi', receiptRequest: { endpoint: 'urn:x', interfaceName: 'SmsNotification', correlator: '' } }],
  ])('the gateway side names %s when it is wrong', (field, args) => {
    expect(() => parseSendSmsArgs(args)).toThrow(expect.objectContaining({ code: 'SMS_WIRE_VALUE_INVALID', field }));
  });
});
