/**
 * Configuration from the environment, validated once at start. Every carrier system's
 * address comes from its own variable; in sandbox mode an unset address means "run the
 * built-in simulator for it".
 */
import { DomainError } from './core/domain-error.js';
import { annualRateCeilingPpm, parseRatePercent, type RatePpm } from './core/rate.js';

export const CARRIER_SYSTEMS = {
  crm: 'CRM_SOAP_URL',
  billingSoap: 'BILLING_SOAP_URL',
  billingSftp: 'BILLING_SFTP_URL',
  sms: 'SMS_URL',
  callcenter: 'CALLCENTER_URL',
  bank: 'BANK_URL',
} as const;
export type CarrierSystem = keyof typeof CARRIER_SYSTEMS;

/** Where a carrier system is reached: a configured address, or the built-in simulator. */
export type Endpoint = { kind: 'remote'; url: URL } | { kind: 'simulator' };

export interface Config {
  mode: 'sandbox' | 'production';
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string;
  opsToken: string | undefined;
  /** HMAC key of investor access tokens; generated in the sandbox when unset, required in production. */
  investorTokenSecret: string | undefined;
  annualRateCeilingPpm: RatePpm;
  logLevel: string;
  endpoints: Record<CarrierSystem, Endpoint>;
  billing: BillingConfig;
  crm: CrmConfig;
  bank: BankConfig;
  /** The platform as a party to the contracts the borrower signs. */
  platform: { name: string; registration: string };
}

export interface BankConfig {
  /** Our merchant id at the custody bank, and the secret that signs our requests to it. */
  merchantId: string;
  requestSecret: string | undefined;
  /** Shared secret of the bank's signed result callbacks. */
  webhookSecret: string | undefined;
  timeoutMs: number;
}

export interface CrmConfig {
  /** Deadline of one CRM lookup. */
  lookupTimeoutMs: number;
  /** Shared secret that signs the CRM's change events; generated in the sandbox when unset. */
  webhookSecret: string | undefined;
}

export interface BillingConfig {
  /** Charge this many days before each due date as well as on it. */
  deductionDaysBefore: number;
  /** Prepaid credit always left on the phone so it stays usable for emergencies. */
  prepaidReserveFen: number;
  /** Charge what the credit allows when it is less than what is due. */
  partialChargesAllowed: boolean;
  /** Attempts per installment (first, after recharges, scheduled retries) before collections take over. */
  attemptsPerInstallmentMax: number;
  /** Shared secret that signs the carrier's recharge notifications; generated in the sandbox when unset. */
  webhookSecret: string | undefined;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends DomainError {
  constructor(variable: string, reason: string) {
    super('CONFIG_INVALID', `${variable} ${reason}`, variable);
  }
}

function readUrl(env: Env, variable: string, protocols: readonly string[]): URL | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, `is not a URL: expected something like ${protocols[0]}//host:port`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(variable, `must use ${protocols.join(' or ')}, not ${url.protocol}`);
  }
  return url;
}

