/**
 * Scorecard versions live in the database as JSON, so risk staff change bands, points and
 * grades without a release. A version is immutable once stored; activating one makes it
 * the card for new decisions, and old decisions keep naming the version they used.
 */
import { DEFAULT_SCORECARD } from '../core/default-scorecard.js';
import { DomainError } from '../core/domain-error.js';
import { parseScorecard, type ScorecardDefinition } from '../core/scorecard.js';
import type { Database, Queryable } from '../db/database.js';

export interface StoredScorecard {
  version: string;
  active: boolean;
  createdBy: string;
  createdAt: Date;
  definition: ScorecardDefinition;
}

interface Row { version: string; active: number; created_by: string; created_at: Date; definition: unknown }

const fromRow = (r: Row): StoredScorecard => ({
  version: r.version, active: r.active === 1, createdBy: r.created_by, createdAt: r.created_at, definition: parseScorecard(r.definition),
});

/** Stores and activates the built-in card when no card exists yet (first start). */
export async function seedDefaultScorecard(db: Database): Promise<void> {
  await db.query(
    `INSERT INTO scorecards (version, definition, active, created_by)
     SELECT $1, $2::jsonb, 1, 'system' WHERE NOT EXISTS (SELECT 1 FROM scorecards)`,
    [DEFAULT_SCORECARD.version, JSON.stringify(DEFAULT_SCORECARD)]);
}

export async function activeScorecard(q: Queryable): Promise<ScorecardDefinition> {
  const rows = await q.query<Row>(`SELECT version, active, created_by, created_at, definition FROM scorecards WHERE active = 1`);
  if (!rows[0]) throw new DomainError('SCORECARD_NOT_CONFIGURED', 'no scorecard is active; an admin must activate one', 'scorecard');
  return fromRow(rows[0]).definition;
}

export async function findScorecard(q: Queryable, version: string): Promise<StoredScorecard | undefined> {
  const rows = await q.query<Row>(`SELECT version, active, created_by, created_at, definition FROM scorecards WHERE version = $1`, [version]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function listScorecards(q: Queryable): Promise<Omit<StoredScorecard, 'definition'>[]> {
  const rows = await q.query<Row>(`SELECT version, active, created_by, created_at, definition FROM scorecards ORDER BY created_at, version`);
  return rows.map((r) => ({ version: r.version, active: r.active === 1, createdBy: r.created_by, createdAt: r.created_at }));
}

export async function addScorecard(db: Database, definition: unknown, actor: string): Promise<StoredScorecard> {
  const card = parseScorecard(definition);
  const rows = await db.query<Row>(
    `INSERT INTO scorecards (version, definition, active, created_by) VALUES ($1, $2::jsonb, 0, $3)
     ON CONFLICT (version) DO NOTHING RETURNING version, active, created_by, created_at, definition`,
    [card.version, JSON.stringify(card), actor]);
  if (!rows[0]) throw new DomainError('SCORECARD_EXISTS', `scorecard version ${card.version} exists; versions are immutable, use a new one`, 'version');
  return fromRow(rows[0]);
}

export async function activateScorecard(db: Database, version: string): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await findScorecard(tx, version))) throw new DomainError('SCORECARD_NOT_FOUND', `no scorecard version ${version}`, 'version');
    await tx.query(`UPDATE scorecards SET active = 0 WHERE active = 1`);
    await tx.query(`UPDATE scorecards SET active = 1 WHERE version = $1`, [version]);
  });
}
