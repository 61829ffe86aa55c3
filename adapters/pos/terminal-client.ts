/**
 * The terminal side of the POS wire protocol (PROTOCOL.md beside this file): a small HTTP
 * client a POS app, the sandbox demo or a test uses to sign requests, hold the staff
 * session and retry safely.
 *
 * It depends on nothing but node:crypto and fetch, on purpose: it is a second, independent
 * implementation of the canonical string, so the server's and the client's readings of the
 * protocol are checked against each other (and against PROTOCOL.md's example) by tests.
 *
 * Retries: network errors, timeouts, 5xx and 409 IDEMPOTENCY_IN_PROGRESS are retried with
 * the SAME Idempotency-Key and a fresh nonce and signature, with capped exponential backoff.
 * That is safe because the server answers a key once and replays that answer. A POST with
 * no key (sign-in) is never retried: a wrong PIN would be counted twice.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';

export interface CanonicalParts {
  method: string;
  /** Path and query exactly as on the request line, e.g. `/v1/pos/loans/42?view=full`. */
  pathWithQuery: string;
  /** Unix seconds, as the decimal string sent in X-Timestamp. */
  timestamp: string;
  nonce: string;
  /** The exact body text sent (UTF-8), or '' for none. */
  body: string;
}

export function canonicalRequestString(parts: CanonicalParts): string {
  const bodyHash = createHash('sha256').update(parts.body, 'utf8').digest('hex');
  return `${parts.method.toUpperCase()}\n${parts.pathWithQuery}\n${parts.timestamp}\n${parts.nonce}\n${bodyHash}`;
}

/** hex(HMAC-SHA256(base64url-decoded secret, canonical string)). */
export function signTerminalRequest(secretBase64url: string, parts: CanonicalParts): string {
  return createHmac('sha256', Buffer.from(secretBase64url, 'base64url')).update(canonicalRequestString(parts), 'utf8').digest('hex');
}

export const newNonce = (): string => randomBytes(16).toString('base64url');
export const newIdempotencyKey = (): string => randomUUID();

/** The four signing headers for one request. */
export function signedHeaders(terminalId: string, secretBase64url: string, parts: CanonicalParts): Record<string, string> {
  return {
    'x-terminal-id': terminalId, 'x-timestamp': parts.timestamp, 'x-nonce': parts.nonce,
    'x-signature': signTerminalRequest(secretBase64url, parts),
  };
}

/** The part of fetch the client uses; tests pass one that goes through `app.inject`. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) =>
  Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface TerminalClientOptions {
  /** Where the API is, e.g. `https://lending.example.cn` (a path prefix is allowed and signed). */
  baseUrl: string;
  terminalId: string;
  /** The base64url secret ops received when the terminal was created. */
  secret: string;
  fetch?: FetchLike;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff; doubled per retry up to 5 s, with jitter (default 250 ms). */
  retryDelayMs?: number;
  /** Per attempt; above the server's 10 s wait for a duplicate in progress (default 30 s). */
  timeoutMs?: number;
  /** Local clock in ms (tests move it). */
  nowMs?: () => number;
}

export interface RequestOptions {
  /** Reuse the key of an earlier attempt (e.g. after the app restarted mid-request). */
  idempotencyKey?: string;
  /** Overrides the client's retry count for this call. */
  retries?: number;
}

export interface TerminalResponse<T = unknown> {
  status: number;
  /** Parsed JSON; the raw text when the body is not JSON; undefined when empty. */
  body: T;
  /** True when the server replayed the stored answer of an earlier attempt. */
  replayed: boolean;
  idempotencyKey: string | undefined;
  attempts: number;
}

export interface SessionGrant {
  sessionToken: string;
  staffId: string;
  role: 'clerk' | 'manager';
  expiresAt: string;
}

/** A request that got no HTTP answer at all, after every retry. Retry later with `idempotencyKey`. */
export class TerminalNetworkError extends Error {
  constructor(message: string, readonly idempotencyKey: string | undefined, override readonly cause: unknown) {
    super(message);
    this.name = 'TerminalNetworkError';
  }
}

/** Sign-in refused; `code` is the server's (STAFF_CREDENTIALS_INVALID, STAFF_LOCKED_OUT, ...). */
export class TerminalClientError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: unknown) {
    super(message);
    this.name = 'TerminalClientError';
  }
}

export interface TerminalClient {
  readonly terminalId: string;
  readonly sessionToken: string | undefined;
  /** Signs a staff member in; the token is then sent on every request. */
  signIn(staffId: string, pin: string): Promise<SessionGrant>;
  signOut(): Promise<void>;
  /** Restores a session kept across an app restart. */
  useSession(token: string | undefined): void;
  request<T = unknown>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<TerminalResponse<T>>;
}