function readInteger(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new ConfigError(variable, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

function readBoolean(env: Env, variable: string, fallback: boolean): boolean {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(variable, `must be "true" or "false", got "${raw}"`);
  return raw === 'true';
}

function readBillingConfig(env: Env, mode: Config['mode']): BillingConfig {
  const webhookSecret = env.BILLING_WEBHOOK_SECRET || undefined;
  if (!webhookSecret && mode === 'production') throw new ConfigError('BILLING_WEBHOOK_SECRET', 'must be set in production mode');
  return {
    deductionDaysBefore: readInteger(env, 'BILLING_DEDUCTION_DAYS_BEFORE', 0, 0, 10),
    prepaidReserveFen: readInteger(env, 'BILLING_PREPAID_RESERVE_FEN', 500, 0, 100_000),
    partialChargesAllowed: readBoolean(env, 'BILLING_PARTIAL_CHARGES', true),
    attemptsPerInstallmentMax: readInteger(env, 'BILLING_ATTEMPTS_PER_INSTALLMENT_MAX', 5, 1, 30),
    webhookSecret,
  };
}

function readBankConfig(env: Env, mode: Config['mode']): BankConfig {
  const requestSecret = env.BANK_REQUEST_SECRET || undefined;
  const webhookSecret = env.BANK_WEBHOOK_SECRET || undefined;
  if (mode === 'production' && !requestSecret) throw new ConfigError('BANK_REQUEST_SECRET', 'must be set in production mode');
  if (mode === 'production' && !webhookSecret) throw new ConfigError('BANK_WEBHOOK_SECRET', 'must be set in production mode');
  return { merchantId: env.BANK_MERCHANT_ID || 'LENDER0001', requestSecret, webhookSecret, timeoutMs: readInteger(env, 'BANK_TIMEOUT_MS', 10_000, 100, 120_000) };
}

function readCrmConfig(env: Env, mode: Config['mode']): CrmConfig {
  const webhookSecret = env.CRM_WEBHOOK_SECRET || undefined;
  if (!webhookSecret && mode === 'production') throw new ConfigError('CRM_WEBHOOK_SECRET', 'must be set in production mode');
  return { lookupTimeoutMs: readInteger(env, 'CRM_TIMEOUT_MS', 10_000, 100, 120_000), webhookSecret };
}

function readPort(env: Env): number {
  const raw = env.PORT ?? '3000';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65_535) throw new ConfigError('PORT', `must be a port number 0-65535, got "${raw}"`);
  return port;
}

const URL_PROTOCOLS: Record<CarrierSystem, readonly string[]> = {
  crm: ['http:', 'https:'],
  billingSoap: ['http:', 'https:'],
  billingSftp: ['sftp:'],
  sms: ['http:', 'https:'],
  callcenter: ['http:', 'https:', 'sftp:'],
  bank: ['http:', 'https:'],
};

function readInvestorTokenSecret(env: Env, mode: string): string | undefined {
  const secret = env.INVESTOR_TOKEN_SECRET || undefined;
  if (!secret && mode === 'production') throw new ConfigError('INVESTOR_TOKEN_SECRET', 'must be set in production mode');
  // A short key would make the access-token HMAC guessable offline.
  if (secret && secret.length < 32) throw new ConfigError('INVESTOR_TOKEN_SECRET', 'must be at least 32 characters');
  return secret;
}

export function loadConfig(env: Env = process.env): Config {
  const modeRaw = env.APP_MODE ?? 'sandbox';
  if (modeRaw !== 'sandbox' && modeRaw !== 'production') throw new ConfigError('APP_MODE', 'must be "sandbox" or "production"');
  const endpoints = {} as Record<CarrierSystem, Endpoint>;
  for (const [system, variable] of Object.entries(CARRIER_SYSTEMS) as [CarrierSystem, string][]) {
    const url = readUrl(env, variable, URL_PROTOCOLS[system]);
    if (url) endpoints[system] = { kind: 'remote', url };
    else if (modeRaw === 'sandbox') endpoints[system] = { kind: 'simulator' };
    else throw new ConfigError(variable, 'must be set in production mode (only the sandbox runs simulators)');
  }
  if (modeRaw === 'production' && !env.PLATFORM_REGISTRATION) {
    throw new ConfigError('PLATFORM_REGISTRATION', 'must be set in production mode: contracts name the platform\'s registration');
  }
  const databaseUrl = readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'])?.toString();
  if (!databaseUrl && modeRaw === 'production') throw new ConfigError('DATABASE_URL', 'must be set in production mode');
  let lprPpm: RatePpm;
  try {
    lprPpm = parseRatePercent(env.LPR_ONE_YEAR_PERCENT ?? '3.0', 'LPR_ONE_YEAR_PERCENT');
  } catch {
    throw new ConfigError('LPR_ONE_YEAR_PERCENT', 'must be a percentage such as "3.0"');
  }
  return {
    mode: modeRaw,
    host: env.HOST ?? '127.0.0.1',
    port: readPort(env),
    databaseUrl,
    dataDir: env.DATA_DIR ?? './data',
    redisUrl: readUrl(env, 'REDIS_URL', ['redis:', 'rediss:'])?.toString() ?? 'redis://127.0.0.1:6379',
    opsToken: env.OPS_TOKEN || undefined,
    investorTokenSecret: readInvestorTokenSecret(env, modeRaw),
    annualRateCeilingPpm: annualRateCeilingPpm(lprPpm),
    logLevel: env.LOG_LEVEL ?? 'info',
    endpoints,
    billing: readBillingConfig(env, modeRaw),
    crm: readCrmConfig(env, modeRaw),
    bank: readBankConfig(env, modeRaw),
    platform: {
      name: env.PLATFORM_NAME || '农信通网络借贷信息中介平台',
      registration: env.PLATFORM_REGISTRATION || (modeRaw === 'sandbox' ? '沙箱环境，未登记' : ''),
    },
  };
}
