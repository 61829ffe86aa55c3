import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Database } from '../src/db/database.js';
import { closeOfBusiness } from '../src/jobs/close-of-business.js';
import { applyForLoan } from '../src/loans/apply-for-loan.js';
import { disburseLoan } from '../src/loans/disburse-loan.js';
import { postRepayment } from '../src/loans/post-repayment.js';
import { transitionLoan } from '../src/loans/transition-loan.js';
import { trialBalance } from '../src/ledger/trial-balance.js';
import { seedProductLibrary } from '../src/products/product-library.js';

/** The sandbox's embedded database runs the same migrations and SQL as PostgreSQL. */
describe('embedded PGlite', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPglite(undefined);
    await db.migrate();
    await seedProductLibrary(db, 120_000);
  });
  afterAll(async () => { await db.close(); });

  it('runs a loan from application through close of business with a zero trial balance', async () => {
    const loan = await applyForLoan(db, {
      borrowerName: '张三', idNumber: '11010519491231002X', mobile: '13800138000', productCode: 'Z001',
      principalFen: 5_000_000, repaymentChannels: ['store_cash'],
    }, 'test');
    await transitionLoan(db, loan.id, 'approved', 'test', 'initial review passed');
    await transitionLoan(db, loan.id, 'contracted', 'test', 'documents signed');
    await disburseLoan(db, loan.id, { channel: 'passbook', businessDate: '2026-01-15', reference: 'BANK-1' }, 'test');
    const summary = await closeOfBusiness(db, '2026-02-20');
    expect(summary.loansNewlyOverdue).toBe(1);
    const repayment = await postRepayment(db, loan.id, {
      amountFen: 1_000_000, channel: 'store_cash', storeCode: 'S001', externalRef: 'R-1', businessDate: '2026-02-20',
    });
    expect(repayment.loanStatus).toBe('active');
    const balance = await trialBalance(db);
    expect(balance.totalFen).toBe(0);
    expect(balance.mismatchedAccounts).toEqual([]);
    await expect(db.query('DELETE FROM postings')).rejects.toThrow(/immutable/);
  });

  it('copies a stream into a table', async () => {
    await db.query('CREATE TABLE copy_probe (a bigint, b text)');
    expect(await db.copyFrom('COPY copy_probe (a, b) FROM STDIN WITH (FORMAT csv)', Readable.from(['1,x\n2,y\n']))).toBe(2);
    expect(await db.query('SELECT count(*)::int AS n FROM copy_probe')).toEqual([{ n: 2 }]);
  });
});
