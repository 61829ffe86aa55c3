import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPITAL_DIGITS, chineseCapitalAmount, chineseDate } from './chinese-amount.js';
import { AMOUNT_FEN_MAX } from './money.js';

/**
 * An independent reader of capital amounts, written the way a person reads them: split at
 * 亿 and 万, add up digit × place within each group, ignore 零. Throws on anything that is
 * not well formed, so a round trip also checks the grammar.
 */
function parseCapitalAmount(text: string): number {
  const match = /^(?:(.+)元)?(?:([壹贰叁肆伍陆柒捌玖])角)?(?:([壹贰叁肆伍陆柒捌玖])分)?(整)?$/.exec(text.replace(/^(.+元)零/, '$1'));
  if (!match || text === '') throw new Error(`not a capital amount: ${text}`);
  const [, integer, jiao, fen, whole] = match;
  if (text === '零元整') return 0;
  const yuan = integer === undefined ? 0 : readInteger(integer);
  const cents = (jiao ? CAPITAL_DIGITS.indexOf(jiao) * 10 : 0) + (fen ? CAPITAL_DIGITS.indexOf(fen) : 0);
  if ((whole !== undefined) !== (cents === 0)) throw new Error(`整 is misplaced in ${text}`);
  return yuan * 100 + cents;
}

function readInteger(text: string): number {
  const yi = text.lastIndexOf('亿');
  if (yi >= 0) return readBelowYi(text.slice(0, yi)) * 100_000_000 + (yi === text.length - 1 ? 0 : readBelowYi(text.slice(yi + 1)));
  return readBelowYi(text);
}

function readBelowYi(text: string): number {
  const wan = text.indexOf('万');
  if (wan >= 0) return readGroup(text.slice(0, wan)) * 10_000 + (wan === text.length - 1 ? 0 : readGroup(text.slice(wan + 1)));
  return readGroup(text);
}

function readGroup(text: string): number {
  const body = text.replace(/^零/, '');
  if (!/^(?:[壹贰叁肆伍陆柒捌玖][仟佰拾]?零?)+$/.test(body)) throw new Error(`not a group: ${text}`);
  let total = 0;
  for (const [, digit, unit] of body.matchAll(/([壹贰叁肆伍陆柒捌玖])([仟佰拾]?)/g)) {
    total += CAPITAL_DIGITS.indexOf(digit!) * ({ 仟: 1000, 佰: 100, 拾: 10, '': 1 } as Record<string, number>)[unit!]!;
  }
  return total;
}

/** How many runs of zeros lie strictly between two non-zero digits of the amount (yuan digits, then 角, 分). */
function innerZeroRuns(fen: number): number {
  const digits = String(fen).padStart(3, '0');
  const trimmed = digits.replace(/^0+/, '').replace(/0+$/, '');
  return trimmed.split(/[1-9]+/).filter((run) => run.length > 0).length;
}

const amounts = fc.oneof(
  fc.integer({ min: 0, max: AMOUNT_FEN_MAX }),
  fc.integer({ min: 0, max: 100_000_000 }),
  // Sparse digit strings: the zero rules only show with many zeros.
  fc.array(fc.constantFrom(0, 0, 0, 0, 1, 5, 9), { minLength: 1, maxLength: 14 })
    .map((ds) => Math.min(AMOUNT_FEN_MAX, Number(ds.join('')))),
);

