/**
 * Scratch PostgreSQL databases for benchmarks: each benchmark creates its own database
 * (`bench_<name>_<pid>`), migrates it, and drops it at the end, so runs never share state
 * and never touch the test or sandbox databases.
 */
import pg from 'pg';
import { openPostgres, type Database, type Queryable } from '../src/db/database.js';

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_CONNECT_TIMEOUT_MS = 10_000;

export function urlForDatabase(name: string): string {
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: ADMIN_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  name: string;
  url: string;
  db: Database;
  /** Closes the pool and drops the database; safe to call once, in a `finally`. */
  drop(): Promise<void>;
}

/** Creates and migrates `bench_<label>_<pid>`; a leftover of the same name is dropped first. */
export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(label)) throw new Error(`scratch database label ${label} is not a plain identifier`);
  const name = `bench_${label}_${process.pid}`;
  await withAdminClient(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  const url = urlForDatabase(name);
  const db = openPostgres(url);
  try {
    await db.migrate();
  } catch (error) {
    await db.close().catch(() => undefined);
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    throw error;
  }
  return {
    name,
    url,
    db,
    drop: async () => {
      await db.close().catch(() => undefined);
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export async function serverVersion(): Promise<string> {
  return withAdminClient(async (client) => {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  });
}

export async function countRows(q: Queryable, table: string): Promise<number> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`table name ${table} is not a plain identifier`);
  const [row] = await q.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${table}`);
  return row!.n;
}

export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

