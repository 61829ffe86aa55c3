/**
 * The call center's callback verification (电话回访) result. It gates the initial review:
 * denied refuses, not reachable is tried again up to the core's limit, confirmed passes
 * the application on to the risk step in the same transaction.
 */
import { callbackReview } from '../core/initial-review.js';
import { DomainError } from '../core/domain-error.js';
import type { Database } from '../db/database.js';
import { decideApplication } from '../risk/decide-application.js';
import { lockApplication, moveApplication } from './application-repository.js';

export const CALLBACK_RESULTS = ['confirmed', 'not_reachable', 'denied'] as const;
export type CallbackResult = (typeof CALLBACK_RESULTS)[number];

export interface CallbackInput {
  result: CallbackResult;
  agentId: string;
  note?: string;
  /** The call center's id of the call; a repeated id is the same result delivered twice. */
  callId: string;
}

export interface CallbackOutcome {
  applicationId: number;
  status: string;
  duplicate: boolean;
  notReachableAttempts: number;
  decisionId: number | null;
}

export async function recordCallbackResult(db: Database, applicationId: number, input: CallbackInput, now: Date): Promise<CallbackOutcome> {
  return db.transaction(async (tx) => {
    const app = await lockApplication(tx, applicationId);
    const [task] = await tx.query<{ id: number; status: string; not_reachable_attempts: number; result: string | null }>(
      `SELECT id, status, not_reachable_attempts, result FROM callback_tasks WHERE application_id = $1 FOR UPDATE`, [applicationId]);
    if (!task) throw new DomainError('CALLBACK_NOT_REQUESTED', `application ${applicationId} has no callback task (status ${app.status})`, 'id');
    const [seen] = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM callback_calls WHERE callback_task_id = $1 AND call_id = $2`, [task.id, input.callId]);
    if (seen!.n > 0) {
      const [latest] = await tx.query<{ id: number }>(`SELECT id FROM credit_decisions WHERE application_id = $1 ORDER BY id DESC LIMIT 1`, [applicationId]);
      return { applicationId, status: app.status, duplicate: true, notReachableAttempts: task.not_reachable_attempts, decisionId: latest?.id ?? null };
    }
    if (task.status === 'done') {
      throw new DomainError('CALLBACK_ALREADY_DONE', `the callback of application ${applicationId} is already done (${task.result})`, 'id');
    }
    await tx.query(`INSERT INTO callback_calls (callback_task_id, call_id, result, agent_id, note, called_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [task.id, input.callId, input.result, input.agentId, input.note ?? null, now]);
    const attempts = task.not_reachable_attempts + (input.result === 'not_reachable' ? 1 : 0);
    const review = callbackReview(input.result, attempts);
    const done = review.outcome !== 'retry';
    await tx.query(
      `UPDATE callback_tasks SET not_reachable_attempts = $2, status = $3, result = $4, agent_id = $5, note = $6, result_at = $7 WHERE id = $1`,
      [task.id, attempts, done ? 'done' : 'open', input.result, input.agentId, input.note ?? null, now]);
    if (review.outcome === 'refused') {
      await moveApplication(tx, app, 'refused', { hits: [...app.hits, review.hit!] });
      return { applicationId, status: 'refused', duplicate: false, notReachableAttempts: attempts, decisionId: null };
    }
    if (review.outcome === 'retry') return { applicationId, status: app.status, duplicate: false, notReachableAttempts: attempts, decisionId: null };
    const decision = await decideApplication(tx, app, now, 'risk-engine');
    return { applicationId, status: decision.outcome, duplicate: false, notReachableAttempts: attempts, decisionId: decision.id };
  });
}
