/**
 * The store registry: carrier stores acting as branches, their POS terminals and the staff
 * who sign in on them. Ops create and change these (ops-stores.routes.ts); the POS request
 * pipeline reads them on every request (terminal-auth.ts, staff-sessions.ts).
 *
 * Secrets: a terminal's HMAC secret is generated here and handed out exactly once, in the
 * return value of createTerminal. No view type in this file has a field for it, and staff
 * PINs are kept only as argon2id hashes, so a view can never leak either by accident.
 */
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { DomainError } from '../core/domain-error.js';
import type { Queryable } from '../db/database.js';

export const STAFF_ROLES = ['clerk', 'manager'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const TERMINAL_STATUSES = ['active', 'suspended'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** Store codes are the carrier's branch codes, e.g. `GD-QY-0012`. */
export const STORE_CODE_PATTERN = '^[A-Z0-9][A-Z0-9-]{2,31}$';
/** Terminal ids travel in the X-Terminal-Id header, so they keep to header-safe characters. */
export const TERMINAL_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$';
/**
 * Staff ids are employee codes. They must start with a letter so that a phone number or ID
 * number can never be used as one: staff ids appear in logs and audit columns.
 */
export const STAFF_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{2,31}$';
export const PIN_PATTERN = '^[0-9]{6}$';
export const VILLAGES_MAX = 500;
export const TEXT_CHARS_MAX = 100;
export const TERMINAL_SECRET_BYTES = 32;

export interface StoreInput {
  code: string;
  name: string;
  region: string;
  county: string;
  villages: readonly string[];
}

export interface TerminalView {
  id: string;
  storeCode: string;
  status: TerminalStatus;
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StaffView {
  id: string;
  storeCode: string;
  name: string;
  role: StaffRole;
  status: 'active' | 'disabled';
  createdAt: string;
}

export interface StoreView {
  code: string;
  name: string;
  region: string;
  county: string;
  villages: string[];
  status: 'active' | 'closed';
  createdAt: string;
  terminals: TerminalView[];
  staff: StaffView[];
}

export interface StaffInput {
  id: string;
  name: string;
  role: StaffRole;
  /** Six digits, plain; only its argon2id hash is stored. */
  pin: string;
}

const invalid = (field: string, why: string) => new DomainError('VALIDATION_FAILED', `${field} ${why}`, field);

/** Trims and checks a required free-text field (the route schema checks type and length first). */
function text(value: string, field: string, max = TEXT_CHARS_MAX): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw invalid(field, 'must not be blank');
  if (trimmed.length > max) throw invalid(field, `must be at most ${max} characters`);
  return trimmed;
}

function matches(value: string, pattern: string, field: string, what: string): string {
  if (!new RegExp(pattern).test(value)) throw invalid(field, `must be ${what}`);
  return value;
}

/**
 * A 6-digit PIN with a 5-try lockout is only as good as the PINs people choose; the most
 * guessed ones (one digit repeated, a straight run up or down) are refused outright.
 */
export function isWeakPin(pin: string): boolean {
  if (/^(\d)\1{5}$/.test(pin)) return true;
  const digits = [...pin].map(Number);
  const steps = digits.slice(1).map((d, i) => d - digits[i]!);
  return steps.every((s) => s === 1) || steps.every((s) => s === -1);
}

/**
 * argon2id with the library defaults (19 MiB, 2 passes, 1 lane: the OWASP baseline). The
 * PHC string keeps the parameters, so raising them later leaves old hashes verifiable.
 */
export function hashPin(pin: string): Promise<string> {
  return hash(pin);
}

type TerminalRow = { id: string; store_code: string; status: TerminalStatus; status_reason: string | null; created_at: Date; updated_at: Date };
type StaffRow = { id: string; store_code: string; name: string; role: StaffRole; status: 'active' | 'disabled'; created_at: Date };
type StoreRow = { code: string; name: string; region: string; county: string; villages: string[]; status: 'active' | 'closed'; created_at: Date };

const TERMINAL_COLUMNS = 'id, store_code, status, status_reason, created_at, updated_at';
const STAFF_COLUMNS = 'id, store_code, name, role, status, created_at';

const terminalView = (r: TerminalRow): TerminalView => ({
  id: r.id, storeCode: r.store_code, status: r.status, statusReason: r.status_reason,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
});
const staffView = (r: StaffRow): StaffView => ({
  id: r.id, storeCode: r.store_code, name: r.name, role: r.role, status: r.status, createdAt: r.created_at.toISOString(),
});

export function parseStoreInput(input: StoreInput): StoreInput {
  const villages = input.villages.map((v, i) => text(v, `villages.${i}`, 50));
  if (villages.length === 0) throw invalid('villages', 'must name at least one village');
  if (villages.length > VILLAGES_MAX) throw invalid('villages', `must list at most ${VILLAGES_MAX} villages`);
  const seen = new Set<string>();
  villages.forEach((v, i) => {
    if (seen.has(v)) throw invalid(`villages.${i}`, `repeats ${v}`);
    seen.add(v);
  });
  return {
    code: matches(input.code, STORE_CODE_PATTERN, 'code', '3-32 capital letters, digits or dashes'),
    name: text(input.name, 'name'), region: text(input.region, 'region'), county: text(input.county, 'county'), villages,
  };
}

export async function createStore(q: Queryable, input: StoreInput): Promise<StoreView> {
  const store = parseStoreInput(input);
  const [row] = await q.query<StoreRow>(
    `INSERT INTO stores (code, name, region, county, villages) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (code) DO NOTHING RETURNING code, name, region, county, villages, status, created_at`,
    [store.code, store.name, store.region, store.county, store.villages]);
  if (!row) throw new DomainError('STORE_EXISTS', `store ${store.code} already exists`, 'code');
  return { ...storeFields(row), terminals: [], staff: [] };
}

const storeFields = (r: StoreRow) => ({
  code: r.code, name: r.name, region: r.region, county: r.county, villages: r.villages, status: r.status, createdAt: r.created_at.toISOString(),
});

async function storeRow(q: Queryable, code: string): Promise<StoreRow> {
  const [row] = await q.query<StoreRow>(`SELECT code, name, region, county, villages, status, created_at FROM stores WHERE code = $1`, [code]);
  if (!row) throw new DomainError('STORE_NOT_FOUND', `no store ${code}`);
  return row;
}

/** A store with its terminals and staff; secrets and PIN hashes are never selected. */
export async function getStore(q: Queryable, code: string): Promise<StoreView> {
  const row = await storeRow(q, code);
  const terminals = await q.query<TerminalRow>(`SELECT ${TERMINAL_COLUMNS} FROM terminals WHERE store_code = $1 ORDER BY created_at, id`, [code]);
  const staff = await q.query<StaffRow>(`SELECT ${STAFF_COLUMNS} FROM store_staff WHERE store_code = $1 ORDER BY created_at, id`, [code]);
  return { ...storeFields(row), terminals: terminals.map(terminalView), staff: staff.map(staffView) };
}

async function activeStore(q: Queryable, code: string): Promise<StoreRow> {
  const row = await storeRow(q, code);
  if (row.status !== 'active') throw new DomainError('STORE_CLOSED', `store ${code} is closed`);
  return row;
}

/** Generated terminal ids read as `<store code>-T<6 hex>`, so ops can tell whose a terminal is. */
function newTerminalId(storeCode: string): string {
  return `${storeCode}-T${randomBytes(3).toString('hex').toUpperCase()}`;
}

export interface CreatedTerminal {
  terminal: TerminalView;
  /** base64url of 32 random bytes; this is the only time it leaves the server. */
  secret: string;
}

export async function createTerminal(q: Queryable, storeCode: string, id?: string): Promise<CreatedTerminal> {
  await activeStore(q, storeCode);
  const terminalId = id === undefined ? newTerminalId(storeCode) : matches(id, TERMINAL_ID_PATTERN, 'id', '3-64 letters, digits, _ or -');
  const secret = randomBytes(TERMINAL_SECRET_BYTES).toString('base64url');
  const [row] = await q.query<TerminalRow>(
    `INSERT INTO terminals (id, store_code, secret) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING ${TERMINAL_COLUMNS}`,
    [terminalId, storeCode, secret]);
  if (!row) throw new DomainError('TERMINAL_EXISTS', `terminal ${terminalId} already exists`, 'id');
  return { terminal: terminalView(row), secret };
}

/**
 * Suspends or reactivates a terminal. It takes effect on the terminal's next request: the
 * request pipeline reads the status from the database every time, and the change of
 * `updated_at` ends every staff session opened on the terminal before (staff-sessions.ts).
 */
export async function setTerminalStatus(q: Queryable, id: string, status: TerminalStatus, reason: string): Promise<TerminalView> {
  const why = text(reason, 'reason', 500);
  const [row] = await q.query<TerminalRow>(
    `UPDATE terminals SET status = $2, status_reason = $3, updated_at = clock_timestamp()
     WHERE id = $1 AND status <> $2 RETURNING ${TERMINAL_COLUMNS}`, [id, status, why]);
  if (row) return terminalView(row);
  const [current] = await q.query<{ status: TerminalStatus }>(`SELECT status FROM terminals WHERE id = $1`, [id]);
  if (!current) throw new DomainError('TERMINAL_NOT_FOUND', `no terminal ${id}`);
  throw new DomainError('TERMINAL_STATUS_UNCHANGED', `terminal ${id} is already ${status}`);
}

export async function createStaff(q: Queryable, storeCode: string, input: StaffInput): Promise<StaffView> {
  const id = matches(input.id, STAFF_ID_PATTERN, 'id', 'an employee code: a letter, then 2-31 letters, digits, _ or -');
  const name = text(input.name, 'name');
  if (!STAFF_ROLES.includes(input.role)) throw invalid('role', `must be one of ${STAFF_ROLES.join(', ')}`);
  matches(input.pin, PIN_PATTERN, 'pin', 'six digits');
  if (isWeakPin(input.pin)) throw invalid('pin', 'is too easy to guess (one digit repeated or a straight run)');
  await activeStore(q, storeCode);
  const pinHash = await hashPin(input.pin);
  const [row] = await q.query<StaffRow>(
    `INSERT INTO store_staff (id, store_code, name, role, pin_hash) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING RETURNING ${STAFF_COLUMNS}`, [id, storeCode, name, input.role, pinHash]);
  if (!row) throw new DomainError('STAFF_EXISTS', `staff ${id} already exists`, 'id');
  return staffView(row);
}

// ---- reads for the request pipeline --------------------------------------------------

export interface TerminalCredentials {
  id: string;
  storeCode: string;
  /** base64url; the HMAC key is its decoded bytes. */
  secret: string;
  status: TerminalStatus;
  storeActive: boolean;
  /**
   * `updated_at` as exact text; it changes on every status change, so a staff session
   * remembers it and ends when the terminal is suspended or reactivated.
   */
  epoch: string;
}

export async function findTerminalCredentials(q: Queryable, id: string): Promise<TerminalCredentials | undefined> {
  const [row] = await q.query<{ id: string; store_code: string; secret: string; status: TerminalStatus; store_status: string; epoch: string }>(
    `SELECT t.id, t.store_code, t.secret, t.status, s.status AS store_status, t.updated_at::text AS epoch
     FROM terminals t JOIN stores s ON s.code = t.store_code WHERE t.id = $1`, [id]);
  return row && { id: row.id, storeCode: row.store_code, secret: row.secret, status: row.status, storeActive: row.store_status === 'active', epoch: row.epoch };
}

export interface StaffCredentials {
  id: string;
  storeCode: string;
  role: StaffRole;
  active: boolean;
  pinHash: string;
}

export async function findStaffCredentials(q: Queryable, id: string): Promise<StaffCredentials | undefined> {
  const [row] = await q.query<{ id: string; store_code: string; role: StaffRole; status: string; pin_hash: string }>(
    `SELECT id, store_code, role, status, pin_hash FROM store_staff WHERE id = $1`, [id]);
  return row && { id: row.id, storeCode: row.store_code, role: row.role, active: row.status === 'active', pinHash: row.pin_hash };
}
