/**
 * One small interface over PostgreSQL (node-postgres pool) and embedded PGlite, so the
 * ledger, loans and close of business run the same SQL on both. Queries are plain SQL
 * with positional parameters; set-based statements pass arrays for `unnest`.
 */
import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyStreamFrom } from 'pg-copy-streams';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { invariant } from '../core/domain-error.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const POOL_SIZE_MAX = 20;
const STATEMENT_TIMEOUT_MS = 120_000;
const TRANSACTION_RETRIES_MAX = 5;

export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Streams `source` into `COPY … FROM STDIN` (`statement` must contain `FROM STDIN`).
   * PostgreSQL streams it; embedded PGlite buffers it first, which suits the sandbox's
   * file sizes. Returns the number of rows copied.
   */
  copyFrom(statement: string, source: Readable): Promise<number>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; retried on deadlock or serialization failure. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const OID_INT8 = 20;
const OID_DATE = 1082;

function parseInt8(value: string): number {
  const n = Number(value);
  invariant(Number.isSafeInteger(n), `bigint ${value} is outside the safe integer range`);
  return n;
}

pg.types.setTypeParser(OID_INT8, parseInt8);
pg.types.setTypeParser(OID_DATE, (value: string) => value);

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || tries >= TRANSACTION_RETRIES_MAX) throw error;
    }
  }
}

const COPY_FROM_STDIN = /\bFROM\s+STDIN\b/i;

async function copyWithClient(client: pg.PoolClient, statement: string, source: Readable): Promise<number> {
  invariant(COPY_FROM_STDIN.test(statement), 'copyFrom needs a COPY … FROM STDIN statement');
  const sink = client.query(copyStreamFrom(statement));
  await pipeline(source, sink);
  return sink.rowCount ?? 0;
}

async function readAll(source: Readable): Promise<Blob> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of source) chunks.push(new Uint8Array(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)));
  return new Blob(chunks);
}

export function openPostgres(connectionString: string): Database {
  const pool = new pg.Pool({
    connectionString,
    max: POOL_SIZE_MAX,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const query: Queryable['query'] = async <Row>(text: string, params?: readonly unknown[]) =>
    (await pool.query(text, params as unknown[] | undefined)).rows as Row[];
  return {
    kind: 'postgres',
    query,
    copyFrom: async (statement, source) => {
      const client = await pool.connect();
      try {
        return await copyWithClient(client, statement, source);
      } finally {
        client.release();
      }
    },
    transaction: (fn) => withRetries(async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <Row>(text: string, params?: readonly unknown[]) =>
            (await client.query(text, params as unknown[] | undefined)).rows as Row[],
          copyFrom: (statement, source) => copyWithClient(client, statement, source),
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }),
    migrate: () => migratePg(drizzlePg(pool), { migrationsFolder: MIGRATIONS_DIR }),
    close: () => pool.end(),
  };
}

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, {
    parsers: { [OID_INT8]: parseInt8, [OID_DATE]: (value: string) => value },
  });
  const query: Queryable['query'] = async <Row>(text: string, params?: readonly unknown[]) =>
    (await client.query<Row>(text, params as unknown[] | undefined)).rows;
  const copyVia = (target: Pick<PGlite, 'query'>) => async (statement: string, source: Readable) => {
    invariant(COPY_FROM_STDIN.test(statement), 'copyFrom needs a COPY … FROM STDIN statement');
    const result = await target.query(statement.replace(COPY_FROM_STDIN, `FROM '/dev/blob'`), [], { blob: await readAll(source) });
    return result.affectedRows ?? 0;
  };
  return {
    kind: 'pglite',
    query,
    copyFrom: copyVia(client),
    transaction: (fn) => withRetries(() => client.transaction((tx) => fn({
      query: async <Row>(text: string, params?: readonly unknown[]) =>
        (await tx.query<Row>(text, params as unknown[] | undefined)).rows,
      copyFrom: copyVia(tx),
    }))),
    migrate: async () => { await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_DIR }); },
    close: () => client.close(),
  };
}

/** `DATABASE_URL` set: PostgreSQL. Unset: embedded PGlite persisted in `dataDir`. */
export async function openDatabase(databaseUrl: string | undefined, dataDir: string): Promise<Database> {
  return databaseUrl ? openPostgres(databaseUrl) : openPglite(dataDir);
}
