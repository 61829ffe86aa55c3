import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_FEN_MAX } from '../../src/core/money.js';
import {
  BillingWireError, FAULT_TABLE, chargeArgs, decimalToFen, describeFault, failureForFault, fenToDecimal, maskPhoneNumbers,
  msisdnToTel, parseBalanceReply, parseChargeArgs, parseSdpTimeStamp, parseSoapFault, sdpPasswordDigest, sdpTimeStamp, telToMsisdn,
  type ParlayXFault,
} from './soap-mapping.js';

function wireError(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (error instanceof BillingWireError) return { code: error.code, field: error.field };
    throw error;
  }
  throw new Error('expected a BillingWireError');
}

describe('fen <-> CNY decimal', () => {
  it('formats fen with exactly two decimals', () => {
    expect(fenToDecimal(0, 'a')).toBe('0.00');
    expect(fenToDecimal(5, 'a')).toBe('0.05');
    expect(fenToDecimal(1234, 'a')).toBe('12.34');
    expect(fenToDecimal(100_000_000, 'a')).toBe('1000000.00');
    expect(fenToDecimal(AMOUNT_FEN_MAX, 'a')).toBe('1000000000000.00');
  });

  it('round-trips every amount exactly (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: AMOUNT_FEN_MAX }), (fen) => {
      const text = fenToDecimal(fen, 'amount');
      expect(text).toMatch(/^\d+\.\d{2}$/);
      expect(decimalToFen(text, 'amount')).toBe(fen);
    }), { numRuns: 5_000 });
  });

  it('reads 0, 1 or 2 decimals as integer fen, matching digit arithmetic (property)', () => {
    const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 999_999_999_999n }), fc.constantFrom('', '.', '..'), fc.nat(99));
    fc.assert(fc.property(decimal, ([yuan, shape, cents]) => {
      const fraction = shape === '' ? '' : shape === '.' ? `.${cents % 10}` : `.${String(cents).padStart(2, '0')}`;
      const expected = yuan * 100n + (shape === '' ? 0n : shape === '.' ? BigInt(cents % 10) * 10n : BigInt(cents));
      expect(decimalToFen(`${yuan}${fraction}`, 'amount')).toBe(Number(expected));
    }), { numRuns: 5_000 });
  });

  it('refuses more than two decimals, negatives, exponents, spaces and garbage, naming the field', () => {
    for (const bad of ['12.345', '0.001', '-1.00', '+1.00', '1e3', ' 12.34', '12.34 ', '12,34', '.5', '12.', '', 'abc', '１２', '0x10']) {
      expect(wireError(() => decimalToFen(bad, 'charge.amount'))).toEqual({ code: 'BILLING_WIRE_AMOUNT_INVALID', field: 'charge.amount' });
    }
    for (const bad of [12.34, 1234, null, undefined, {}]) {
      expect(wireError(() => decimalToFen(bad, 'result.amount')).field).toBe('result.amount');
    }
  });

  it('refuses decimal strings that are not amounts (property)', () => {
    const threeOrMoreDecimals = fc.tuple(fc.nat(1_000_000), fc.stringMatching(/^\d{3,6}$/)).map(([a, b]) => `${a}.${b}`);
    fc.assert(fc.property(threeOrMoreDecimals, (text) => {
      expect(() => decimalToFen(text, 'x')).toThrow(BillingWireError);
    }));
    fc.assert(fc.property(fc.integer({ min: 1, max: AMOUNT_FEN_MAX }), (fen) => {
      expect(() => decimalToFen(`-${fenToDecimal(fen, 'x')}`, 'x')).toThrow(BillingWireError);
    }));
  });

  it('refuses fen that is negative, fractional, unsafe or too large', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER, AMOUNT_FEN_MAX + 1]) {
      expect(wireError(() => fenToDecimal(bad, 'amountFen'))).toEqual({ code: 'BILLING_WIRE_AMOUNT_INVALID', field: 'amountFen' });
    }
    expect(wireError(() => decimalToFen('99999999999999.99', 'amount')).code).toBe('BILLING_WIRE_AMOUNT_INVALID');
  });
});