describe('chineseCapitalAmount', () => {
  it.each([
    [0, '零元整'],
    [1, '壹分'],
    [10, '壹角'],
    [55, '伍角伍分'],
    [100, '壹元整'],
    [1_000, '壹拾元整'],
    [1_500, '壹拾伍元整'],
    [10_050, '壹佰元零伍角'],
    [100_001, '壹仟元零壹分'],
    [140_950, '壹仟肆佰零玖元伍角'],
    [600_714, '陆仟零柒元壹角肆分'],
    [168_032, '壹仟陆佰捌拾元零叁角贰分'],
    [1_640_902, '壹万陆仟肆佰零玖元零贰分'],
    [32_504, '叁佰贰拾伍元零肆分'],
    [10_700_053, '壹拾万零柒仟元零伍角叁分'],
    [5_000_000, '伍万元整'],
    [8_000_000, '捌万元整'],
    [2_000_100, '贰万零壹元整'],
    [100_500_000, '壹佰万零伍仟元整'],
    [1_000_100_000, '壹仟万零壹仟元整'],
    [1_005_000_000, '壹仟零伍万元整'],
    [1_234_567_891, '壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角壹分'],
    [10_000_000_000, '壹亿元整'],
    [10_001_000_000, '壹亿零壹万元整'],
    [10_000_000_100, '壹亿零壹元整'],
    [11_000_000_000, '壹亿壹仟万元整'],
    [20_000_000_000, '贰亿元整'],
    [100_000_000_100, '壹拾亿零壹元整'],
    [99_999_999_999_999, '玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
    [AMOUNT_FEN_MAX, '壹万亿元整'],
    [AMOUNT_FEN_MAX - 100, '玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整'],
    [10_001_000_000_000, '壹仟亿零壹仟万元整'],
  ])('%i fen is %s', (fen, expected) => {
    expect(chineseCapitalAmount(fen)).toBe(expected);
  });

  it.each([-1, 0.5, AMOUNT_FEN_MAX + 1, Number.NaN, Number.MAX_SAFE_INTEGER + 2])('refuses %s', (fen) => {
    expect(() => chineseCapitalAmount(fen)).toThrow(/fen/);
  });

  it('reads back to the same amount', () => {
    fc.assert(fc.property(amounts, (fen) => parseCapitalAmount(chineseCapitalAmount(fen)) === fen), { numRuns: 2_000 });
  });

  it('writes one 零 for each run of zeros between non-zero digits, and no other', () => {
    fc.assert(fc.property(amounts.filter((f) => f > 0), (fen) => {
      const text = chineseCapitalAmount(fen);
      expect([...text].filter((c) => c === '零').length).toBe(innerZeroRuns(fen));
    }), { numRuns: 2_000 });
  });

  it('never writes 零 twice in a row, at either end, or before a unit', () => {
    fc.assert(fc.property(amounts.filter((f) => f > 0), (fen) => {
      const text = chineseCapitalAmount(fen);
      expect(text).not.toMatch(/零零|^零|零[万亿元角分整拾佰仟]|零$/);
    }), { numRuns: 2_000 });
  });

  it('ends with 整 exactly when there are no 角 or 分, and with 元整, 角 or 分', () => {
    fc.assert(fc.property(amounts, (fen) => {
      const text = chineseCapitalAmount(fen);
      expect(text.endsWith('整')).toBe(fen % 100 === 0);
      expect(text).toMatch(/(?:元整|角|分)$/);
      expect(text.includes('元')).toBe(fen >= 100 || fen === 0);
    }), { numRuns: 1_000 });
  });

  it('uses only capital numerals and units, every place unit preceded by a digit (壹拾, never a bare 拾)', () => {
    fc.assert(fc.property(amounts, (fen) => {
      const text = chineseCapitalAmount(fen);
      expect(text).toMatch(/^[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+$/);
      expect(text).not.toMatch(/(?:^|[^壹贰叁肆伍陆柒捌玖])[拾佰仟角分]/);
    }), { numRuns: 1_000 });
  });

  it('gives different amounts different texts', () => {
    fc.assert(fc.property(amounts, amounts, (a, b) => a === b || chineseCapitalAmount(a) !== chineseCapitalAmount(b)));
  });
});

describe('chineseDate', () => {
  it.each([
    ['2026-11-25', '2026年11月25日'],
    ['2026-03-05', '2026年3月5日'],
    ['2028-02-29', '2028年2月29日'],
    ['2030-10-01', '2030年10月1日'],
  ])('%s is %s', (date, expected) => {
    expect(chineseDate(date)).toBe(expected);
  });

  it.each(['2026-02-30', '2026-1-5', '20261125', ''])('refuses %j', (date) => {
    expect(() => chineseDate(date)).toThrow(/date/);
  });
});