const RETRY_DELAY_CAP_MS = 5_000;
const REPLAY_HEADER = 'idempotent-replay';

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A string field of a JSON error body ({code, reason?, message}). */
const codeOf = (body: unknown, field: 'code' | 'reason' | 'message'): string | undefined => {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
};

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

export function createTerminalClient(options: TerminalClientOptions): TerminalClient {
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl.slice(0, -1) : options.baseUrl);
  const nowMs = options.nowMs ?? Date.now;
  const retriesDefault = options.retries ?? 4;
  const firstDelayMs = options.retryDelayMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let sessionToken: string | undefined;
  /** Learned from the server's Date header after a stale_timestamp refusal. */
  let clockOffsetMs = 0;

  const backoff = (retry: number) => {
    const ceiling = Math.min(firstDelayMs * 2 ** retry, RETRY_DELAY_CAP_MS);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };

  async function send<T>(method: string, path: string, body: unknown, idempotencyKey: string | undefined, retries: number): Promise<TerminalResponse<T>> {
    if (!path.startsWith('/')) throw new Error(`path must start with /: ${path}`);
    const url = new URL(base.pathname.replace(/\/$/, '') + path, base.origin);
    const pathWithQuery = url.pathname + url.search;
    const text = body === undefined ? '' : JSON.stringify(body);
    const upper = method.toUpperCase();
    let clockRetried = false;
    let lastError: unknown;
    for (let attempt = 1; ; attempt += 1) {
      const parts = { method: upper, pathWithQuery, timestamp: String(Math.floor((nowMs() + clockOffsetMs) / 1000)), nonce: newNonce(), body: text };
      const headers: Record<string, string> = { ...signedHeaders(options.terminalId, options.secret, parts) };
      if (text.length > 0) headers['content-type'] = 'application/json';
      if (sessionToken) headers['x-staff-session'] = sessionToken;
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      let retryable: boolean;
      try {
        const response = await doFetch(url.toString(), {
          method: upper, headers, ...(text.length > 0 ? { body: text } : {}), signal: AbortSignal.timeout(timeoutMs),
        });
        const parsed = parseBody(await response.text());
        // A terminal with a wrong clock learns the server's time once and signs again.
        if (response.status === 401 && codeOf(parsed, 'reason') === 'stale_timestamp' && !clockRetried) {
          const serverDate = Date.parse(response.headers.get('date') ?? '');
          if (!Number.isNaN(serverDate)) {
            clockOffsetMs = serverDate - nowMs();
            clockRetried = true;
            attempt -= 1;
            continue;
          }
        }
        retryable = response.status >= 500 || (response.status === 409 && codeOf(parsed, 'code') === 'IDEMPOTENCY_IN_PROGRESS');
        if (!retryable || attempt > retries) {
          return { status: response.status, body: parsed as T, replayed: response.headers.get(REPLAY_HEADER) === 'true', idempotencyKey, attempts: attempt };
        }
      } catch (error) {
        lastError = error;
        if (attempt > retries) {
          throw new TerminalNetworkError(`${upper} ${path} got no answer after ${attempt} attempts`, idempotencyKey, error);
        }
      }
      await sleep(backoff(attempt - 1));
    }
    // Unreachable; keeps the compiler sure every path returns.
    throw new TerminalNetworkError(`${upper} ${path} failed`, idempotencyKey, lastError);
  }

  return {
    terminalId: options.terminalId,
    get sessionToken() { return sessionToken; },
    useSession(token) { sessionToken = token; },

    async signIn(staffId, pin) {
      sessionToken = undefined;
      const response = await send<unknown>('POST', '/v1/pos/sessions', { staffId, pin }, undefined, 0);
      if (response.status !== 201) {
        const code = codeOf(response.body, 'code') ?? 'UNKNOWN';
        const message = codeOf(response.body, 'message') ?? '';
        throw new TerminalClientError(response.status, code, `sign-in refused (${response.status} ${code}): ${message}`, response.body);
      }
      const grant = response.body as SessionGrant;
      sessionToken = grant.sessionToken;
      return grant;
    },

    async signOut() {
      if (!sessionToken) return;
      await send('DELETE', '/v1/pos/sessions', undefined, undefined, retriesDefault);
      sessionToken = undefined;
    },

    request<T = unknown>(method: string, path: string, body?: unknown, requestOptions: RequestOptions = {}) {
      const upper = method.toUpperCase();
      // Every POST gets a key, so every request here may be retried: POSTs are replayed by
      // the server, other methods are idempotent by nature.
      const key = upper === 'POST' ? requestOptions.idempotencyKey ?? newIdempotencyKey() : undefined;
      return send<T>(upper, path, body, key, requestOptions.retries ?? retriesDefault);
    },
  };
}
