import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonthsClamped, daysBetween, daysInMonth, parseCalendarDate, shanghaiDate } from './calendar-date.js';
import { DomainError } from './domain-error.js';

describe('calendar dates', () => {
  it('clamps to month end, including leap years', () => {
    expect(addMonthsClamped('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonthsClamped('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonthsClamped('2026-01-31', 2)).toBe('2026-03-31');
    expect(addMonthsClamped('2026-11-30', 3)).toBe('2027-02-28');
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
  });

  it('agrees with the JavaScript Date for days in month and day arithmetic', () => {
    fc.assert(fc.property(fc.integer({ min: 1901, max: 2199 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: -400, max: 400 }),
      (year, month, days) => {
        expect(daysInMonth(year, month)).toBe(new Date(Date.UTC(year, month, 0)).getUTCDate());
        const start = `${year}-${String(month).padStart(2, '0')}-15`;
        expect(daysBetween(start, addDays(start, days))).toBe(days);
      }));
  });

  it('rejects impossible and malformed dates naming the field', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '15/01/2026', '2026-1-5', 20260115]) {
      expect(() => parseCalendarDate(bad, 'startDate')).toThrow(DomainError);
    }
    expect(parseCalendarDate('2028-02-29', 'startDate')).toBe('2028-02-29');
  });

  it('takes the Shanghai calendar date of an instant', () => {
    expect(shanghaiDate(new Date('2026-11-24T16:00:00Z'))).toBe('2026-11-25');
    expect(shanghaiDate(new Date('2026-11-24T15:59:59Z'))).toBe('2026-11-24');
  });
});
