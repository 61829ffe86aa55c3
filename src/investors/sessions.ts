/**
 * Investor sign-in. A session is a pair: a 15-minute self-contained access token
 * (./access-tokens.ts) and a 30-day refresh token. Refresh tokens are 32 random bytes kept
 * only as SHA-256, and are single-use: refreshing revokes the one presented and issues a
 * new pair, in one UPDATE so two parallel refreshes cannot both win. Presenting an already
 * revoked refresh token means it was copied; every refresh token of that investor is then
 * revoked, so the thief's and the owner's sessions both end at the next refresh.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Database } from '../db/database.js';
import { ACCESS_TOKEN_TTL_S, signAccessToken } from './access-tokens.js';

export const REFRESH_TOKEN_TTL_S = 30 * 24 * 60 * 60;
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface TokenPair { accessToken: string; refreshToken: string; expiresIn: number }

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export class InvestorSessions {
  /** A hash to verify against when the mobile is unknown, so the answer's timing does not tell. */
  private decoyHash: Promise<string> | undefined;

  constructor(private readonly db: Database, private readonly secret: string, private readonly now: () => Date = () => new Date()) {}

  private async issue(investorId: number): Promise<TokenPair> {
    const now = this.now();
    const refreshToken = randomBytes(32).toString('base64url');
    await this.db.query(`INSERT INTO investor_refresh_tokens (token_sha256, investor_id, expires_at) VALUES ($1, $2, $3)`,
      [digest(refreshToken), investorId, new Date(now.getTime() + REFRESH_TOKEN_TTL_S * 1000)]);
    return { accessToken: signAccessToken(this.secret, investorId, now), refreshToken, expiresIn: ACCESS_TOKEN_TTL_S };
  }

  /** A pair for the right mobile and password of an active investor; undefined otherwise, after the same argon2 work. */
  async signIn(mobile: string, password: string): Promise<TokenPair | undefined> {
    const [row] = await this.db.query<{ id: number; password_hash: string; status: string }>(
      `SELECT id, password_hash, status FROM investors WHERE mobile = $1`, [mobile]);
    if (!row) {
      this.decoyHash ??= hash(randomBytes(16).toString('hex'));
      await verify(await this.decoyHash, password).catch(() => false);
      return undefined;
    }
    const ok = await verify(row.password_hash, password).catch(() => false);
    if (!ok || row.status !== 'active') return undefined;
    return this.issue(row.id);
  }

  async refresh(refreshToken: string): Promise<TokenPair | undefined> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return undefined;
    const now = this.now();
    const [used] = await this.db.query<{ investor_id: number }>(
      `UPDATE investor_refresh_tokens t SET revoked_at = $2
       FROM investors i
       WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND i.id = t.investor_id AND i.status = 'active'
       RETURNING t.investor_id`, [digest(refreshToken), now]);
    if (used) return this.issue(used.investor_id);
    // Replay of a rotated token: end the whole family (see the header).
    await this.db.query(
      `UPDATE investor_refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL
         AND investor_id = (SELECT investor_id FROM investor_refresh_tokens WHERE token_sha256 = $1 AND revoked_at IS NOT NULL)`,
      [digest(refreshToken), now]);
    return undefined;
  }

  /** Revokes the caller's own refresh token; a token of someone else is left alone. */
  async signOut(investorId: number, refreshToken: string): Promise<void> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return;
    await this.db.query(`UPDATE investor_refresh_tokens SET revoked_at = $3 WHERE token_sha256 = $1 AND investor_id = $2 AND revoked_at IS NULL`,
      [digest(refreshToken), investorId, this.now()]);
  }
}
