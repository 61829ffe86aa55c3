/**
 * The red/black list model's data: internal black and red lists kept by ops, the court's
 * dishonest-debtor list imported as a file, and the person's own history on the platform.
 */
import { DomainError } from '../core/domain-error.js';
import { maskIdNumber, parseIdNumber, parsePersonName } from '../core/identity.js';
import type { ListFacts } from '../core/initial-review.js';
import type { Queryable } from '../db/database.js';

export const INTERNAL_LISTS = ['internal_black', 'internal_red'] as const;
export type InternalList = (typeof INTERNAL_LISTS)[number];

export async function listFactsFor(q: Queryable, idNumber: string, name: string): Promise<ListFacts> {
  // Court entries carry the published, birth-date-masked ID: '*' stands for one hidden character.
  const entries = await q.query<{ list: string; reason: string; case_number: string | null }>(
    `SELECT list, reason, case_number FROM risk_list_entries
     WHERE removed_at IS NULL AND (
       (list IN ('internal_black', 'internal_red') AND id_pattern = $1)
       OR (list = 'court_dishonest' AND left(id_pattern, 6) = left($1, 6) AND $1 LIKE replace(id_pattern, '*', '_') AND name = $2))
     ORDER BY id`, [idNumber, name]);
  const [history] = await q.query<{ written_off: number; overdue_now: number; max_dpd: number }>(
    `SELECT count(*) FILTER (WHERE l.status = 'written_off')::int AS written_off,
            count(*) FILTER (WHERE l.status = 'overdue')::int AS overdue_now,
            greatest(coalesce(max(l.days_past_due), 0),
              coalesce((SELECT max(i.penalty_through_date - i.due_date) FROM installments i
                        JOIN loans l2 ON l2.id = i.loan_id JOIN borrowers b2 ON b2.id = l2.borrower_id
                        WHERE b2.id_number = $1 AND i.penalty_through_date IS NOT NULL), 0))::int AS max_dpd
     FROM loans l JOIN borrowers b ON b.id = l.borrower_id WHERE b.id_number = $1`, [idNumber]);
  return {
    blackListEntries: entries.filter((e) => e.list !== 'internal_red')
      .map((e) => ({ list: e.list as 'internal_black' | 'court_dishonest', reason: e.reason, ...(e.case_number ? { caseNumber: e.case_number } : {}) })),
    redListed: entries.some((e) => e.list === 'internal_red'),
    ownHistory: { loansWrittenOff: history!.written_off, loansOverdueNow: history!.overdue_now, maxDaysPastDueEver: history!.max_dpd },
  };
}

export interface ListEntryInput {
  list: InternalList;
  idNumber: string;
  name?: string;
  reason: string;
}

export interface ListEntryView {
  id: number;
  list: string;
  idNumberMasked: string;
  reason: string;
  caseNumber: string | null;
  createdBy: string;
  createdAt: string;
}

/** Entries in force on a list, newest first, ID numbers masked as ops screens show them. */
export async function listEntries(q: Queryable, list: string, limit: number, beforeId: number | null): Promise<ListEntryView[]> {
  const rows = await q.query<{ id: number; list: string; id_pattern: string; reason: string; case_number: string | null; created_by: string; created_at: Date }>(
    `SELECT id, list, id_pattern, reason, case_number, created_by, created_at FROM risk_list_entries
     WHERE list = $1 AND removed_at IS NULL AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`, [list, limit, beforeId]);
  return rows.map((r) => ({
    id: r.id, list: r.list, idNumberMasked: maskIdNumber(r.id_pattern), reason: r.reason, caseNumber: r.case_number,
    createdBy: r.created_by, createdAt: r.created_at.toISOString(),
  }));
}

export async function addListEntry(q: Queryable, input: ListEntryInput, actor: string): Promise<{ id: number }> {
  const idNumber = parseIdNumber(input.idNumber, 'idNumber');
  const name = input.name === undefined ? null : parsePersonName(input.name, 'name');
  const existing = await q.query<{ id: number }>(
    `SELECT id FROM risk_list_entries WHERE list = $1 AND id_pattern = $2 AND removed_at IS NULL`, [input.list, idNumber]);
  if (existing[0]) throw new DomainError('LIST_ENTRY_EXISTS', `the person is already on ${input.list} (entry ${existing[0].id})`, 'idNumber');
  const [row] = await q.query<{ id: number }>(
    `INSERT INTO risk_list_entries (list, id_pattern, name, reason, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [input.list, idNumber, name, input.reason, actor]);
  return row!;
}

export async function removeListEntry(q: Queryable, id: number, actor: string): Promise<void> {
  const rows = await q.query<{ id: number }>(
    `UPDATE risk_list_entries SET removed_at = now(), removed_by = $2 WHERE id = $1 AND removed_at IS NULL RETURNING id`, [id, actor]);
  if (!rows[0]) throw new DomainError('LIST_ENTRY_NOT_FOUND', `no list entry ${id} in force`, 'id');
}
