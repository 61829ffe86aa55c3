import { describe, expect, it } from 'vitest';
import { SubscriberBook } from './subscriber-book.js';

describe('simulated billing subscribers', () => {
  it('take plan and status from the given account source, credit from the population', () => {
    const book = new SubscriberBook(100, 'seed', (msisdn) => (msisdn === '13900000007' ? { plan: 'postpaid', status: 'suspended' } : undefined));
    expect(book.get('13900000007')).toMatchObject({ plan: 'postpaid', status: 'suspended' });
    const plain = new SubscriberBook(100, 'seed');
    expect(book.get('13900000008')).toEqual(plain.get('13900000008'));
    expect(book.get('13900000100')).toBeUndefined();
  });
});
