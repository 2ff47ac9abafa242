// Password reset: a 1-hour single-use link by mail; using it sets the password, signs the user
// out everywhere and voids any other reset link.
import { and, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { hashPassword } from "../../lib/crypto";
import { outboxInsert } from "../../mail/outbox";
import { announceEvents } from "../events/emit";
import { mailTemplates } from "../../mail/templates";
import { findPersonByEmail } from "../account/user-view";
import { invalidToken, issueEmailToken, markTokenUsed, tokenIdOf, tokenOwner } from "./email-tokens";
import { limitAuthAttempt } from "../rate-limits";
import { endChatSessions } from "../chat/channels";

/** Always resolves the same way, so the answer does not tell whether the account exists. */
export async function requestPasswordReset(env: Env, email: string, request: { ip: string; origin: string }) {
  await limitAuthAttempt(env, "password-reset", email, request.ip);
  const user = await findPersonByEmail(env, email);
  if (!user || !user.email) return;
  const { token, insert } = await issueEmailToken(env, user.id, "password_reset");
  const link = `${request.origin}/reset-password?token=${encodeURIComponent(token)}`;
  const content = mailTemplates(user.locale).passwordReset({ name: user.name, link, appName: env.APP_NAME });
  const mail = outboxInsert(env, { userId: user.id, to: user.email, kind: "password_reset", ...content });
  await getDb(env).batch([insert, ...mail.statements]);
  await announceEvents(env, [mail.eventId]);
}

export async function confirmPasswordReset(env: Env, input: { token: string; password: string }): Promise<void> {
  const db = getDb(env);
  const now = new Date();
  const tokenId = await tokenIdOf(input.token);
  const owner = () => tokenOwner(env, tokenId, "password_reset", now);
  const passwordHash = await hashPassword(input.password);
  const [, ended, , used] = await db.batch([
    db
      .update(schema.users)
      // the link reached the inbox, which proves the address as well as a verification link
      .set({ passwordHash, emailVerifiedAt: sql`coalesce(${schema.users.emailVerifiedAt}, ${now.getTime()})` })
      .where(and(inArray(schema.users.id, owner()), isNull(schema.users.deletedAt))),
    db.delete(schema.sessions).where(inArray(schema.sessions.userId, owner())).returning({ id: schema.sessions.id, userId: schema.sessions.userId }),
    db
      .update(schema.emailTokens)
      .set({ usedAt: now })
      .where(
        and(
          inArray(schema.emailTokens.userId, owner()),
          eq(schema.emailTokens.purpose, "password_reset"),
          isNull(schema.emailTokens.usedAt),
          ne(schema.emailTokens.id, tokenId),
        ),
      ),
    markTokenUsed(env, tokenId, "password_reset", now),
  ]);
  if (used.length === 0) throw invalidToken();
  // every session ended: so do the chat sockets they opened
  if (ended.length > 0) await endChatSessions(env, ended[0].userId, ended.map((s) => s.id));
}
