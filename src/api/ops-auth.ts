/**
 * Operations access: `Authorization: Bearer <token>` of an ops user. Tokens are random
 * and long, so they are stored as SHA-256 digests (a slow password hash buys nothing for
 * 256-bit random secrets). `OPS_TOKEN`, when set, is an admin token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Database } from '../db/database.js';
import { sendError } from './errors.js';

export const OPS_ROLES = ['viewer', 'operator', 'admin'] as const;
export type OpsRole = (typeof OPS_ROLES)[number];
const RANK: Record<OpsRole, number> = { viewer: 1, operator: 2, admin: 3 };
const TOKEN_CHARS_MAX = 200;

export interface OpsPrincipal {
  actor: string;
  role: OpsRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    opsPrincipal?: OpsPrincipal;
  }
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export function generateOpsToken(): string {
  return `ops_${randomBytes(32).toString('base64url')}`;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/.exec(header) : null;
  return match && match[1]!.length <= TOKEN_CHARS_MAX ? match[1] : undefined;
}

export class OpsAuthenticator {
  private readonly adminTokenDigest: Buffer | undefined;

  constructor(private readonly db: Database, adminToken: string | undefined) {
    this.adminTokenDigest = adminToken ? createHash('sha256').update(adminToken).digest() : undefined;
  }

  async authenticate(token: string): Promise<OpsPrincipal | undefined> {
    const digest = createHash('sha256').update(token).digest();
    if (this.adminTokenDigest && timingSafeEqual(digest, this.adminTokenDigest)) return { actor: 'ops:admin-token', role: 'admin' };
    const [user] = await this.db.query<{ id: number; role: OpsRole }>(
      `SELECT id, role FROM ops_users WHERE token_sha256 = $1`, [digest.toString('hex')]);
    return user ? { actor: `ops:${user.id}`, role: user.role } : undefined;
  }

  /**
   * onRequest hook that admits ops users whose role is at least `role`. It runs before the
   * body is read and validated, so an unauthenticated client gets 401 without the server
   * reading (up to 64 MiB of) its body or telling it how the body would be judged.
   */
  require(role: OpsRole): onRequestAsyncHookHandler {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const token = bearerToken(request);
      const principal = token ? await this.authenticate(token) : undefined;
      if (!principal) {
        return sendError(reply, 401, { code: 'UNAUTHORIZED', message: 'a valid ops bearer token is required' });
      }
      if (RANK[principal.role] < RANK[role]) {
        return sendError(reply, 403, { code: 'FORBIDDEN', message: `this action needs the ${role} role; the token has ${principal.role}` });
      }
      request.opsPrincipal = principal;
    };
  }
}

export async function createOpsUser(db: Database, name: string, role: OpsRole): Promise<{ id: number; token: string }> {
  const token = generateOpsToken();
  const [row] = await db.query<{ id: number }>(
    `INSERT INTO ops_users (name, role, token_sha256) VALUES ($1, $2, $3) RETURNING id`, [name, role, sha256Hex(token)]);
  return { id: row!.id, token };
}
