// Email verification: a 24-hour single-use link, mailed at sign-up and on request.
import { inArray, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { outboxInsert } from "../../mail/outbox";
import { announceEvents } from "../events/emit";
import { mailTemplates } from "../../mail/templates";
import { loadUserRow } from "../account/user-view";
import { invalidToken, issueEmailToken, markTokenUsed, tokenIdOf, tokenOwner } from "./email-tokens";
import { limitByEmail } from "../rate-limits";

type Recipient = { id: string; email: string; name: string; locale: string };

/** The token row and the outbox row of a verification mail, to go into the caller's batch. */
export async function verificationMail(env: Env, user: Recipient, origin: string) {
  const { token, insert } = await issueEmailToken(env, user.id, "verify_email");
  const link = `${origin}/verify-email?token=${encodeURIComponent(token)}`;
  const content = mailTemplates(user.locale).verifyEmail({ name: user.name, link, appName: env.APP_NAME });
  const mail = outboxInsert(env, { userId: user.id, to: user.email, kind: "verify_email", ...content });
  return { tokenInsert: insert, mail };
}

export async function verifyEmail(env: Env, token: string): Promise<void> {
  const db = getDb(env);
  const now = new Date();
  const tokenId = await tokenIdOf(token);
  const [, used] = await db.batch([
    db
      .update(schema.users)
      .set({ emailVerifiedAt: sql`coalesce(${schema.users.emailVerifiedAt}, ${now.getTime()})` })
      .where(inArray(schema.users.id, tokenOwner(env, tokenId, "verify_email", now))),
    markTokenUsed(env, tokenId, "verify_email", now),
  ]);
  if (used.length === 0) throw invalidToken();
}

/** Sends a fresh link unless the address is already verified. */
export async function resendVerification(env: Env, userId: string, origin: string): Promise<void> {
  const user = await loadUserRow(env, userId);
  if (user.emailVerifiedAt || !user.email) return;
  // the same budget as sign-in attempts: nobody should be able to turn this into a mail cannon
  await limitByEmail(env, `verify:${user.id}`);
  const { tokenInsert, mail } = await verificationMail(env, { ...user, email: user.email }, origin);
  await getDb(env).batch([tokenInsert, ...mail.statements]);
  await announceEvents(env, [mail.eventId]);
}
