/**
 * Investor accounts: two-step registration (an SMS code proves the mobile is the caller's),
 * the masked profile, and the risk questionnaire.
 */
import { hash } from '@node-rs/argon2';
import { DomainError } from '../core/domain-error.js';
import { maskIdNumber, maskMobile, parseIdNumber, parseMobile, parsePersonName } from '../core/identity.js';
import type { Database, Queryable } from '../db/database.js';
import { confirmWithOtp, issueOtp, type OtpChallenge } from '../sms/otp.js';

export const PASSWORD_LENGTH_MIN = 10;
export const PASSWORD_LENGTH_MAX = 128;
export const QUESTIONNAIRE_QUESTIONS = 5;

export interface RegistrantInput { name: unknown; idNumber: unknown; mobile: unknown }
export interface Registrant { name: string; idNumber: string; mobile: string }

export function parseRegistrant(input: RegistrantInput): Registrant {
  return { name: parsePersonName(input.name, 'name'), idNumber: parseIdNumber(input.idNumber, 'idNumber'), mobile: parseMobile(input.mobile, 'mobile') };
}

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_LENGTH_MIN || password.length > PASSWORD_LENGTH_MAX) {
    throw new DomainError('WEAK_PASSWORD', `password must be ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters`, 'password');
  }
  // All digits is a date or a phone number far more often than not.
  if (/^\d+$/.test(password)) throw new DomainError('WEAK_PASSWORD', 'password must not be all digits', 'password');
}

function parseBankCard(card: { bankName: string; accountNumber: string }): { bankName: string; accountNumber: string } {
  const bankName = card.bankName.trim();
  if (bankName.length < 2 || bankName.length > 50) throw new DomainError('INVALID_BANK_CARD', 'bankCard.bankName must be 2 to 50 characters', 'bankCard.bankName');
  const accountNumber = card.accountNumber.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(accountNumber)) throw new DomainError('INVALID_BANK_CARD', 'bankCard.accountNumber must be 12 to 19 digits', 'bankCard.accountNumber');
  return { bankName, accountNumber };
}

/**
 * Step 1: sends a code to the mobile. It does not say whether the person or phone is
 * already registered, so this step cannot be used to probe who invests here.
 */
export async function startRegistration(db: Database, input: RegistrantInput, now: Date): Promise<OtpChallenge> {
  const registrant = parseRegistrant(input);
  return db.transaction((tx) => issueOtp(tx, { purpose: 'investor_registration', msisdn: registrant.mobile }, now));
}

export interface RegistrationConfirmation extends RegistrantInput {
  challengeId: number;
  code: string;
  password: string;
  bankCard: { bankName: string; accountNumber: string };
}

/** Step 2: the code, for the same mobile, creates the investor; the code is used only if the investor is created. */
export async function confirmRegistration(db: Database, input: RegistrationConfirmation, now: Date): Promise<{ investorId: number }> {
  const registrant = parseRegistrant(input);
  checkPassword(input.password);
  const card = parseBankCard(input.bankCard);
  // Hashed before the transaction: argon2 is slow on purpose and must not hold row locks.
  const passwordHash = await hash(input.password);
  return confirmWithOtp(db, input.challengeId, { purpose: 'investor_registration', msisdn: registrant.mobile }, input.code, now, async (tx) => {
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO investors (name, id_number, mobile, password_hash, bank_name, account_number)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
      [registrant.name, registrant.idNumber, registrant.mobile, passwordHash, card.bankName, card.accountNumber]);
    if (!row) await refuseDuplicate(tx, registrant);
    return { investorId: row!.id };
  });
}

async function refuseDuplicate(tx: Queryable, registrant: Registrant): Promise<never> {
  const [byId] = await tx.query(`SELECT 1 FROM investors WHERE id_number = $1`, [registrant.idNumber]);
  if (byId) throw new DomainError('INVESTOR_EXISTS', 'an investor with this ID number is already registered', 'idNumber');
  throw new DomainError('INVESTOR_EXISTS', 'an investor with this mobile is already registered', 'mobile');
}

export interface InvestorProfile {
  id: number;
  name: string;
  idNumber: string;
  mobile: string;
  bankCard: { bankName: string; accountNumber: string };
  riskLevel: number | null;
  status: string;
  createdAt: string;
}

/** For screens: only the last four digits of the account. */
export function maskAccountNumber(accountNumber: string): string {
  return `****${accountNumber.slice(-4)}`;
}

/** The investor's own profile, masked: the full numbers are never sent back, even to their owner. */
export async function investorProfile(db: Queryable, investorId: number): Promise<InvestorProfile | undefined> {
  const [row] = await db.query<{ id: number; name: string; id_number: string; mobile: string; bank_name: string; account_number: string; risk_level: number | null; status: string; created_at: Date }>(
    `SELECT id, name, id_number, mobile, bank_name, account_number, risk_level, status, created_at FROM investors WHERE id = $1`, [investorId]);
  if (!row) return undefined;
  return {
    id: row.id, name: row.name, idNumber: maskIdNumber(row.id_number), mobile: maskMobile(row.mobile),
    bankCard: { bankName: row.bank_name, accountNumber: maskAccountNumber(row.account_number) },
    riskLevel: row.risk_level, status: row.status, createdAt: row.created_at.toISOString(),
  };
}

/**
 * Risk scoring: five questions (horizon, loss tolerance, experience, income share, goal),
 * each answered 1 (most cautious) to 5 (most risk-taking). The sum (5..25) maps to a level
 * in bands of four: 5-8 → 1 (conservative), 9-12 → 2, 13-16 → 3, 17-20 → 4, 21-25 → 5
 * (aggressive). The top band is one wider so that all-fives lands on 5.
 */
export function riskLevelFor(answers: readonly number[]): number {
  if (answers.length !== QUESTIONNAIRE_QUESTIONS || answers.some((a) => !Number.isInteger(a) || a < 1 || a > 5)) {
    throw new DomainError('INVALID_QUESTIONNAIRE', `answers must be ${QUESTIONNAIRE_QUESTIONS} integers from 1 to 5`, 'answers');
  }
  const sum = answers.reduce((a, b) => a + b, 0);
  return Math.min(5, Math.floor((sum - QUESTIONNAIRE_QUESTIONS) / 4) + 1);
}

export async function recordQuestionnaire(db: Queryable, investorId: number, answers: readonly number[]): Promise<number> {
  const level = riskLevelFor(answers);
  await db.query(`UPDATE investors SET risk_level = $2 WHERE id = $1`, [investorId, level]);
  return level;
}
