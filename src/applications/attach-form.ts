/**
 * Offline data for an application: the installer's survey (装维人员采集) and the credit
 * officer's home visit (信贷专员家访), validated by the core's form parsers and kept as
 * submitted. The latest form of a kind counts at the next decision.
 */
import { DomainError } from '../core/domain-error.js';
import type { Database } from '../db/database.js';
import { lockApplication } from './application-repository.js';

export type FormKind = 'installer_survey' | 'home_visit';

/** Accepted any time before the application is refused or accepted. */
export async function attachForm(db: Database, applicationId: number, kind: FormKind, form: unknown, parse: (x: unknown) => object, actor: string) {
  const parsed = parse(form);
  return db.transaction(async (tx) => {
    const app = await lockApplication(tx, applicationId);
    if (app.status === 'refused' || app.status === 'accepted') {
      throw new DomainError('APPLICATION_CLOSED', `application ${applicationId} is ${app.status}; forms can no longer be attached`, 'id');
    }
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO application_forms (application_id, kind, form, submitted_by) VALUES ($1, $2, $3::jsonb, $4) RETURNING id`,
      [applicationId, kind, JSON.stringify(parsed), actor]);
    return { formId: row!.id, applicationId, kind, status: app.status };
  });
}
