/**
 * A Database wrapper for benchmarks that times every statement, to show where the time goes.
 * It costs a few microseconds per statement, so throughput loops leave it out.
 */
import type { Database, Queryable } from '../src/db/database.js';

const STATEMENT_LABEL_CHARS_MAX = 110;

export interface StatementStats { calls: number; seconds: number }

/** Per statement (whitespace collapsed, truncated): calls and total seconds. */
export type StatementProfile = Map<string, StatementStats>;

function label(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, STATEMENT_LABEL_CHARS_MAX);
}

export function profiled(db: Database): { db: Database; profile: StatementProfile } {
  const profile: StatementProfile = new Map();
  const wrap = (inner: Queryable): Queryable => ({
    query: async <Row>(text: string, params?: readonly unknown[]): Promise<Row[]> => {
      const started = process.hrtime.bigint();
      try {
        return await inner.query<Row>(text, params);
      } finally {
        const key = label(text);
        const entry = profile.get(key) ?? { calls: 0, seconds: 0 };
        entry.calls += 1;
        entry.seconds += Number(process.hrtime.bigint() - started) / 1e9;
        profile.set(key, entry);
      }
    },
    copyFrom: (statement, source) => inner.copyFrom(statement, source),
  });
  const wrapped: Database = {
    kind: db.kind,
    query: wrap(db).query,
    copyFrom: (statement, source) => db.copyFrom(statement, source),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    migrate: () => db.migrate(),
    close: () => db.close(),
  };
  return { db: wrapped, profile };
}

/** The `count` statements that took longest in total, as printable lines. */
export function slowestStatements(profile: StatementProfile, count: number): string[] {
  return [...profile.entries()]
    .sort((a, b) => b[1].seconds - a[1].seconds)
    .slice(0, count)
    .map(([text, s]) => `${s.seconds.toFixed(2).padStart(7)} s  ${String(s.calls).padStart(6)} calls  ${text}`);
}

export function totalStatementSeconds(profile: StatementProfile): number {
  let total = 0;
  for (const s of profile.values()) total += s.seconds;
  return total;
}
