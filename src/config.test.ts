import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the sandbox: simulators for every carrier system, PGlite, local Redis, 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('sandbox');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(Object.values(config.endpoints).every((e) => e.kind === 'simulator')).toBe(true);
    expect(config.annualRateCeilingPpm).toBe(120_000);
  });

  it('uses a configured carrier address instead of the simulator', () => {
    const config = loadConfig({ CRM_SOAP_URL: 'https://crm.carrier.example/ws', BILLING_SFTP_URL: 'sftp://billing.example:22/in' });
    expect(config.endpoints.crm).toEqual({ kind: 'remote', url: new URL('https://crm.carrier.example/ws') });
    expect(config.endpoints.billingSftp.kind).toBe('remote');
    expect(config.endpoints.sms.kind).toBe('simulator');
  });

  it.each([
    [{ CRM_SOAP_URL: 'not a url' }, 'CRM_SOAP_URL'],
    [{ BILLING_SFTP_URL: 'http://wrong-protocol' }, 'BILLING_SFTP_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ APP_MODE: 'staging' }, 'APP_MODE'],
    [{ LPR_ONE_YEAR_PERCENT: 'three' }, 'LPR_ONE_YEAR_PERCENT'],
    [{ APP_MODE: 'production', DATABASE_URL: 'postgres://db/x' }, 'CRM_SOAP_URL'],
  ])('rejects %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as ConfigError).field).toBe(variable);
      expect((error as ConfigError).message).toContain(variable);
    }
  });

  it('derives the rate ceiling as four times the configured LPR', () => {
    expect(loadConfig({ LPR_ONE_YEAR_PERCENT: '3.45' }).annualRateCeilingPpm).toBe(138_000);
  });
});
