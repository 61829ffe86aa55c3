import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createApiApp, nextIdNumber, nextMobile, withWrongCheckChar, type ApiTestContext } from '../support/api-app.js';

const URL = '/v1/ops/loans/import';

function bookLine(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    borrowerName: '王五', idNumber: nextIdNumber(), mobile: nextMobile(), productCode: 'Z001', principalFen: 1_200_000,
    startDate: '2025-11-10', repaymentChannels: ['passbook', 'phone_credit'], ...overrides,
  };
}
const book = (lines: (Record<string, unknown> | string)[]) =>
  `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`;

describe('POST /v1/ops/loans/import', () => {
  let ctx: ApiTestContext;
  beforeAll(async () => { ctx = await createApiApp(); });
  afterAll(async () => { await ctx?.close(); });

  const importBook = async (text: string, contentType = 'application/x-ndjson') => {
    const response = await ctx.app.inject({
      method: 'POST', url: URL, payload: text,
      headers: { 'content-type': contentType, authorization: 'Bearer test-admin-token' },
    });
    return { status: response.statusCode, body: response.json() };
  };
  const count = async (table: string) => Number((await ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
  const snapshot = async () => ({
    loans: await count('loans'), borrowers: await count('borrowers'), installments: await count('installments'),
    entries: await count('journal_entries'), postings: await count('postings'), outbox: await count('outbox'),
  });

  const good = [
    bookLine({ externalRef: 'OLD-0001', principalFen: 1_200_000, productCode: 'Z001', startDate: '2025-11-10' }),
    bookLine({ externalRef: 'OLD-0002', principalFen: 2_000_000, productCode: 'Y001', startDate: '2025-12-31' }),
    bookLine({ principalFen: 150_000, productCode: 'X001', startDate: '2026-01-05' }),
  ];
  let imported: number[];

  it('a good book of 3 lines -> 201 {imported: 3, loanIds}', async () => {
    const { status, body } = await importBook(book(good));
    expect(status).toBe(201);
    expect(body).toEqual({ imported: 3, loanIds: [expect.any(Number), expect.any(Number), expect.any(Number)] });
    imported = body.loanIds;
    expect(new Set(imported).size).toBe(3);
  });

  it('the imported loans are active, with schedules from their start dates and opening ledger entries', async () => {
    const expectations = [
      { principal: 1_200_000, term: 6, firstDue: '2025-12-10', product: 'Z001' },
      { principal: 2_000_000, term: 12, firstDue: '2026-01-31', product: 'Y001' },
      { principal: 150_000, term: 10, firstDue: '2026-02-05', product: 'X001' },
    ];
    for (const [i, id] of imported.entries()) {
      const e = expectations[i]!;
      const { status, body } = await call(ctx.app, 'GET', `/v1/ops/loans/${id}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'active', principalFen: e.principal, termMonths: e.term, productCode: e.product,
        startDate: good[i]!.startDate });
      expect(body.installments).toHaveLength(e.term);
      expect(body.installments[0].dueDate).toBe(e.firstDue);
      expect(body.installments.reduce((s: number, x: { principalFen: number }) => s + x.principalFen, 0)).toBe(e.principal);
      expect(body.balances).toEqual({ loan_principal: e.principal });
      expect(body.transitions).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'active' })]);
    }
    const trial = await call(ctx.app, 'GET', '/v1/ops/ledger/trial-balance');
    expect(trial.body.totalFen).toBe(0);
    expect(trial.body.mismatchedAccounts).toEqual([]);
    const equity = trial.body.accounts.find((a: { purpose: string }) => a.purpose === 'opening_balance_equity');
    expect(equity?.balanceFen).toBe(-(1_200_000 + 2_000_000 + 150_000));
    const refs = await ctx.db.query<{ external_ref: string | null }>(
      'SELECT external_ref FROM loans WHERE id = ANY($1::bigint[]) ORDER BY id', [imported]);
    expect(refs.map((r) => r.external_ref)).toEqual(['OLD-0001', 'OLD-0002', null]);
    const events = await ctx.db.query<{ job_name: string; payload: unknown }>(`SELECT job_name, payload FROM outbox WHERE job_name = 'loan-book.imported'`);
    expect(events).toEqual([{ job_name: 'loan-book.imported', payload: { loans: 3, actor: 'ops:admin-token' } }]);
  });

  it('a book with bad lines -> 422 IMPORT_INVALID listing every bad line; nothing is stored', async () => {
    const before = await snapshot();
    const text = book([
      bookLine({ externalRef: 'NEW-0001' }),
      bookLine({ idNumber: withWrongCheckChar(nextIdNumber()) }),
      bookLine(),
      bookLine({ productCode: 'NOPE1' }),
      bookLine({ principalFen: -500 }),
      '{"borrowerName": "赵六", "idNumber": ',
      bookLine(),
    ]);
    const { status, body } = await importBook(text);
    expect(status).toBe(422);
    expect(body).toEqual({
      code: 'IMPORT_INVALID', message: expect.any(String), totalErrors: 4,
      errors: [
        { line: 2, field: 'idNumber', code: 'INVALID_ID_NUMBER', message: expect.any(String) },
        { line: 4, field: 'productCode', code: 'PRODUCT_NOT_FOUND', message: expect.any(String) },
        { line: 5, field: 'principalFen', code: 'INVALID_AMOUNT', message: expect.any(String) },
        { line: 6, field: 'line', code: 'INVALID_JSON', message: expect.any(String) },
      ],
    });
    expect(await snapshot()).toEqual(before);
  });

  it('line numbers count blank lines and survive CRLF endings', async () => {
    const before = await snapshot();
    const text = `${JSON.stringify(bookLine())}\r\n\r\n${JSON.stringify(bookLine({ mobile: '123' }))}\r\n`;
    const { status, body } = await importBook(text);
    expect(status).toBe(422);
    expect(body.errors).toEqual([expect.objectContaining({ line: 3, field: 'mobile', code: 'INVALID_MOBILE' })]);
    expect(await snapshot()).toEqual(before);
  });

  it('re-importing an externalRef -> 422 with ALREADY_IMPORTED on its line; nothing is stored', async () => {
    const before = await snapshot();
    const { status, body } = await importBook(book([bookLine({ externalRef: 'NEW-0002' }), bookLine({ externalRef: 'OLD-0002' })]));
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'IMPORT_INVALID', totalErrors: 1,
      errors: [{ line: 2, field: 'externalRef', code: 'ALREADY_IMPORTED', message: expect.any(String) }] });
    expect(await snapshot()).toEqual(before);
    // The same good line on its own is still accepted: the refusal was all or nothing.
    const retry = await importBook(book([bookLine({ externalRef: 'NEW-0002' })]));
    expect(retry.status).toBe(201);
    expect(retry.body.imported).toBe(1);
  });

  it('a reference repeated inside one book -> 422 DUPLICATE_REFERENCE on the second line', async () => {
    const before = await snapshot();
    const { status, body } = await importBook(book([bookLine({ externalRef: 'DUP-1' }), bookLine({ externalRef: 'DUP-1' })]));
    expect(status).toBe(422);
    expect(body.errors).toEqual([expect.objectContaining({ line: 2, field: 'externalRef', code: 'DUPLICATE_REFERENCE' })]);
    expect(await snapshot()).toEqual(before);
  });

  it('the borrowing cap holds across the lines of a book', async () => {
    const before = await snapshot();
    const person = { idNumber: nextIdNumber(), mobile: nextMobile(), productCode: 'Y001', principalFen: 8_000_000 };
    const { status, body } = await importBook(book([bookLine(person), bookLine(person), bookLine(person)]));
    expect(status).toBe(422);
    expect(body.errors).toEqual([expect.objectContaining({ line: 3, field: 'principalFen', code: 'BORROWING_CAP_EXCEEDED' })]);
    expect(await snapshot()).toEqual(before);
  });

  it('an empty book is 400 IMPORT_EMPTY', async () => {
    const { status, body } = await importBook('\n\n');
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'IMPORT_EMPTY' });
  });

  it('the trial balance is still zero after all of it', async () => {
    const trial = await call(ctx.app, 'GET', '/v1/ops/ledger/trial-balance');
    expect(trial.body).toMatchObject({ totalFen: 0, mismatchedAccounts: [] });
  });
});
