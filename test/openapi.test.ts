import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, renderOpenApi } from '../src/api/openapi-document.js';

describe('openapi/openapi.json', () => {
  it('matches the routes; run `npm run openapi` after changing a route', async () => {
    const committed = await readFile(OPENAPI_PATH, 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(await renderOpenApi()));
  });

  it('documents the preview contract and the ops bearer requirement', async () => {
    const document = JSON.parse(await readFile(OPENAPI_PATH, 'utf8')) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(document.paths['/v1/schedules/preview']?.post).toBeDefined();
    expect(document.paths['/v1/ops/ledger/trial-balance']?.get?.security).toEqual([{ opsBearer: [] }]);
  });
});
