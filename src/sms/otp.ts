/**
 * One-time codes the borrower receives by SMS to confirm a signing or a cash receipt. Only a
 * salted hash of the code is stored; the SMS row keeps the text only until it is sent
 * (src/sms/outbound.ts). A code lives OTP_TTL_MS, is used once, and OTP_ATTEMPTS_MAX wrong
 * tries use it up.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../core/domain-error.js';
import type { Database, Queryable } from '../db/database.js';
import { OTP_TEMPLATE, queueSms } from './outbound.js';

export const OTP_TTL_MS = 5 * 60_000;
export const OTP_ATTEMPTS_MAX = 5;
const OTP_DIGITS = 6;

export type OtpPurpose = 'contract_signing' | 'cash_receipt' | 'investor_registration';

const PURPOSE_TEXT: Record<OtpPurpose, string> = {
  contract_signing: '签署借款合同',
  cash_receipt: '确认领取现金借款',
  investor_registration: '注册出借人账户',
};

function hashCode(salt: string, code: string): string {
  return createHash('sha256').update(`${salt}:${code}`).digest('hex');
}

export interface OtpChallenge {
  challengeId: number;
  expiresAt: string;
}

/** Creates a challenge and queues its SMS in the caller's transaction. */
export async function issueOtp(
  tx: Queryable, input: { purpose: OtpPurpose; loanId?: number | null; msisdn: string; amountFen?: number }, now: Date,
): Promise<OtpChallenge> {
  const code = String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
  const salt = randomBytes(16).toString('hex');
  const expiresAt = new Date(now.getTime() + OTP_TTL_MS);
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO otp_challenges (purpose, loan_id, msisdn, code_hash, expires_at, sms_reference)
     VALUES ($1, $2, $3, $4, $5, '') RETURNING id`,
    [input.purpose, input.loanId ?? null, input.msisdn, `${salt}:${hashCode(salt, code)}`, expiresAt]);
  const reference = `otp-${row!.id}`;
  await tx.query(`UPDATE otp_challenges SET sms_reference = $2 WHERE id = $1`, [row!.id, reference]);
  // A loan's code names the loan and amount so the borrower sees what they confirm; a code
  // without a loan (investor registration) has nothing of the kind to show.
  const subject = input.loanId == null ? '' : `（借款编号${input.loanId}，金额${((input.amountFen ?? 0) / 100).toFixed(2)}元）`;
  await queueSms(tx, {
    msisdn: input.msisdn, template: OTP_TEMPLATE, kind: 'transactional', reference,
    text: `验证码${code}，用于${PURPOSE_TEXT[input.purpose]}${subject}，${OTP_TTL_MS / 60_000}分钟内有效。工作人员不会向您索要验证码，请在本人确认后输入。`,
  });
  return { challengeId: row!.id, expiresAt: expiresAt.toISOString() };
}

/** What a challenge must have been issued for: its purpose, loan (none for registration) and, optionally, phone. */
export interface OtpExpectation { purpose: OtpPurpose; loanId?: number | null; msisdn?: string }

/** Checks a code in the caller's transaction and marks the challenge used. */
async function verifyOtp(
  tx: Queryable, challengeId: number, expected: OtpExpectation, code: string, now: Date,
): Promise<void> {
  const [row] = await tx.query<{ purpose: string; loan_id: number | null; msisdn: string; code_hash: string; expires_at: Date; attempts: number; verified_at: Date | null }>(
    `SELECT purpose, loan_id, msisdn, code_hash, expires_at, attempts, verified_at FROM otp_challenges WHERE id = $1 FOR UPDATE`, [challengeId]);
  // A code proves possession of the phone it went to, so a caller naming the phone must name that one.
  if (!row || row.purpose !== expected.purpose || row.loan_id !== (expected.loanId ?? null)
    || (expected.msisdn !== undefined && row.msisdn !== expected.msisdn)) {
    throw new DomainError('OTP_NOT_FOUND', `no ${expected.purpose} code ${challengeId}${expected.loanId == null ? '' : ` for loan ${expected.loanId}`}`, 'challengeId');
  }
  if (row.verified_at) throw new DomainError('OTP_USED', 'this code was already used; ask for a new one', 'code');
  if (row.attempts >= OTP_ATTEMPTS_MAX) throw new DomainError('OTP_LOCKED', 'too many wrong codes; ask for a new one', 'code');
  if (row.expires_at.getTime() < now.getTime()) throw new DomainError('OTP_EXPIRED', 'the code has expired; ask for a new one', 'code');
  const [salt, hash] = row.code_hash.split(':') as [string, string];
  const given = Buffer.from(hashCode(salt, /^\d{6}$/.test(code) ? code : ''), 'hex');
  if (!timingSafeEqual(given, Buffer.from(hash, 'hex'))) {
    throw new DomainError('OTP_WRONG', `the code is wrong; ${OTP_ATTEMPTS_MAX - row.attempts - 1} tries left`, 'code');
  }
  await tx.query(`UPDATE otp_challenges SET verified_at = $2 WHERE id = $1`, [challengeId, now]);
}

/**
 * Runs `action` in one transaction with the code's verification, so the code is used exactly
 * when the action commits. A wrong code is counted after the rollback, so the limit holds.
 */
export async function confirmWithOtp<T>(
  db: Database, challengeId: number, expected: OtpExpectation, code: string, now: Date,
  action: (tx: Queryable) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      await verifyOtp(tx, challengeId, expected, code, now);
      return action(tx);
    });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'OTP_WRONG') {
      await db.query(`UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 AND verified_at IS NULL`, [challengeId]);
    }
    throw error;
  }
}
