// Single-use tokens sent by mail. The mail carries the random token, the database only its
// SHA-256, so a leaked table cannot verify an address or reset a password.
import { and, eq, gt, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { sha256Hex } from "../../lib/crypto";
import { badRequest } from "../../lib/errors";
import { randomToken } from "../../lib/ids";

export type TokenPurpose = (typeof schema.emailTokens.$inferSelect)["purpose"];

export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  password_reset: 3_600_000,
};

export async function issueEmailToken(env: Env, userId: string, purpose: TokenPurpose) {
  const token = randomToken(32);
  const insert = getDb(env)
    .insert(schema.emailTokens)
    .values({
      id: await sha256Hex(token),
      userId,
      purpose,
      expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS[purpose]),
    });
  return { token, insert };
}

/** The condition under which a token still counts: right purpose, unused, unexpired. */
export const usableToken = (tokenId: string, purpose: TokenPurpose, now: Date) =>
  and(
    eq(schema.emailTokens.id, tokenId),
    eq(schema.emailTokens.purpose, purpose),
    isNull(schema.emailTokens.usedAt),
    gt(schema.emailTokens.expiresAt, now),
  );

/**
 * `SELECT user_id` of a usable token, for use inside other statements of the same batch: every
 * write in the batch is conditional on the token, and the last statement marks it used, so a
 * replayed or expired token changes nothing (D1 has no interactive transactions).
 */
export const tokenOwner = (env: Env, tokenId: string, purpose: TokenPurpose, now: Date) =>
  getDb(env).select({ id: schema.emailTokens.userId }).from(schema.emailTokens).where(usableToken(tokenId, purpose, now));

export const markTokenUsed = (env: Env, tokenId: string, purpose: TokenPurpose, now: Date) =>
  getDb(env)
    .update(schema.emailTokens)
    .set({ usedAt: now })
    .where(usableToken(tokenId, purpose, now))
    .returning({ userId: schema.emailTokens.userId });

export const tokenIdOf = (token: string) => sha256Hex(token);

export const invalidToken = () =>
  badRequest("This link is invalid, already used or expired.", {
    issues: [{ path: "token", message: "invalid_or_expired_token", code: "invalid_or_expired_token" }],
  });
