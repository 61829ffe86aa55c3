import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import { maskIdNumber, maskMobile, parseIdNumber, parseMobile, parsePersonName } from './identity.js';

describe('identity values', () => {
  it('accepts a resident ID number with the right check character and rejects a wrong one', () => {
    expect(parseIdNumber('11010519491231002x', 'idNumber')).toBe('11010519491231002X');
    expect(() => parseIdNumber('110105194912310021', 'idNumber')).toThrow(DomainError);
    expect(() => parseIdNumber('11010519491331002X', 'idNumber')).toThrow(/birth date|check/);
    expect(() => parseIdNumber('1101051949', 'idNumber')).toThrow(/18-character/);
  });

  it('normalises mobile numbers and rejects what is not one', () => {
    expect(parseMobile('+86 138-0013-8000', 'mobile')).toBe('13800138000');
    expect(() => parseMobile('12800138000', 'mobile')).toThrow(DomainError);
    expect(() => parseMobile('1380013800', 'mobile')).toThrow(DomainError);
  });

  it('masks numbers for logs and screens', () => {
    expect(maskMobile('13800138000')).toBe('138****8000');
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
  });

  it('rejects names that are empty, too long or carry markup', () => {
    expect(parsePersonName(' 李四 ', 'name')).toBe('李四');
    for (const bad of ['', 'a', 'x'.repeat(51), '<script>']) expect(() => parsePersonName(bad, 'name')).toThrow(DomainError);
  });
});
