/**
 * The OpenAPI document as the routes declare it. Building the app needs a database and a
 * queue set object but touches neither: an in-memory PGlite and a Redis client that never
 * connects are enough.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { openPglite } from '../db/database.js';
import { QueueSet } from '../queue/queues.js';
import { buildApp } from './app.js';

export const OPENAPI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi/openapi.json');

export async function renderOpenApi(): Promise<string> {
  const db = await openPglite(undefined);
  const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: null });
  const queues = new QueueSet({ connection: redis });
  try {
    const app = await buildApp({
      db, config: loadConfig({}), queues, redis,
      // The document is read off the routes; no request is ever served, so no file is ever parsed.
      courtListReader: () => { throw new Error('the OpenAPI writer serves no requests'); },
    });
    const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
    await app.close();
    return document;
  } finally {
    await queues.close();
    redis.disconnect();
    await db.close();
  }
}

export async function writeOpenApi(): Promise<void> {
  await writeFile(OPENAPI_PATH, await renderOpenApi());
}
