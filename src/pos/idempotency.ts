/**
 * Idempotency-Key for POS writes. A store clerk on a village 2G link will press "retry",
 * and the terminal client retries by itself after a timeout or a 5xx; a repayment taken
 * twice is cash that does not exist. So every POST under /v1/pos (sign-in aside) carries
 * `Idempotency-Key`, and the first answer to a key is the answer to every retry.
 *
 * One `pos_idempotency` row per (terminal, key):
 * - first arrival inserts it `in_progress` with SHA-256(method \n path-with-query \n body)
 *   and runs the handler; the answer (status + JSON body) is stored `done` in onSend;
 * - a retry with the same request hash gets the stored answer, `Idempotent-Replay: true`,
 *   and the handler does not run; with another hash it gets 422 IDEMPOTENCY_KEY_REUSED;
 * - a retry that arrives while the first is still running polls every 50 ms for up to 10 s
 *   and then replays; if the first is still running it gets 409 IDEMPOTENCY_IN_PROGRESS;
 * - a 5xx (including a handler that threw) deletes the row, so the retry runs afresh;
 *   a 4xx is stored: the same request deserves the same refusal.
 *
 * Who owns a row is remembered by its `created_at` (exact text, microseconds): the owner's
 * store and delete are conditional on it, and a row left `in_progress` by a crashed process
 * is taken over after IN_PROGRESS_ABANDONED_AFTER_S by bumping it. The handler's own writes
 * and the stored answer are not one transaction (handlers use their own connections), so a
 * crash between the two can let a much later retry run the handler again: handlers still
 * keep their own unique references (receipt numbers, disbursement references).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replay';
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
export const IN_PROGRESS_POLL_MS = 50;
export const IN_PROGRESS_WAIT_MAX_MS = 10_000;
/**
 * An `in_progress` row older than this belongs to a process that died mid-request. Well
 * above the server's 120 s request timeout, so a slow but live request is never taken over.
 */
export const IN_PROGRESS_ABANDONED_AFTER_S = 600;

export function requestSha256(method: string, pathWithQuery: string, rawBody: string | Uint8Array): string {
  return createHash('sha256').update(`${method.toUpperCase()}\n${pathWithQuery}\n`, 'utf8').update(rawBody).digest('hex');
}

export type IdempotencyKeyCheck = { ok: true; key: string } | { ok: false; code: 'IDEMPOTENCY_KEY_REQUIRED' | 'IDEMPOTENCY_KEY_INVALID'; message: string };

export function parseIdempotencyKey(value: string | string[] | undefined): IdempotencyKeyCheck {
  if (value === undefined) return { ok: false, code: 'IDEMPOTENCY_KEY_REQUIRED', message: 'Idempotency-Key is required on every POS POST; reuse it when retrying' };
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(value)) {
    return { ok: false, code: 'IDEMPOTENCY_KEY_INVALID', message: 'Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 _ -' };
  }
  return { ok: true, key: value };
}

export interface StoredAnswer {
  status: number;
  /** The JSON text of the body; null when there was none (e.g. 204). */
  body: string | null;
}

export type Claim =
  | { kind: 'owner'; claimedAt: string }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'reused' }
  | { kind: 'in_progress' };

export interface IdempotencyOptions {
  pollMs?: number;
  waitMaxMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

type Row = { request_sha256: string; state: 'in_progress' | 'done'; status_code: number | null; response: string | null; claimed_at: string; abandoned: boolean };

export class IdempotencyStore {
  private readonly pollMs: number;
  private readonly waitMaxMs: number;

  constructor(private readonly db: Database, options: IdempotencyOptions = {}) {
    this.pollMs = options.pollMs ?? IN_PROGRESS_POLL_MS;
    this.waitMaxMs = options.waitMaxMs ?? IN_PROGRESS_WAIT_MAX_MS;
  }

  /** Takes the key for this request, or says what to answer instead. */
  async claim(terminalId: string, key: string, hash: string): Promise<Claim> {
    const deadline = Date.now() + this.waitMaxMs;
    for (;;) {
      const [inserted] = await this.db.query<{ claimed_at: string }>(
        `INSERT INTO pos_idempotency (terminal_id, idempotency_key, request_sha256, state) VALUES ($1, $2, $3, 'in_progress')
         ON CONFLICT (terminal_id, idempotency_key) DO NOTHING RETURNING created_at::text AS claimed_at`, [terminalId, key, hash]);
      if (inserted) return { kind: 'owner', claimedAt: inserted.claimed_at };
      const [row] = await this.db.query<Row>(
        `SELECT request_sha256, state, status_code, response::text AS response, created_at::text AS claimed_at,
                created_at < now() - make_interval(secs => $3) AS abandoned
         FROM pos_idempotency WHERE terminal_id = $1 AND idempotency_key = $2`, [terminalId, key, IN_PROGRESS_ABANDONED_AFTER_S]);
      // Deleted between our insert and select (the first try failed with a 5xx): claim again.
      if (!row) {
        if (Date.now() > deadline) return { kind: 'in_progress' };
        continue;
      }
      if (row.request_sha256 !== hash) return { kind: 'reused' };
      if (row.state === 'done') return { kind: 'replay', answer: { status: row.status_code!, body: row.response } };
      if (row.abandoned) {
        const [taken] = await this.db.query<{ claimed_at: string }>(
          `UPDATE pos_idempotency SET created_at = clock_timestamp()
           WHERE terminal_id = $1 AND idempotency_key = $2 AND state = 'in_progress' AND created_at = $3::timestamptz
           RETURNING created_at::text AS claimed_at`, [terminalId, key, row.claimed_at]);
        if (taken) return { kind: 'owner', claimedAt: taken.claimed_at };
        // Another retry took it over first; wait for that one like for any other.
        if (Date.now() > deadline) return { kind: 'in_progress' };
        continue;
      }
      if (Date.now() + this.pollMs > deadline) return { kind: 'in_progress' };
      await sleep(this.pollMs);
    }
  }

