/**
 * The raw write floor: `COPY ... FROM STDIN` (pg-copy-streams) of N rows into a fresh,
 * index-free, logged scratch table shaped like postings (entry_id, account_id, amount_fen),
 * from this process. The timed part is the COPY, including generating its text on the fly.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { secondsSince } from './bench-database.js';

const COPY_CHUNK_ROWS = 10_000;
const COPY_TABLE = 'bench_copy_postings';
const COPY_CONNECT_TIMEOUT_MS = 10_000;

function* copyText(rows: number): Generator<string> {
  for (let start = 0; start < rows; start += COPY_CHUNK_ROWS) {
    const end = Math.min(rows, start + COPY_CHUNK_ROWS);
    const lines: string[] = new Array(end - start);
    for (let i = start; i < end; i++) {
      const amount = 100 + (i % 100_000);
      lines[i - start] = `${1 + (i >> 1)}\t${1 + (i % 200_003)}\t${i % 2 === 0 ? amount : -amount}\n`;
    }
    yield lines.join('');
  }
}

/** Seconds to COPY `rows` rows; the table is recreated first and its row count checked after. */
export async function copyBaselineSeconds(url: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: COPY_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${COPY_TABLE}`);
    await client.query(`CREATE TABLE ${COPY_TABLE} (entry_id bigint NOT NULL, account_id bigint NOT NULL, amount_fen bigint NOT NULL)`);
    const started = process.hrtime.bigint();
    await pipeline(Readable.from(copyText(rows)), client.query(copyFrom(`COPY ${COPY_TABLE} (entry_id, account_id, amount_fen) FROM STDIN`)));
    const seconds = secondsSince(started);
    const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${COPY_TABLE}`);
    if (Number(counted.rows[0]!.n) !== rows) throw new Error(`COPY baseline wrote ${counted.rows[0]!.n} rows, expected ${rows}`);
    await client.query(`DROP TABLE ${COPY_TABLE}`);
    return seconds;
  } finally {
    await client.end();
  }
}
