/**
 * Signed requests from POS terminals (wire protocol: adapters/pos/PROTOCOL.md).
 *
 *   X-Terminal-Id  the terminal's id
 *   X-Timestamp    unix seconds when the request was signed
 *   X-Nonce        16-64 characters [A-Za-z0-9_-], never reused by the terminal
 *   X-Signature    hex HMAC-SHA256(secret bytes, canonical string)
 *
 * canonical string = METHOD \n path-with-query \n timestamp \n nonce \n hex(SHA-256(body bytes))
 *
 * The check runs in two steps. Before the body is read (onRequest) the headers are parsed,
 * the timestamp is judged and the terminal is looked up, so junk costs no body read. Once
 * the raw body is there (preValidation) the signature is verified, then suspension, then the
 * nonce is spent. The nonce comes last on purpose: only a request that proved knowledge of
 * the secret can use up a nonce, so nobody else can burn a terminal's nonces.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DomainError } from '../core/domain-error.js';
import type { Database } from '../db/database.js';
import { withTimeout } from '../queue/time.js';
import { findTerminalCredentials, type StaffRole, type TerminalCredentials } from './stores.js';

export const TERMINAL_ID_HEADER = 'x-terminal-id';
export const TIMESTAMP_HEADER = 'x-timestamp';
export const NONCE_HEADER = 'x-nonce';
export const SIGNATURE_HEADER = 'x-signature';

/** A request signed more than this many seconds before or after our clock is refused. */
export const CLOCK_SKEW_MAX_S = 300;
/**
 * How long a spent nonce is remembered. A request is acceptable while |now - timestamp| is
 * within the skew, i.e. for up to 2 × 300 s after the earliest moment it could be seen; the
 * nonce must outlive that, with a margin for clock steps on our side.
 */
export const NONCE_TTL_S = 2 * CLOCK_SKEW_MAX_S + 300;
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const TERMINAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/;
const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');

/**
 * The Redis connection is shared with BullMQ, which needs it to queue commands through an
 * outage without limit. A POS request must not hang on that for two minutes: POS state
 * commands give up after this long and the terminal gets 503, which its client retries.
 */
export const POS_REDIS_TIMEOUT_MS = 2_000;

export function posRedis<T>(work: Promise<T>): Promise<T> {
  return withTimeout(work, POS_REDIS_TIMEOUT_MS,
    () => new DomainError('SERVICE_UNAVAILABLE', 'the POS session store is not answering; try again shortly'));
}

export type TerminalRefusalReason =
  | 'missing_header' | 'unknown_terminal' | 'bad_signature' | 'stale_timestamp' | 'replayed_nonce' | 'terminal_suspended';

export interface TerminalRefusal {
  ok: false;
  reason: TerminalRefusalReason;
  message: string;
}

/** Who is calling, attached to every request that passed the checks. */
export interface PosRequestContext {
  terminalId: string;
  storeCode: string;
  /** Set once the staff session is checked (every route but sign-in). */
  staffId?: string;
  role?: StaffRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    pos?: PosRequestContext;
  }
  /** Per-route switches of the POS plugin (api/pos-plugin.ts); both default to true. */
  interface FastifyContextConfig {
    /** false only for sign-in: the route runs without `X-Staff-Session`. */
    posStaffSession?: boolean;
    /** false only for sign-in: a POST that is not keyed and never replayed. */
    posIdempotent?: boolean;
  }
}

