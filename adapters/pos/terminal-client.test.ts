import { describe, expect, it } from 'vitest';
import { signCanonicalRequest } from '../../src/pos/terminal-auth.js';
import { canonicalRequestString, createTerminalClient, signTerminalRequest, TerminalNetworkError, type FetchLike } from './terminal-client.js';

const SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';

interface Seen { url: string; method: string; headers: Record<string, string>; body: string | undefined }

/** A fake server: answers from a script and records what it was sent. */
function scripted(answers: (number | Error | { status: number; body?: unknown; headers?: Record<string, string> })[]): { fetch: FetchLike; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    seen.push({ url, method: init.method, headers: init.headers, body: init.body });
    const next = answers.shift() ?? 200;
    if (next instanceof Error) throw next;
    const answer = typeof next === 'number' ? { status: next, body: { ok: next < 400 } } : next;
    const headers = new Map(Object.entries(answer.headers ?? {}));
    return { status: answer.status, headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null }, text: async () => (answer.body === undefined ? '' : JSON.stringify(answer.body)) };
  };
  return { fetch, seen };
}

const client = (fetch: FetchLike, extra: Partial<Parameters<typeof createTerminalClient>[0]> = {}) =>
  createTerminalClient({ baseUrl: 'https://pos.example.cn', terminalId: 'QY-0001-T000001', secret: SECRET, fetch, retryDelayMs: 1, ...extra });

describe('terminal client', () => {
  it('signs the protocol example exactly as the server does', () => {
    const parts = { method: 'POST', pathWithQuery: '/v1/pos/repayments?channel=cash', timestamp: '1767225600', nonce: 'Zm9vYmFyYmF6cXV4MTIz', body: '{"loanId":42,"amountFen":150000,"note":"现金还款"}' };
    expect(canonicalRequestString(parts).split('\n')).toHaveLength(5);
    expect(signTerminalRequest(SECRET, parts)).toBe('9045f6ec636d1f3bd6c16dc67cc216a2a7e1fc17349c042c7eef746885039b3f');
    expect(signTerminalRequest(SECRET, parts)).toBe(signCanonicalRequest(SECRET, parts));
  });

  it('sends signed headers the server can verify, with the body it signed', async () => {
    const { fetch, seen } = scripted([200]);
    const pos = client(fetch, { nowMs: () => 1_767_225_600_500 });
    await pos.request('POST', '/v1/pos/repayments?channel=cash', { loanId: 42, amountFen: 150_000 });
    const sent = seen[0]!;
    expect(sent.url).toBe('https://pos.example.cn/v1/pos/repayments?channel=cash');
    expect(sent.headers).toMatchObject({ 'x-terminal-id': 'QY-0001-T000001', 'x-timestamp': '1767225600', 'content-type': 'application/json' });
    expect(sent.headers['x-nonce']).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(sent.headers['idempotency-key']).toMatch(/^[A-Za-z0-9_-]{8,128}$/);
    const expected = signCanonicalRequest(SECRET, { method: 'POST', pathWithQuery: '/v1/pos/repayments?channel=cash', timestamp: '1767225600', nonce: sent.headers['x-nonce']!, body: sent.body! });
    expect(sent.headers['x-signature']).toBe(expected);
  });

  it('signs the path the server receives when the API sits under a prefix', async () => {
    const { fetch, seen } = scripted([200]);
    await client(fetch, { baseUrl: 'https://host.example.cn/api/' }).request('GET', '/v1/pos/loans/42');
    expect(seen[0]!.url).toBe('https://host.example.cn/api/v1/pos/loans/42');
    const h = seen[0]!.headers;
    expect(h['x-signature']).toBe(signCanonicalRequest(SECRET, { method: 'GET', pathWithQuery: '/api/v1/pos/loans/42', timestamp: h['x-timestamp']!, nonce: h['x-nonce']!, body: '' }));
    expect(h['idempotency-key']).toBeUndefined();
  });

  it('retries network errors, 5xx and IDEMPOTENCY_IN_PROGRESS with the same key and fresh nonces', async () => {
    const { fetch, seen } = scripted([new Error('ECONNRESET'), 502, { status: 409, body: { code: 'IDEMPOTENCY_IN_PROGRESS' } },
      { status: 201, body: { receiptNo: 'R1' }, headers: { 'idempotent-replay': 'true' } }]);
    const result = await client(fetch).request('POST', '/v1/pos/repayments', { loanId: 1 }, { idempotencyKey: 'repay-loan-1-0001' });
    expect(result).toEqual({ status: 201, body: { receiptNo: 'R1' }, replayed: true, idempotencyKey: 'repay-loan-1-0001', attempts: 4 });
    expect(new Set(seen.map((s) => s.headers['idempotency-key']))).toEqual(new Set(['repay-loan-1-0001']));
    expect(new Set(seen.map((s) => s.headers['x-nonce'])).size).toBe(4);
    expect(new Set(seen.map((s) => s.body)).size).toBe(1);
  });

  it('does not retry other 4xx answers', async () => {
    const { fetch, seen } = scripted([{ status: 409, body: { code: 'LOAN_NOT_REPAYABLE' } }]);
    expect((await client(fetch).request('POST', '/v1/pos/repayments', {})).status).toBe(409);
    expect(seen).toHaveLength(1);
  });

  it('gives up after the retries with the key to use later', async () => {
    const { fetch, seen } = scripted([new Error('down'), new Error('down'), new Error('down')]);
    const failure = await client(fetch, { retries: 2 }).request('POST', '/v1/pos/repayments', {}, { idempotencyKey: 'later-key-0001' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TerminalNetworkError);
    expect((failure as TerminalNetworkError).idempotencyKey).toBe('later-key-0001');
    expect(seen).toHaveLength(3);
  });

  it('never retries sign-in, so a wrong PIN is not counted twice', async () => {
    const { fetch, seen } = scripted([503]);
    await expect(client(fetch).signIn('C1001', '480215')).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('keeps the session token and sends it until sign-out', async () => {
    const { fetch, seen } = scripted([{ status: 201, body: { sessionToken: 'tok', staffId: 'C1001', role: 'clerk', expiresAt: 'x' } }, 200, { status: 204 }, 200]);
    const pos = client(fetch);
    await pos.signIn('C1001', '480215');
    await pos.request('GET', '/v1/pos/me');
    await pos.signOut();
    await pos.request('GET', '/v1/pos/me');
    expect(seen.map((s) => s.headers['x-staff-session'])).toEqual([undefined, 'tok', 'tok', undefined]);
  });

  it("takes the server's clock after a stale_timestamp refusal", async () => {
    const serverNow = Date.parse('2026-01-15T02:00:00Z');
    const { fetch, seen } = scripted([{ status: 401, body: { code: 'UNAUTHORIZED', reason: 'stale_timestamp' }, headers: { date: new Date(serverNow).toUTCString() } }, 200]);
    const result = await client(fetch, { nowMs: () => serverNow - 7_200_000 }).request('GET', '/v1/pos/me');
    expect(result.status).toBe(200);
    expect(Number(seen[1]!.headers['x-timestamp'])).toBe(serverNow / 1000);
  });
});
