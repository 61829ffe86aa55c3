/**
 * Investor access tokens: short-lived and self-contained, so checking one needs no store
 * lookup. Format `v1.<payload>.<mac>`, payload = base64url JSON {sub, exp}, mac =
 * base64url HMAC-SHA256 over "v1.<payload>" with INVESTOR_TOKEN_SECRET. A token cannot be
 * revoked before it expires; that is why it lives only ACCESS_TOKEN_TTL_S and the
 * revocable part of a session is the refresh token (./sessions.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const ACCESS_TOKEN_TTL_S = 15 * 60;
const VERSION = 'v1';

const mac = (secret: string, signed: string) => createHmac('sha256', secret).update(signed).digest();

export function signAccessToken(secret: string, investorId: number, now: Date, ttlS = ACCESS_TOKEN_TTL_S): string {
  const payload = Buffer.from(JSON.stringify({ sub: investorId, exp: Math.floor(now.getTime() / 1000) + ttlS })).toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** The investor id of a valid, unexpired token; undefined for anything else, with no reason given. */
export function verifyAccessToken(secret: string, token: string, now: Date): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = mac(secret, signed);
  // base64url decoding ignores stray characters, so compare the re-encoding too: a token
  // whose text differs from the canonical one is refused even if its bytes decode the same.
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== parts[2]) return undefined;
  let claims: { sub?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return undefined;
  }
  if (typeof claims.sub !== 'number' || !Number.isSafeInteger(claims.sub) || typeof claims.exp !== 'number') return undefined;
  if (claims.exp * 1000 <= now.getTime()) return undefined;
  return claims.sub;
}