describe('msisdn <-> tel URI', () => {
  it('maps both ways and refuses anything else', () => {
    expect(msisdnToTel('13912345678', 'msisdn')).toBe('tel:+8613912345678');
    expect(telToMsisdn('tel:+8613912345678', 'endUserIdentifier')).toBe('13912345678');
    for (const bad of ['tel:13912345678', 'tel:+861391234567', 'tel:+8612912345678', 'sip:+8613912345678', 'tel:+86139123456789', 13912345678]) {
      expect(wireError(() => telToMsisdn(bad, 'endUserIdentifier'))).toEqual({ code: 'BILLING_WIRE_ADDRESS_INVALID', field: 'endUserIdentifier' });
    }
    expect(wireError(() => msisdnToTel('+8613912345678', 'msisdn')).field).toBe('msisdn');
  });

  it('masks every phone number inside free text', () => {
    expect(maskPhoneNumbers('user tel:+8613912345678 and 13800138000, id 1234567890123')).toBe('user tel:139****5678 and 138****8000, id 1234567890123');
  });
});

describe('request bodies', () => {
  const request = { msisdn: '13912345678', amountFen: 1234, description: '助学贷 第3期', referenceCode: 'LN42-I3-A1' };

  it('builds the chargeAmount body and reads it back on the carrier side', () => {
    const args = chargeArgs(request);
    expect(args).toEqual({
      endUserIdentifier: 'tel:+8613912345678',
      charge: { description: '助学贷 第3期', currency: 'CNY', amount: '12.34' },
      referenceCode: 'LN42-I3-A1',
    });
    expect(parseChargeArgs(args)).toEqual(request);
  });

  it('refuses a zero amount, an empty reference and a foreign currency, naming the field', () => {
    expect(wireError(() => chargeArgs({ ...request, amountFen: 0 })).field).toBe('amountFen');
    expect(wireError(() => chargeArgs({ ...request, referenceCode: '' })).field).toBe('referenceCode');
    expect(wireError(() => chargeArgs({ ...request, referenceCode: 'x'.repeat(65) })).field).toBe('referenceCode');
    const args = chargeArgs(request);
    expect(wireError(() => parseChargeArgs({ ...args, charge: { ...args.charge, currency: 'USD' } })).field).toBe('charge.currency');
    expect(wireError(() => parseChargeArgs({ ...args, charge: { ...args.charge, amount: 12.34 } })).field).toBe('charge.amount');
  });
});

describe('getBalance reply', () => {
  it('reads the MAIN balance exactly and refuses replies without exactly one', () => {
    expect(parseBalanceReply({ result: { balanceType: 'MAIN', amount: '123.45' } })).toBe(12_345);
    expect(parseBalanceReply({ result: [{ balanceType: 'BONUS', amount: '9.00' }, { balanceType: 'MAIN', amount: '0.10' }] })).toBe(10);
    expect(parseBalanceReply({ result: { balanceType: 'MAIN', amount: '-3.20' } })).toBe(0);
    expect(wireError(() => parseBalanceReply({ result: { balanceType: 'BONUS', amount: '1.00' } })).field).toBe('result.balanceType');
    expect(wireError(() => parseBalanceReply({ result: [{ balanceType: 'MAIN', amount: '1.00' }, { balanceType: 'MAIN', amount: '2.00' }] })).field).toBe('result.balanceType');
    expect(wireError(() => parseBalanceReply({ result: { balanceType: 'MAIN', amount: '1.234' } })).field).toBe('result.amount');
    expect(wireError(() => parseBalanceReply(null)).code).toBe('BILLING_WIRE_VALUE_INVALID');
  });
});

