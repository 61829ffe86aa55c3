/** An application as channels and ops see it: ID and mobile masked, hits, callback, latest decision. */
import { DomainError } from '../core/domain-error.js';
import { maskIdNumber, maskMobile } from '../core/identity.js';
import type { Database } from '../db/database.js';
import { latestDecision } from '../risk/decide-application.js';
import { findApplication } from './application-repository.js';

export async function applicationView(db: Database, id: number) {
  const app = await findApplication(db, id);
  if (!app) throw new DomainError('APPLICATION_NOT_FOUND', `no application ${id}`, 'id');
  const [task] = await db.query<{ status: string; result: string | null; not_reachable_attempts: number }>(
    `SELECT status, result, not_reachable_attempts FROM callback_tasks WHERE application_id = $1`, [id]);
  const decision = await latestDecision(db, id);
  return {
    id: app.id, channel: app.channel, staffId: app.staffId, storeCode: app.storeCode, status: app.status,
    applicant: { name: app.name, idNumberMasked: maskIdNumber(app.idNumber), mobileMasked: maskMobile(app.mobile), county: app.county, village: app.village },
    request: { amountFen: app.requestedAmountFen, termMonths: app.termMonths, purpose: app.purpose, method: app.method },
    hits: app.hits,
    crm: { attempts: app.crmAttempts, lastError: app.lastError },
    callback: task ? { status: task.status, result: task.result, notReachableAttempts: task.not_reachable_attempts } : null,
    decision: decision ? {
      id: decision.id, outcome: decision.outcome, score: decision.score, grade: decision.grade, creditLimitFen: decision.creditLimitFen,
      scorecardVersion: decision.scorecardVersion, decidedBy: decision.decidedBy, topReasons: decision.result.score.topReasons,
    } : null,
    loanId: app.loanId,
  };
}
