/**
 * How many SMS a text costs, and whether a text can be sent at all. Pure.
 *
 * A gateway sends a text in one of two encodings (3GPP TS 23.038 / 23.040):
 * - GSM-7 when every character is in the GSM 03.38 default alphabet or its extension
 *   table: 160 septets in a single SMS, 153 per part of a concatenated one (the user data
 *   header takes 7). An extension character (€ [ ] { } \ ^ ~ | and form feed) is an escape
 *   plus a character: 2 septets.
 * - UCS-2 as soon as one character is outside that alphabet (any Chinese character):
 *   70 UTF-16 code units single, 67 per part. A character outside the Basic Multilingual
 *   Plane is a surrogate pair and costs 2.
 * Parts are packed greedily and a 2-unit character (escape pair, surrogate pair) is never
 * split across two parts, as gateways do, so a part may hold one unit less than its size.
 * The count is what the carrier bills and what the subscriber's phone reassembles.
 */
import { DomainError } from './domain-error.js';

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsSegmentation {
  encoding: SmsEncoding;
  /** SMS sent for the text; an empty text is still one (empty) SMS. */
  segments: number;
  /** Units (septets or UTF-16 code units) one of those SMS holds: 160 / 153 or 70 / 67. */
  perSegment: number;
}

export const GSM7_SINGLE_SEPTETS = 160;
export const GSM7_PART_SEPTETS = 153;
export const UCS2_SINGLE_UNITS = 70;
export const UCS2_PART_UNITS = 67;

/**
 * Longest text the lender sends, in segments: 10 parts is 670 Chinese characters or 1530
 * GSM-7 characters, far above any reminder or one-time code, and within what Chinese
 * gateways accept for a long SMS. The adapter and the simulated gateway use the same limit.
 */
export const SMS_SEGMENTS_MAX = 10;

/** GSM 03.38 default alphabet, without ESC (0x1B), which only introduces the extension table. */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** GSM 03.38 extension table: each costs ESC + the character, 2 septets. */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC.has(ch) && !GSM7_EXTENSION.has(ch)) return false;
  return true;
}

/** Cost of each character in units of the encoding; iterating by code point keeps pairs together. */
function unitCosts(text: string, encoding: SmsEncoding): number[] {
  const costs: number[] = [];
  for (const ch of text) costs.push(encoding === 'gsm7' ? (GSM7_EXTENSION.has(ch) ? 2 : 1) : ch.length);
  return costs;
}

/** Parts needed when no character may straddle two parts of `size` units. */
function packedParts(costs: readonly number[], size: number): number {
  let parts = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > size) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return parts;
}

export function smsSegments(text: string): SmsSegmentation {
  const encoding: SmsEncoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  const [single, part] = encoding === 'gsm7' ? [GSM7_SINGLE_SEPTETS, GSM7_PART_SEPTETS] : [UCS2_SINGLE_UNITS, UCS2_PART_UNITS];
  const costs = unitCosts(text, encoding);
  const total = costs.reduce((sum, cost) => sum + cost, 0);
  if (total <= single) return { encoding, segments: 1, perSegment: single };
  return { encoding, segments: packedParts(costs, part), perSegment: part };
}

/**
 * Control characters other than line feed: XML 1.0 cannot carry most of them, and a CR
 * would arrive as LF after XML line-end normalisation, changing the text and its cost.
 */
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;
/** A surrogate half without its partner cannot be encoded in UTF-8; U+FFFE/U+FFFF are not XML characters. */
const UNENCODABLE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/;

/**
 * A text the lender may send: non-empty, printable (line feeds allowed), encodable, and at
 * most SMS_SEGMENTS_MAX segments. Returns the segmentation; throws a DomainError naming
 * `field` (never quoting the text: it may hold a one-time code).
 */
export function checkSmsText(text: unknown, field: string): SmsSegmentation {
  if (typeof text !== 'string' || text.length === 0) throw new DomainError('SMS_TEXT_INVALID', `${field} must be a non-empty text`, field);
  if (FORBIDDEN_CONTROL.test(text)) throw new DomainError('SMS_TEXT_INVALID', `${field} may hold no control characters except line feed`, field);
  if (UNENCODABLE.test(text)) throw new DomainError('SMS_TEXT_INVALID', `${field} holds characters that cannot be encoded (lone surrogate, U+FFFE, U+FFFF)`, field);
  const segmentation = smsSegments(text);
  if (segmentation.segments > SMS_SEGMENTS_MAX) {
    throw new DomainError('SMS_TEXT_TOO_LONG', `${field} needs ${segmentation.segments} SMS segments; at most ${SMS_SEGMENTS_MAX} are sent`, field);
  }
  return segmentation;
}
