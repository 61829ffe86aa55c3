import { verify } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../core/domain-error.js';
import { hashPin, isWeakPin, parseStoreInput } from './stores.js';

describe('store registry rules', () => {
  it.each(['000000', '999999', '123456', '345678', '654321', '987654'])('refuses the guessable PIN %s', (pin) => {
    expect(isWeakPin(pin)).toBe(true);
  });

  it.each(['480215', '112233', '135790', '000001', '121212'])('accepts %s', (pin) => {
    expect(isWeakPin(pin)).toBe(false);
  });

  it('hashes PINs with argon2id and a fresh salt each time', async () => {
    const [one, two] = await Promise.all([hashPin('480215'), hashPin('480215')]);
    expect(one).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(one).not.toBe(two);
    expect(await verify(one, '480215')).toBe(true);
    expect(await verify(one, '480216')).toBe(false);
  });

  it('trims names and refuses repeated villages, naming the field', () => {
    const parsed = parseStoreInput({ code: 'GD-QY-0012', name: ' 连江口营业厅 ', region: '广东省', county: '英德市', villages: [' 浦村', '黎洞村'] });
    expect(parsed).toEqual({ code: 'GD-QY-0012', name: '连江口营业厅', region: '广东省', county: '英德市', villages: ['浦村', '黎洞村'] });
    const repeated = () => parseStoreInput({ ...parsed, villages: ['浦村', '浦村 '] });
    expect(repeated).toThrow(DomainError);
    expect(repeated).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'villages.1' }));
    expect(() => parseStoreInput({ ...parsed, code: 'gd-1' })).toThrow(expect.objectContaining({ field: 'code' }));
  });
});