  /** Stores the answer of the request that owns the key; false if it no longer does. */
  async complete(terminalId: string, key: string, claimedAt: string, answer: StoredAnswer): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE pos_idempotency SET state = 'done', status_code = $4, response = $5::jsonb
       WHERE terminal_id = $1 AND idempotency_key = $2 AND created_at = $3::timestamptz AND state = 'in_progress'
       RETURNING 1`, [terminalId, key, claimedAt, answer.status, answer.body]);
    return rows.length === 1;
  }

  /** Gives the key up after a failure so that a retry runs the request again. */
  async release(terminalId: string, key: string, claimedAt: string): Promise<void> {
    await this.db.query(
      `DELETE FROM pos_idempotency WHERE terminal_id = $1 AND idempotency_key = $2 AND created_at = $3::timestamptz AND state = 'in_progress'`,
      [terminalId, key, claimedAt]);
  }

  /** Forgets answers older than `days` (a retry window is minutes; this bounds the table). */
  async prune(days: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM pos_idempotency WHERE state = 'done' AND created_at < now() - make_interval(days => $1) RETURNING 1`, [days]);
    return rows.length;
  }
}

/** What a request that owns a key must do when its answer is sent. */
interface Ownership {
  terminalId: string;
  key: string;
  claimedAt: string;
  settled: boolean;
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function payloadText(payload: unknown): string | null | undefined {
  if (payload === undefined || payload === null || payload === '') return null;
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return undefined; // a stream: cannot be stored
}

/**
 * The fastify side: `claim` runs in preHandler (after signature, session, role and schema
 * validation, so refusals leave no row), `settle` in onSend, `abandon` in onResponse as a
 * safety net for a reply that never reached onSend.
 */
export class IdempotencyHooks {
  private readonly owners = new WeakMap<FastifyRequest, Ownership>();

  constructor(readonly store: IdempotencyStore) {}

  /** Returns the reply when the request was answered here (replay or refusal). */
  async claim(request: FastifyRequest, reply: FastifyReply, terminalId: string, key: string, rawBody: string): Promise<FastifyReply | undefined> {
    const claim = await this.store.claim(terminalId, key, requestSha256(request.method, request.url, rawBody));
    switch (claim.kind) {
      case 'owner':
        this.owners.set(request, { terminalId, key, claimedAt: claim.claimedAt, settled: false });
        return undefined;
      case 'replay': {
        reply.code(claim.answer.status).header(IDEMPOTENT_REPLAY_HEADER, 'true');
        if (claim.answer.body === null) return reply.send();
        return reply.type('application/json; charset=utf-8').send(claim.answer.body);
      }
      case 'reused':
        return reply.code(422).send({ code: 'IDEMPOTENCY_KEY_REUSED', message: 'this Idempotency-Key was used for a different request; use a new key for a new request', field: 'Idempotency-Key' });
      case 'in_progress':
        return reply.code(409).send({ code: 'IDEMPOTENCY_IN_PROGRESS', message: 'the first request with this Idempotency-Key is still running; retry shortly with the same key' });
    }
  }

  async settle(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const owner = this.owners.get(request);
    if (!owner || owner.settled) return;
    owner.settled = true;
    const { terminalId, key, claimedAt } = owner;
    const status = reply.statusCode;
    const text = payloadText(payload);
    if (status >= 500 || text === undefined || (text !== null && !isJsonText(text))) {
      // A failure (or an answer we could not replay faithfully): let the retry run again.
      await this.store.release(terminalId, key, claimedAt);
      return;
    }
    try {
      const stored = await this.store.complete(terminalId, key, claimedAt, { status, body: text });
      if (!stored) request.log.warn({ terminalId }, 'idempotent answer not stored: the key was taken over as abandoned');
    } catch (error) {
      // The handler's work is done; releasing the key could make a retry do it twice. The
      // row stays in_progress: retries get 409 until it is taken over as abandoned.
      request.log.error({ err: error, terminalId }, 'could not store the idempotent answer');
    }
  }

  /** onResponse: a request that owned a key but never reached onSend releases it. */
  async abandon(request: FastifyRequest): Promise<void> {
    const owner = this.owners.get(request);
    if (!owner || owner.settled) return;
    owner.settled = true;
    await this.store.release(owner.terminalId, owner.key, owner.claimedAt);
  }
}