export interface SignedHeaders {
  terminalId: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

export interface CanonicalRequest {
  method: string;
  /** Path and query exactly as sent on the request line, e.g. `/v1/pos/loans?status=active`. */
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  /** The exact body bytes (a string is taken as UTF-8); empty for bodyless requests. */
  body: string | Uint8Array;
}

export function bodySha256Hex(body: string | Uint8Array): string {
  if (body.length === 0) return EMPTY_BODY_SHA256;
  return createHash('sha256').update(body).digest('hex');
}

export function canonicalString(request: CanonicalRequest): string {
  return [request.method.toUpperCase(), request.pathWithQuery, request.timestamp, request.nonce, bodySha256Hex(request.body)].join('\n');
}

/** The HMAC key is the secret's decoded bytes (32 of them), not its base64url text. */
export function secretKey(secretBase64url: string): Buffer {
  return Buffer.from(secretBase64url, 'base64url');
}

export function signCanonicalRequest(secretBase64url: string, request: CanonicalRequest): string {
  return createHmac('sha256', secretKey(secretBase64url)).update(canonicalString(request), 'utf8').digest('hex');
}

function refuse(reason: TerminalRefusalReason, message: string): TerminalRefusal {
  return { ok: false, reason, message };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  // A repeated header is ambiguous (which one was signed?), so it counts as absent.
  return typeof value === 'string' ? value : undefined;
}

/** Reads the four headers; a malformed one is reported as missing, naming it. */
export function parseSignedHeaders(headers: Record<string, string | string[] | undefined>): { ok: true; value: SignedHeaders } | TerminalRefusal {
  const terminalId = header(headers, TERMINAL_ID_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const nonce = header(headers, NONCE_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (terminalId === undefined || !TERMINAL_ID_PATTERN.test(terminalId)) return refuse('missing_header', 'X-Terminal-Id is missing or not a terminal id');
  if (timestamp === undefined || !TIMESTAMP_PATTERN.test(timestamp)) return refuse('missing_header', 'X-Timestamp is missing or not unix seconds');
  if (nonce === undefined || !NONCE_PATTERN.test(nonce)) return refuse('missing_header', 'X-Nonce is missing or not 16-64 characters of A-Z a-z 0-9 _ -');
  if (signature === undefined || !SIGNATURE_PATTERN.test(signature)) return refuse('missing_header', 'X-Signature is missing or not 64 hex digits');
  return { ok: true, value: { terminalId, timestamp, nonce, signature: signature.toLowerCase() } };
}

export function isTimestampFresh(timestamp: string, now: Date): boolean {
  return Math.abs(now.getTime() / 1000 - Number(timestamp)) <= CLOCK_SKEW_MAX_S;
}

/** Constant-time comparison of two hex HMACs of the same (public) length. */
export function signaturesEqual(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  const given = Buffer.from(givenHex, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The first step's result: headers that parse, a fresh timestamp and a known terminal. */
export interface PendingTerminalAuth {
  ok: true;
  headers: SignedHeaders;
  terminal: TerminalCredentials;
}

export interface TerminalAuthOptions {
  db: Database;
  redis: Redis;
  /** Prefix of the nonce keys; tests pass a unique one. */
  redisKeyPrefix: string;
  now?: () => Date;
}

export class TerminalAuthenticator {
  private readonly now: () => Date;

  constructor(private readonly options: TerminalAuthOptions) {
    this.now = options.now ?? (() => new Date());
  }

  nonceKey(terminalId: string, nonce: string): string {
    return `${this.options.redisKeyPrefix}:nonce:${terminalId}:${nonce}`;
  }

  /** Step one, before the body is read: headers, clock and terminal. */
  async begin(headers: Record<string, string | string[] | undefined>): Promise<PendingTerminalAuth | TerminalRefusal> {
    const parsed = parseSignedHeaders(headers);
    if (!parsed.ok) return parsed;
    if (!isTimestampFresh(parsed.value.timestamp, this.now())) {
      return refuse('stale_timestamp', `X-Timestamp is more than ${CLOCK_SKEW_MAX_S} seconds from the server clock; check the terminal's clock`);
    }
    const terminal = await findTerminalCredentials(this.options.db, parsed.value.terminalId);
    if (!terminal) return refuse('unknown_terminal', 'X-Terminal-Id names no terminal');
    return { ok: true, headers: parsed.value, terminal };
  }

  /**
   * Step two, with the exact body bytes: signature, suspension, then the nonce (SET NX, so
   * two copies of one signed request racing each other cannot both pass).
   */
  async finish(pending: PendingTerminalAuth, method: string, pathWithQuery: string, rawBody: string | Uint8Array): Promise<{ ok: true; context: PosRequestContext } | TerminalRefusal> {
    const { headers, terminal } = pending;
    const expected = signCanonicalRequest(terminal.secret, { method, pathWithQuery, timestamp: headers.timestamp, nonce: headers.nonce, body: rawBody });
    if (!signaturesEqual(expected, headers.signature)) {
      return refuse('bad_signature', 'X-Signature does not match the request; sign METHOD, path with query, timestamp, nonce and the body hash');
    }
    if (terminal.status !== 'active') return refuse('terminal_suspended', 'this terminal is suspended; ask operations to reactivate it');
    if (!terminal.storeActive) return refuse('terminal_suspended', "this terminal's store is closed");
    const set = await posRedis(this.options.redis.set(this.nonceKey(terminal.id, headers.nonce), '1', 'EX', NONCE_TTL_S, 'NX'));
    if (set !== 'OK') return refuse('replayed_nonce', 'X-Nonce was already used; sign every request with a fresh nonce');
    return { ok: true, context: { terminalId: terminal.id, storeCode: terminal.storeCode } };
  }
}
