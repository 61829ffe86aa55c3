import type { TestProject } from 'vitest/node';
import { openPostgres } from '../../src/db/database.js';
import { TEST_DATABASE_PREFIX, urlForDatabase, withAdminClient } from './test-database.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the migrated template database that every test file of this run clones, and
 * drops databases left behind by runs whose process is gone.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `${TEST_DATABASE_PREFIX}${process.pid}_template`;
  await withAdminClient(async (client) => {
    const existing = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${TEST_DATABASE_PREFIX}%`],
    );
    for (const { datname } of existing.rows) {
      const ownerPid = Number(datname.slice(TEST_DATABASE_PREFIX.length).split('_')[0]);
      if (ownerPid === process.pid || !processAlive(ownerPid)) {
        await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      }
    }
    await client.query(`CREATE DATABASE ${template}`);
  });
  const db = openPostgres(urlForDatabase(template));
  try {
    await db.migrate();
  } finally {
    await db.close();
  }
  project.provide('templateDatabase', template);
  project.provide('runId', String(process.pid));
  return async () => {
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`));
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    runId: string;
  }
}
