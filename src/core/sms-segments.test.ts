import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GSM7_PART_SEPTETS, GSM7_SINGLE_SEPTETS, SMS_SEGMENTS_MAX, UCS2_PART_UNITS, UCS2_SINGLE_UNITS, checkSmsText, smsSegments,
} from './sms-segments.js';

const GSM_BASIC = [...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'];
const GSM_EXTENSION = [...'\f^{}\\[~]|€'];
/** Chinese characters and full-width punctuation, all in the BMP: one UTF-16 unit each. */
const CJK = [...'您的借款本期应还元请于日前存入话费余额验证码为如非本人操作请忽略，。：！？【】'];
/** Outside the BMP: a surrogate pair each. */
const ASTRAL = ['😀', '𠀀', '𝄞', '🧧'];

const basicText = fc.array(fc.constantFrom(...GSM_BASIC), { maxLength: 1_000 }).map((a) => a.join(''));
const gsmText = fc.array(fc.constantFrom(...GSM_BASIC, ...GSM_EXTENSION), { maxLength: 1_000 }).map((a) => a.join(''));
/** At least one Chinese character somewhere, mixed with GSM characters. */
const chineseText = fc.tuple(fc.array(fc.constantFrom(...GSM_BASIC, ...CJK), { maxLength: 800 }), fc.constantFrom(...CJK), fc.nat())
  .map(([chars, cjk, at]) => {
    chars.splice(at % (chars.length + 1), 0, cjk);
    return chars.join('');
  });
const anyText = fc.array(fc.constantFrom(...GSM_BASIC, ...GSM_EXTENSION, ...CJK, ...ASTRAL), { maxLength: 800 }).map((a) => a.join(''));

const septets = (text: string) => [...text].reduce((n, ch) => n + (GSM_EXTENSION.includes(ch) ? 2 : 1), 0);

describe('smsSegments', () => {
  it('a short plain text is one GSM-7 SMS; 160 fit, 161 take two parts', () => {
    expect(smsSegments('Your code is 123456')).toEqual({ encoding: 'gsm7', segments: 1, perSegment: 160 });
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'gsm7', segments: 1, perSegment: 160 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'gsm7', segments: 2, perSegment: 153 });
    expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'gsm7', segments: 2, perSegment: 153 });
    expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'gsm7', segments: 3, perSegment: 153 });
  });

  it('one Chinese character makes the whole text UCS-2: 70 fit, 71 take two parts of 67', () => {
    expect(smsSegments('【惠农贷】您的验证码是123456，5分钟内有效。')).toEqual({ encoding: 'ucs2', segments: 1, perSegment: 70 });
    expect(smsSegments('a'.repeat(69) + '元')).toEqual({ encoding: 'ucs2', segments: 1, perSegment: 70 });
    expect(smsSegments('元'.repeat(71))).toEqual({ encoding: 'ucs2', segments: 2, perSegment: 67 });
    expect(smsSegments('元'.repeat(134))).toEqual({ encoding: 'ucs2', segments: 2, perSegment: 67 });
    expect(smsSegments('元'.repeat(135))).toEqual({ encoding: 'ucs2', segments: 3, perSegment: 67 });
  });

  it('an extension character costs two septets and is never split', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'gsm7', segments: 1, perSegment: 160 });
    // 162 septets: parts of 153 hold 76 escape pairs (152 septets), not 76.5.
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'gsm7', segments: 2, perSegment: 153 });
    expect(smsSegments('€'.repeat(153))).toEqual({ encoding: 'gsm7', segments: 3, perSegment: 153 });
  });

  it('a character outside the BMP is a surrogate pair: 2 units, never split', () => {
    expect(smsSegments('😀'.repeat(35))).toEqual({ encoding: 'ucs2', segments: 1, perSegment: 70 });
    expect(smsSegments('😀'.repeat(36))).toEqual({ encoding: 'ucs2', segments: 2, perSegment: 67 });
    // 67 is odd: a part holds 33 pairs (66 units), so 67 pairs need 3 parts, not 2.
    expect(smsSegments('😀'.repeat(66))).toEqual({ encoding: 'ucs2', segments: 2, perSegment: 67 });
    expect(smsSegments('😀'.repeat(67))).toEqual({ encoding: 'ucs2', segments: 3, perSegment: 67 });
  });

  it('an empty text is still one SMS', () => {
    expect(smsSegments('')).toEqual({ encoding: 'gsm7', segments: 1, perSegment: 160 });
  });

  it('property: plain GSM text of n characters takes 1 SMS up to 160, else ceil(n / 153)', () => {
    fc.assert(fc.property(basicText, (text) => {
      const n = text.length;
      expect(smsSegments(text)).toEqual(n <= GSM7_SINGLE_SEPTETS
        ? { encoding: 'gsm7', segments: 1, perSegment: GSM7_SINGLE_SEPTETS }
        : { encoding: 'gsm7', segments: Math.ceil(n / GSM7_PART_SEPTETS), perSegment: GSM7_PART_SEPTETS });
    }));
  });

  it('property: BMP text with a Chinese character of n code units takes 1 SMS up to 70, else ceil(n / 67)', () => {
    fc.assert(fc.property(chineseText, (text) => {
      const n = text.length;
      expect(smsSegments(text)).toEqual(n <= UCS2_SINGLE_UNITS
        ? { encoding: 'ucs2', segments: 1, perSegment: UCS2_SINGLE_UNITS }
        : { encoding: 'ucs2', segments: Math.ceil(n / UCS2_PART_UNITS), perSegment: UCS2_PART_UNITS });
    }));
  });

  it('property: GSM-7 exactly when every character is in the GSM alphabet or its extension', () => {
    fc.assert(fc.property(anyText, (text) => {
      const gsm = [...text].every((ch) => GSM_BASIC.includes(ch) || GSM_EXTENSION.includes(ch));
      expect(smsSegments(text).encoding).toBe(gsm ? 'gsm7' : 'ucs2');
    }));
  });

  it('property: the segments hold the whole text, with less than one spare segment (plus one unit per split pair)', () => {
    fc.assert(fc.property(fc.oneof(gsmText, anyText), (text) => {
      const { encoding, segments, perSegment } = smsSegments(text);
      const units = encoding === 'gsm7' ? septets(text) : text.length;
      expect(segments * perSegment).toBeGreaterThanOrEqual(units);
      if (segments > 1) {
        expect(units).toBeGreaterThan(encoding === 'gsm7' ? GSM7_SINGLE_SEPTETS : UCS2_SINGLE_UNITS);
        // Greedy packing loses at most one unit per part boundary.
        expect(units).toBeGreaterThan((segments - 1) * (perSegment - 1));
      }
    }));
  });

  it('property: adding text never makes a message cheaper', () => {
    fc.assert(fc.property(anyText, anyText, (a, b) => {
      expect(smsSegments(a + b).segments).toBeGreaterThanOrEqual(smsSegments(a).segments);
    }));
  });
});

