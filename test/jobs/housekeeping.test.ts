import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeepingHandler, POS_IDEMPOTENCY_KEEP_DAYS } from '../../src/jobs/housekeeping.schedule.js';
import { recordingLogger } from '../queue/support.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('nightly housekeeping', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await createTestDatabase(); });
  afterAll(async () => { await t.drop(); });

  it('removes stored POS answers past the retry window, keeps recent and unfinished ones', async () => {
    const old = `now() - make_interval(days => ${POS_IDEMPOTENCY_KEEP_DAYS + 1})`;
    await t.db.query(`INSERT INTO pos_idempotency (terminal_id, idempotency_key, request_sha256, state, status_code, response, created_at) VALUES
      ('T1', 'old-done', 'h', 'done', 201, '{}', ${old}),
      ('T1', 'old-running', 'h', 'in_progress', NULL, NULL, ${old}),
      ('T1', 'recent-done', 'h', 'done', 201, '{}', now())`);
    const logger = recordingLogger();
    await housekeepingHandler(t.db, logger)({ id: 'job-1', name: 'housekeeping', data: {}, attemptsMade: 0 });
    const left = await t.db.query<{ idempotency_key: string }>(`SELECT idempotency_key FROM pos_idempotency ORDER BY idempotency_key`);
    expect(left.map((r) => r.idempotency_key)).toEqual(['old-running', 'recent-done']);
    expect(logger.entries.at(-1)!.fields).toMatchObject({ posIdempotencyRowsRemoved: 1 });
  });
});