describe('SOAP faults', () => {
  const px = (messageId: string, text = 'text', variables: string[] = []): ParlayXFault => ({
    exception: messageId.startsWith('POL') ? 'PolicyException' : 'ServiceException', messageId, text, variables,
  });

  it('reads the Parlay X detail node-soap hands over, single or repeated variables', () => {
    const fault = {
      faultcode: 'soap:Server', faultstring: 'x',
      detail: { PolicyException: { messageId: 'POL1000', text: 'Credit below %1', variables: '12.34' } },
    };
    expect(parseSoapFault(fault)).toEqual({ exception: 'PolicyException', messageId: 'POL1000', text: 'Credit below %1', variables: ['12.34'] });
    const many = { faultcode: 'soap:Server', faultstring: 'x', detail: { ServiceException: { messageId: 'SVC0002', text: 't', variables: ['a', 'b'] } } };
    expect(parseSoapFault(many).variables).toEqual(['a', 'b']);
  });

  it('reads a message id from faultcode when the SDP leaves the detail empty, and a bare fault as generic', () => {
    expect(parseSoapFault({ faultcode: 'SVC0905', faultstring: 'OA 8 is invalid!' })).toEqual({ exception: 'ServiceException', messageId: 'SVC0905', text: 'OA 8 is invalid!', variables: [] });
    expect(parseSoapFault({ faultcode: 'soap:Server', faultstring: 'NullPointerException' })).toMatchObject({ exception: 'none', messageId: 'SOAP_FAULT' });
    expect(parseSoapFault({ faultcode: 'soap:Server', faultstring: 'x', detail: { ServiceException: { messageId: '<script>', text: 't' } } }).messageId).toBe('SOAP_FAULT');
  });

  // Written out independently of FAULT_TABLE, so that a wrong row in the table fails here.
  const EXPECTED_KINDS: [string, string][] = [
    ['POL1000', 'insufficient_credit'], ['POL1010', 'subscriber_suspended'], ['POL1011', 'policy_refused'],
    ['POL1012', 'policy_refused'], ['POL1013', 'policy_refused'], ['SVC1000', 'service_error'],
    ['SVC0001', 'service_error'], ['SVC0004', 'subscriber_unknown'], ['SVC0007', 'service_error'],
    ['POL0001', 'policy_refused'], ['POL0002', 'policy_refused'], ['POL0008', 'policy_refused'],
  ];

  it.each(EXPECTED_KINDS)('maps %s to %s', (messageId, kind) => {
    expect(failureForFault(px(messageId))).toMatchObject({ kind, code: messageId });
  });

  it('covers every row of the documented table in these tests', () => {
    const tested = [...EXPECTED_KINDS.map(([id]) => id), 'SVC0002', 'SVC0270'].sort();
    expect(FAULT_TABLE.map((row) => row.messageId).sort()).toEqual(tested);
  });

  it('maps SVC0002 to subscriber_unknown only when it names the address', () => {
    expect(failureForFault(px('SVC0002', 'Invalid input value for message part %1', ['endUserIdentifier'])).kind).toBe('subscriber_unknown');
    expect(failureForFault(px('SVC0002', 'Invalid input value for message part %1', ['referenceCode'])).kind).toBe('service_error');
  });

  it.each([
    ['Charging failed: insufficient balance', 'insufficient_credit'],
    ['余额不足', 'insufficient_credit'],
    ['Subscriber is suspended', 'subscriber_suspended'],
    ['用户已停机', 'subscriber_suspended'],
    ['user does not exist', 'subscriber_unknown'],
    ['用户不存在', 'subscriber_unknown'],
    ['Charging operation failed, the charge was not applied', 'service_error'],
  ])('maps SVC0270 "%s" by its text to %s', (text, kind) => {
    expect(failureForFault(px('SVC0270', text)).kind).toBe(kind);
  });

  it('falls back by family: unknown POL ids are policy refusals, unknown SVC ids and bare faults service errors', () => {
    expect(failureForFault(px('POL1001')).kind).toBe('policy_refused');
    expect(failureForFault(px('SVC0905')).kind).toBe('service_error');
    expect(failureForFault({ exception: 'PolicyException', messageId: 'SOAP_FAULT', text: '', variables: [] }).kind).toBe('policy_refused');
    expect(failureForFault({ exception: 'none', messageId: 'SOAP_FAULT', text: 'soap:Server: boom', variables: [] }).kind).toBe('service_error');
  });

  it('fills %n placeholders, masks phone numbers and bounds the detail', () => {
    expect(describeFault(px('POL1010', 'The account of %1 is suspended', ['tel:+8613912345678']))).toBe('PolicyException POL1010: The account of tel:139****5678 is suspended');
    expect(describeFault(px('SVC0001', 'x'.repeat(1000))).length).toBe(300);
  });
});

describe('SDP request header', () => {
  it('stamps Asia/Shanghai time and digests spId + secret + timeStamp', () => {
    const at = new Date('2026-01-15T16:30:05Z');
    expect(sdpTimeStamp(at)).toBe('20260116003005');
    expect(parseSdpTimeStamp('20260116003005')?.toISOString()).toBe(at.toISOString());
    expect(parseSdpTimeStamp('20261345003005')).toBeUndefined();
    expect(sdpPasswordDigest('000201', 'secret', '20260116003005')).toMatch(/^[0-9A-F]{32}$/);
    expect(sdpPasswordDigest('000201', 'secret', '20260116003005')).not.toBe(sdpPasswordDigest('000201', 'secret', '20260116003006'));
  });
});