describe('checkSmsText', () => {
  it('accepts a Chinese reminder with line feeds and returns its segmentation', () => {
    expect(checkSmsText('【惠农贷】您本期应还1,234.56元。\n回复TD退订', 'text')).toEqual({ encoding: 'ucs2', segments: 1, perSegment: 70 });
  });

  it.each([
    ['empty', '', 'SMS_TEXT_INVALID'],
    ['not a string', 42, 'SMS_TEXT_INVALID'],
    ['a carriage return', 'a\r\nb', 'SMS_TEXT_INVALID'],
    ['a NUL', 'a\u0000b', 'SMS_TEXT_INVALID'],
    ['a lone surrogate', 'a\ud83d', 'SMS_TEXT_INVALID'],
    ['a reversed pair', '\ude00\ud83d', 'SMS_TEXT_INVALID'],
    ['U+FFFF', 'a\uffff', 'SMS_TEXT_INVALID'],
    ['too long', '元'.repeat(UCS2_PART_UNITS * SMS_SEGMENTS_MAX + 1), 'SMS_TEXT_TOO_LONG'],
  ])('refuses %s, naming the field', (_what, text, code) => {
    expect(() => checkSmsText(text, 'text')).toThrow(expect.objectContaining({ code, field: 'text' }));
  });

  it(`accepts exactly ${SMS_SEGMENTS_MAX} segments`, () => {
    expect(checkSmsText('元'.repeat(UCS2_PART_UNITS * SMS_SEGMENTS_MAX), 'text').segments).toBe(SMS_SEGMENTS_MAX);
  });
});
