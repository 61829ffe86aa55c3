/**
 * Consents to the use of carrier data. They are recorded with the application that brings
 * them (submit-application.ts); a person may withdraw one at any time, after which no
 * lookup is made under it. Withdrawing twice keeps the first time.
 */
import { DomainError } from '../core/domain-error.js';
import type { Queryable } from '../db/database.js';

export async function revokeConsent(q: Queryable, id: number, actor: string, reason: string): Promise<{ id: number; revokedAt: string }> {
  const rows = await q.query<{ id: number; revoked_at: Date }>(
    `UPDATE consents SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2), revoke_reason = coalesce(revoke_reason, $3)
     WHERE id = $1 RETURNING id, revoked_at`, [id, actor, reason]);
  if (!rows[0]) throw new DomainError('CONSENT_NOT_FOUND', `no consent ${id}`, 'id');
  return { id: rows[0].id, revokedAt: rows[0].revoked_at.toISOString() };
}
