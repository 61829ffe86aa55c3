/**
 * Chinese financial capital numerals (大写金额) and written dates, as printed on contracts
 * and receipts. Pure and exact: integer fen in, text out.
 *
 * The rules followed are those of 《支付结算办法》附一《正确填写票据和结算凭证的基本规定》,
 * taking the "write 零" form wherever that text allows a choice, so every output is one
 * fixed string:
 *
 * - Digits 零壹贰叁肆伍陆柒捌玖, place units 拾佰仟 within each group of four, group units
 *   万 and 亿 (亿 groups the eight digits below it, so 10^12 yuan is 壹万亿).
 * - A ten is always written with its digit, 壹拾 (壹拾元整, 壹拾壹万元整), never a bare 拾:
 *   a leading 拾 is the easiest character to alter.
 * - Every run of zeros lying between two non-zero digits is written as exactly one 零,
 *   whether the run stays inside a group (1001 → 壹仟零壹), touches or crosses a 万 or 亿
 *   boundary (105,000 → 壹拾万零伍仟; 10,001,000 → 壹仟万零壹仟; 100,000,001 → 壹亿零壹)
 *   or reaches the decimal point (100.50 → 壹佰元零伍角; 1680.32 → 壹仟陆佰捌拾元零叁角贰分;
 *   1000.01 → 壹仟元零壹分). Where the rules allow leaving out the 零 at a 万 or 元
 *   position (107,000.53 → 壹拾万柒仟元伍角叁分) we always write it
 *   (壹拾万零柒仟元零伍角叁分), which is also how the amount is read aloud. Zeros at
 *   either end are never written; 零 never stands twice in a row, nor before a unit.
 * - An amount in whole yuan ends with 整 (伍万元整); an amount with 角 or 分 never does
 *   (the rules make 整 optional after 角; we leave it out so 整 means "no fraction").
 * - Less than one yuan has no 元 part: 0.50 → 伍角, 0.05 → 伍分, 0.55 → 伍角伍分.
 *   Zero is 零元整.
 * - The supported range is 0 to AMOUNT_FEN_MAX (CNY 1 trillion, 壹万亿元整); negative or
 *   fractional fen are refused.
 */
import { DomainError } from './domain-error.js';
import { AMOUNT_FEN_MAX, assertFen, type Fen } from './money.js';
import { parseCalendarDate, type CalendarDate } from './calendar-date.js';

export const CAPITAL_DIGITS = '零壹贰叁肆伍陆柒捌玖';
const PLACE_UNITS = ['', '拾', '佰', '仟'] as const;

/** The amount in capital numerals, without the 人民币 prefix (callers add it where a form needs it). */
export function chineseCapitalAmount(fen: Fen): string {
  assertFen(fen, 'fen');
  if (fen < 0) throw new DomainError('INVALID_AMOUNT', 'fen must not be negative for a capital amount', 'fen');
  if (fen > AMOUNT_FEN_MAX) throw new DomainError('INVALID_AMOUNT', 'fen exceeds the largest supported amount', 'fen');
  const yuan = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const cents = fen % 10;
  if (fen === 0) return '零元整';
  let text = '';
  if (yuan > 0) {
    text = `${integerCapital(yuan)}元`;
    if (jiao === 0 && cents === 0) return `${text}整`;
    // Zeros between the last non-zero yuan digit and the first non-zero fraction digit.
    if (yuan % 10 === 0 || jiao === 0) text += '零';
  }
  if (jiao > 0) text += `${CAPITAL_DIGITS[jiao]}角`;
  if (cents > 0) text += `${CAPITAL_DIGITS[cents]}分`;
  return text;
}

/** A positive whole number below 10^16 in capital numerals (no 元). */
function integerCapital(n: number): string {
  if (n >= 100_000_000) {
    const high = Math.floor(n / 100_000_000);
    const low = n % 100_000_000;
    if (low === 0) return `${belowHundredMillion(high)}亿`;
    return `${belowHundredMillion(high)}亿${high % 10 === 0 || low < 10_000_000 ? '零' : ''}${belowHundredMillion(low)}`;
  }
  return belowHundredMillion(n);
}

/** 1 ≤ n < 10^8. */
function belowHundredMillion(n: number): string {
  const high = Math.floor(n / 10_000);
  const low = n % 10_000;
  if (high === 0) return group(low);
  if (low === 0) return `${group(high)}万`;
  return `${group(high)}万${high % 10 === 0 || low < 1_000 ? '零' : ''}${group(low)}`;
}

/** 1 ≤ n ≤ 9999, from its highest non-zero digit; one 零 for each inner run of zeros. */
function group(n: number): string {
  let text = '';
  let zeroPending = false;
  for (let place = 3; place >= 0; place--) {
    const digit = Math.floor(n / 10 ** place) % 10;
    if (digit === 0) {
      if (text !== '') zeroPending = true;
      continue;
    }
    if (zeroPending) text += '零';
    zeroPending = false;
    text += `${CAPITAL_DIGITS[digit]}${PLACE_UNITS[place]}`;
  }
  return text;
}

/** A calendar date as written in Chinese documents: 2026-03-05 → 2026年3月5日. */
export function chineseDate(date: CalendarDate): string {
  parseCalendarDate(date, 'date');
  return `${Number(date.slice(0, 4))}年${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
}
