import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_FEN_MAX } from '../core/money.js';
import { displayWidth, documentText, moneyText, textTable, yuanFigures } from './format.js';

describe('yuanFigures', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [100, '1.00'],
    [123_456, '1,234.56'],
    [100_000, '1,000.00'],
    [99_999, '999.99'],
    [5_000_000, '50,000.00'],
    [AMOUNT_FEN_MAX, '1,000,000,000,000.00'],
    [-123_456, '-1,234.56'],
  ])('%i fen is %s', (fen, text) => {
    expect(yuanFigures(fen)).toBe(text);
  });

  it('reads back to the same fen', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: AMOUNT_FEN_MAX }), (fen) => {
      const text = yuanFigures(fen);
      expect(text).toMatch(/^\d{1,3}(?:,\d{3})*\.\d{2}$/);
      expect(Number(text.replaceAll(',', '').replace('.', ''))).toBe(fen);
    }));
  });
});

describe('moneyText', () => {
  it('writes capitals and figures', () => {
    expect(moneyText(5_000_000)).toBe('人民币（大写）伍万元整（小写：¥50,000.00）');
  });
});

describe('textTable', () => {
  it('gives every line the same display width, CJK counted double', () => {
    expect(displayWidth('期次')).toBe(4);
    expect(displayWidth('2026年1月5日')).toBe(12);
    expect(displayWidth('（）：¥')).toBe(7);
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 8 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')), fc.constantFrom('张三', '欧阳明华', 'Li', '')), { maxLength: 6 }),
      (rows) => {
        const lines = textTable([{ header: '名', align: 'left' }, { header: '金额(元)', align: 'right' }], rows, ['合计', '']);
        expect(new Set(lines.map(displayWidth)).size).toBe(1);
        expect(lines).toHaveLength(rows.length + 6);
      }));
  });
});

describe('documentText', () => {
  it('joins with LF, ends with one newline and trims trailing spaces', () => {
    expect(documentText(['a  ', '', 'b'])).toBe('a\n\nb\n');
  });

  it('refuses a line holding a line break', () => {
    expect(() => documentText(['a\nb'])).toThrow(/line break/);
  });
});
