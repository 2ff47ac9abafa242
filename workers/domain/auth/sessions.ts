// Sessions: the cookie holds a random token, the database only its SHA-256 (reader.ts reads them).
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { sha256Hex } from "../../lib/crypto";
import { randomToken } from "../../lib/ids";

export const SESSION_DAYS = 30;

export async function createSession(env: Env, userId: string) {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  return { token, expiresAt, insert: getDb(env).insert(schema.sessions).values({ id: await sha256Hex(token), userId, expiresAt }) };
}

export function deleteSession(env: Env, sessionId: string) {
  return getDb(env).delete(schema.sessions).where(eq(schema.sessions.id, sessionId));
}

/**
 * The tag a chat socket carries of the session that opened it (ADR 024): the first 32 hex digits
 * of the session's id, itself the SHA-256 of the token — names the session, cannot stand in for it.
 */
export const sessionTag = (sessionId: string) => sessionId.slice(0, 32);
