import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** src/core is pure: no I/O, no clock, no randomness, no imports from the outer layers. */
const CORE_DIR = path.dirname(fileURLToPath(import.meta.url));
const ALLOWED_PACKAGES = new Set(['decimal.js']);
const TEST_ONLY_PACKAGES = new Set(['vitest', 'fast-check', 'node:fs', 'node:path', 'node:url']);
const IMPURE = [/\bDate\.now\(/, /new Date\(\)/, /Math\.random\(/, /\bprocess\./, /\bsetTimeout\(/, /\bfetch\(/];

const sources = readdirSync(CORE_DIR).filter((f) => f.endsWith('.ts') && f !== 'purity.test.ts');

describe('src/core', () => {
  it.each(sources)('%s imports only core modules and allowed packages', (file) => {
    const text = readFileSync(path.join(CORE_DIR, file), 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    const isTest = file.endsWith('.test.ts');
    for (const specifier of imports) {
      const ok = (specifier.startsWith('./') && !specifier.includes('/..'))
        || ALLOWED_PACKAGES.has(specifier) || (isTest && TEST_ONLY_PACKAGES.has(specifier));
      expect(ok, `${file} imports ${specifier}`).toBe(true);
    }
    if (!isTest) for (const pattern of IMPURE) expect(text, `${file} uses ${pattern}`).not.toMatch(pattern);
  });
});
