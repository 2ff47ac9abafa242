// Sessions: the cookie holds a random token, the database only its SHA-256.
import { and, eq, gt, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { sha256Hex } from "../../lib/crypto";
import { randomToken } from "../../lib/ids";
import type { SessionUser } from "../../api/factory";

export const SESSION_DAYS = 30;

export async function createSession(env: Env, userId: string) {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  return { token, expiresAt, insert: getDb(env).insert(schema.sessions).values({ id: await sha256Hex(token), userId, expiresAt }) };
}

export async function loadSession(env: Env, token: string): Promise<{ sessionId: string; user: SessionUser } | null> {
  if (token.length > 128) return null;
  const id = await sha256Hex(token);
  const db = getDb(env);
  const [row] = await db
    .select({
      sessionId: schema.sessions.id,
      id: schema.users.id,
      email: schema.users.email,
      name: schema.users.name,
      locale: schema.users.locale,
      timezone: schema.users.timezone,
      emailVerifiedAt: schema.users.emailVerifiedAt,
    })
    .from(schema.sessions)
    .innerJoin(schema.users, eq(schema.users.id, schema.sessions.userId))
    .where(and(eq(schema.sessions.id, id), gt(schema.sessions.expiresAt, new Date()), isNull(schema.users.deletedAt)))
    .limit(1);
  if (!row || !row.email) return null;
  const { sessionId, ...user } = row;
  return { sessionId, user: { ...user, email: row.email } };
}

export function deleteSession(env: Env, sessionId: string) {
  return getDb(env).delete(schema.sessions).where(eq(schema.sessions.id, sessionId));
}

export function deleteUserSessions(env: Env, userId: string) {
  return getDb(env).delete(schema.sessions).where(eq(schema.sessions.userId, userId));
}
