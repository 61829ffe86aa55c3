import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderContractSet } from '../../src/contracts/render-contract.js';
import { sampleContractContext } from '../../src/contracts/sample-context.js';
import { openPglite, type Database, type Queryable } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Migration 0005: signed contracts are evidence. Once a signing and its documents are
 * written, no UPDATE, DELETE or TRUNCATE gets through, on PostgreSQL and on the sandbox's
 * embedded PGlite alike.
 */

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
}

/** A store, a borrower, a product, a loan, a verified OTP, a signing and its five rendered documents. */
async function insertSignedLoan(db: Database): Promise<{ loanId: number; signingId: number }> {
  const ctx = sampleContractContext();
  const docs = renderContractSet(ctx);
  return db.transaction(async (tx: Queryable) => {
    await tx.query(`INSERT INTO stores (code, name, region, county, villages) VALUES ($1, $2, '湛江', $3, ARRAY['墩头村'])`,
      [ctx.store.code, ctx.store.name, ctx.store.county]);
    const [borrower] = await tx.query<{ id: number }>(`INSERT INTO borrowers (name, id_number, mobile) VALUES ($1, $2, $3) RETURNING id`,
      [ctx.borrower.name, ctx.borrower.idNumber, ctx.borrower.mobile]);
    const [product] = await tx.query<{ id: number }>(`INSERT INTO products (code, version, name, min_amount_fen, max_amount_fen,
        annual_rate_ppm, term_months, method, penalty_rate_ppm, service_fee_ppm)
      VALUES ('Y001', 99, '养殖贷', 100000, 8000000, 100000, 12, 'interest_monthly_principal_at_maturity', 120000, 10000) RETURNING id`);
    const [loan] = await tx.query<{ id: number }>(`INSERT INTO loans (borrower_id, product_id, principal_fen, annual_rate_ppm,
        penalty_rate_ppm, service_fee_fen, term_months, method, status, repayment_channels, store_code)
      VALUES ($1, $2, $3, 100000, 120000, $4, 12, 'interest_monthly_principal_at_maturity', 'contracted', $5, $6) RETURNING id`,
      [borrower!.id, product!.id, ctx.loan.principalFen, ctx.loan.serviceFeeFen, ctx.channels, ctx.store.code]);
    const [otp] = await tx.query<{ id: number }>(`INSERT INTO otp_challenges (purpose, loan_id, msisdn, code_hash, expires_at, verified_at, sms_reference)
      VALUES ('contract_signing', $1, $2, 'hash', now() + interval '5 minutes', now(), 'SMS-1') RETURNING id`, [loan!.id, ctx.borrower.mobile]);
    const [signing] = await tx.query<{ id: number }>(`INSERT INTO contract_signings (loan_id, otp_challenge_id, store_code, terminal_id, staff_id, signed_at)
      VALUES ($1, $2, $3, 'T-1', 'S-1', now()) RETURNING id`, [loan!.id, otp!.id, ctx.store.code]);
    for (const doc of docs) {
      await tx.query(`INSERT INTO contract_documents (signing_id, loan_id, kind, template_version, title, content, sha256)
        VALUES ($1, $2, $3, $4, $5, $6, $7)`, [signing!.id, loan!.id, doc.kind, doc.templateVersion, doc.title, doc.content, doc.sha256]);
    }
    return { loanId: loan!.id, signingId: signing!.id };
  });
}

async function snapshot(db: Database): Promise<unknown[]> {
  return db.query(`SELECT 'signing' AS t, id, loan_id, store_code AS a, signed_at::text AS b FROM contract_signings
    UNION ALL SELECT 'document', id, loan_id, kind, sha256 FROM contract_documents ORDER BY t, id`);
}

const engines: [string, () => Promise<{ db: Database; close(): Promise<void> }>][] = [
  ['PostgreSQL', async () => {
    const t: TestDatabase = await createTestDatabase();
    return { db: t.db, close: () => t.drop() };
  }],
  ['PGlite', async () => {
    const db = await openPglite(undefined);
    await db.migrate();
    return { db, close: () => db.close() };
  }],
];

describe.each(engines)('signed contracts are immutable (%s)', (_engine, open) => {
  let db: Database;
  let close: () => Promise<void>;
  let ids: { loanId: number; signingId: number };

  beforeAll(async () => {
    ({ db, close } = await open());
    ids = await insertSignedLoan(db);
  });
  afterAll(async () => { await close(); });

  it('stores the five documents with hashes the database agrees with', async () => {
    const rows = await db.query<{ kind: string; ok: boolean }>(`SELECT kind,
        encode(sha256(convert_to(content, 'UTF8')), 'hex') = sha256 AS ok FROM contract_documents WHERE loan_id = $1 ORDER BY id`, [ids.loanId]);
    expect(rows).toEqual([
      { kind: 'loan_agreement', ok: true },
      { kind: 'credit_service_agreement', ok: true },
      { kind: 'repayment_reminder', ok: true },
      { kind: 'deduction_authorization', ok: true },
      { kind: 'risk_acknowledgement', ok: true },
    ]);
  });

  it.each([
    `UPDATE contract_documents SET content = content || ' '`,
    `UPDATE contract_documents SET sha256 = 'x' WHERE kind = 'loan_agreement'`,
    `DELETE FROM contract_documents WHERE kind = 'repayment_reminder'`,
    `DELETE FROM contract_documents`,
    `TRUNCATE contract_documents`,
    `UPDATE contract_signings SET staff_id = 'S-2'`,
    `DELETE FROM contract_signings`,
    `TRUNCATE contract_signings CASCADE`,
  ])('refuses %s and changes nothing', async (statement) => {
    const before = await snapshot(db);
    expect(before).toHaveLength(6);
    const error = await errorOf(db.transaction((tx) => tx.query(statement)));
    expect(String((error as Error).message)).toMatch(/signed contract rows are immutable/);
    expect(await snapshot(db)).toEqual(before);
  });

  it('still takes new documents (inserts are not blocked)', async () => {
    await db.query(`INSERT INTO contract_documents (signing_id, loan_id, kind, template_version, title, content, sha256)
      VALUES ($1, $2, 'supplement', '2026.1', '补充协议', 'x', 'y')`, [ids.signingId, ids.loanId]);
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contract_documents WHERE loan_id = $1`, [ids.loanId]);
    expect(row!.n).toBe(6);
  });
});
