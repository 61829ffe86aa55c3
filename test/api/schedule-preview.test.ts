import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_BYTES_MAX } from '../../src/api/app.js';
import { createApiApp, type ApiTestContext } from '../support/api-app.js';

const URL = '/v1/schedules/preview';
const GOOD = { principalFen: 5_000_000, annualRatePercent: '10', termMonths: 6, method: 'equal_principal', startDate: '2026-01-15' };

describe('POST /v1/schedules/preview', () => {
  let ctx: ApiTestContext;
  beforeAll(async () => { ctx = await createApiApp(); });
  afterAll(async () => { await ctx?.close(); });

  const preview = (payload: unknown) => ctx.app.inject({ method: 'POST', url: URL, payload: payload as object });
  const previewRaw = (payload: string, contentType = 'application/json') =>
    ctx.app.inject({ method: 'POST', url: URL, payload, headers: { 'content-type': contentType } });

  it('returns the exact schedule for the documented example', async () => {
    const response = await preview(GOOD);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const principal = [833_333, 833_333, 833_333, 833_333, 833_333, 833_335];
    const interest = [41_667, 34_722, 27_778, 20_833, 13_889, 6_944];
    const dueDates = ['2026-02-15', '2026-03-15', '2026-04-15', '2026-05-15', '2026-06-15', '2026-07-15'];
    expect(response.json()).toStrictEqual({
      installments: principal.map((p, i) => ({
        number: i + 1, dueDate: dueDates[i], principalFen: p, interestFen: interest[i], totalFen: p + interest[i]!,
      })),
      totalInterestFen: 145_833,
    });
    const body = response.json() as { installments: { principalFen: number }[] };
    expect(body.installments.reduce((s, i) => s + i.principalFen, 0)).toBe(GOOD.principalFen);
  });

  it('accepts a rate exactly at the ceiling (12%) and a numeric rate', async () => {
    expect((await preview({ ...GOOD, annualRatePercent: '12' })).statusCode).toBe(200);
    const numeric = await preview({ ...GOOD, annualRatePercent: 10 });
    expect(numeric.statusCode).toBe(200);
    expect(numeric.json().totalInterestFen).toBe(145_833);
  });

  const invalid: [string, Record<string, unknown>, string, string?][] = [
    ['negative principal', { ...GOOD, principalFen: -100 }, 'principalFen'],
    ['zero principal', { ...GOOD, principalFen: 0 }, 'principalFen'],
    ['fractional fen', { ...GOOD, principalFen: 1.5 }, 'principalFen'],
    ['principal as a string (no coercion)', { ...GOOD, principalFen: '5000000' }, 'principalFen'],
    ['principal above the largest amount', { ...GOOD, principalFen: Number.MAX_SAFE_INTEGER }, 'principalFen'],
    ['unknown method', { ...GOOD, method: 'balloon' }, 'method'],
    ['rate above the legal ceiling', { ...GOOD, annualRatePercent: '24' }, 'annualRatePercent', 'RATE_ABOVE_CEILING'],
    ['rate just above the ceiling', { ...GOOD, annualRatePercent: '12.0001' }, 'annualRatePercent', 'RATE_ABOVE_CEILING'],
    ['rate in words', { ...GOOD, annualRatePercent: 'ten' }, 'annualRatePercent'],
    ['negative rate', { ...GOOD, annualRatePercent: '-1' }, 'annualRatePercent'],
    ['negative numeric rate', { ...GOOD, annualRatePercent: -1 }, 'annualRatePercent'],
    ['rate with 5 decimals', { ...GOOD, annualRatePercent: '1.23456' }, 'annualRatePercent'],
    ['numeric rate with 5 decimals', { ...GOOD, annualRatePercent: 1.23456 }, 'annualRatePercent'],
    ['term 0', { ...GOOD, termMonths: 0 }, 'termMonths'],
    ['term 361', { ...GOOD, termMonths: 361 }, 'termMonths'],
    ['fractional term', { ...GOOD, termMonths: 6.5 }, 'termMonths'],
    ['February 30th', { ...GOOD, startDate: '2026-02-30' }, 'startDate', 'INVALID_DATE'],
    ['month 13', { ...GOOD, startDate: '2026-13-01' }, 'startDate', 'INVALID_DATE'],
    ['day-first date', { ...GOOD, startDate: '15/01/2026' }, 'startDate'],
    ['date with a time', { ...GOOD, startDate: '2026-01-15T00:00:00Z' }, 'startDate'],
    ['missing principal', (({ principalFen: _, ...rest }) => rest)(GOOD), 'principalFen'],
    ['missing startDate', (({ startDate: _, ...rest }) => rest)(GOOD), 'startDate'],
    ['unknown extra field', { ...GOOD, discount: 5 }, 'discount'],
    ['SQL in method', { ...GOOD, method: "'; DROP TABLE loans;--" }, 'method'],
    ['SQL in startDate', { ...GOOD, startDate: "2026-01-15'; DROP TABLE loans;--" }, 'startDate'],
    ['SQL in rate', { ...GOOD, annualRatePercent: "10'; DROP TABLE loans;--" }, 'annualRatePercent'],
  ];

  it.each(invalid)('%s -> 400 naming the field', async (_name, payload, field, code) => {
    const response = await preview(payload);
    expect(response.statusCode).toBe(400);
    const body = response.json() as { code: string; message: string; field: string };
    expect(Object.keys(body).sort()).toEqual(['code', 'field', 'message']);
    expect(body.field).toBe(field);
    expect(typeof body.code).toBe('string');
    expect(body.message.length).toBeGreaterThan(0);
    if (code) expect(body.code).toBe(code);
  });

  it('a rate over the ceiling says RATE_ABOVE_CEILING with the ceiling in the message', async () => {
    const response = await preview({ ...GOOD, annualRatePercent: '24' });
    expect(response.json()).toMatchObject({ code: 'RATE_ABOVE_CEILING', field: 'annualRatePercent' });
    expect(response.json().message).toContain('12%');
  });

  it('the SQL-looking inputs left the loans table in place', async () => {
    const [row] = await ctx.db.query<{ t: string | null }>(`SELECT to_regclass('public.loans')::text AS t`);
    expect(row?.t).toBe('loans');
    await expect(ctx.db.query('SELECT count(*) FROM loans')).resolves.toBeDefined();
  });

  it('invalid JSON -> 400 INVALID_JSON', async () => {
    const response = await previewRaw('{"principalFen": 5000000,');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('an empty JSON body -> 400 INVALID_JSON', async () => {
    const response = await previewRaw('');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('a JSON array or scalar instead of an object -> 400', async () => {
    for (const text of ['[]', '42', 'null', '"x"']) {
      const response = await previewRaw(text);
      expect(response.statusCode, text).toBe(400);
      expect(typeof response.json().code).toBe('string');
    }
  });

  it('a body over 1 MiB -> 413 BODY_TOO_LARGE', async () => {
    const padding = 'x'.repeat(BODY_BYTES_MAX + 10);
    const response = await previewRaw(JSON.stringify({ ...GOOD, method: padding }));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    // Just under the limit the body is read and judged by the schema instead.
    const under = await previewRaw(JSON.stringify({ ...GOOD, method: 'x'.repeat(BODY_BYTES_MAX - 200) }));
    expect(under.statusCode).toBe(400);
    expect(under.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'method' });
  });

  it('JSON nested deeper than 32 -> 400; 32 levels are parsed', async () => {
    const nest = (depth: number) => `${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}`;
    const tooDeep = await previewRaw(`{"principalFen": ${nest(33)}}`);
    expect(tooDeep.statusCode).toBe(400);
    expect(tooDeep.json().code).toBe('JSON_TOO_DEEP');
    // Exactly 32 levels pass the parser and fail only the schema (principalFen is not an integer).
    const deepEnough = await previewRaw(`{"principalFen": ${nest(32)}}`);
    expect(deepEnough.statusCode).toBe(400);
    expect(deepEnough.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    // Brackets inside strings do not count.
    const inString = await previewRaw(JSON.stringify({ ...GOOD, method: '['.repeat(100) }));
    expect(inString.statusCode).toBe(400);
    expect(inString.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'method' });
  });

  it('a content type with no parser -> 415; plain text is not taken for JSON', async () => {
    const xml = await previewRaw('<preview/>', 'application/xml');
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const text = await previewRaw(JSON.stringify(GOOD), 'text/plain');
    expect(text.statusCode).toBe(400);
    expect(typeof text.json().code).toBe('string');
  });
});

describe('unknown routes', () => {
  let ctx: ApiTestContext;
  beforeAll(async () => { ctx = await createApiApp(); });
  afterAll(async () => { await ctx?.close(); });

  it('-> 404 NOT_FOUND in the error shape', async () => {
    for (const [method, url] of [['GET', '/v1/nope'], ['POST', '/v1/schedules/previews'], ['GET', '/v1/schedules/preview']] as const) {
      const response = await ctx.app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
      expect(typeof response.json().message).toBe('string');
    }
  });
});
