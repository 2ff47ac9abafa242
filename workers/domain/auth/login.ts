// Sign-in and sign-out. An unknown email and a wrong password get the same answer and take the
// same time (verifyPassword hashes even when there is no account).
import { verifyPassword } from "../../lib/crypto";
import { DomainError } from "../../lib/errors";
import { findPersonByEmail, toUserView } from "../account/user-view";
import { createSession, deleteSession } from "./sessions";
import { limitAuthAttempt } from "../rate-limits";
import { endChatSessions } from "../chat/channels";
import type { SignedIn } from "./signup";

export const invalidCredentials = () =>
  new DomainError(401, "invalid_credentials", "The email or password is not right.");

export async function logIn(env: Env, input: { email: string; password: string }, ip: string): Promise<SignedIn> {
  await limitAuthAttempt(env, "login", input.email, ip);
  const user = await findPersonByEmail(env, input.email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
  if (!user || !ok) throw invalidCredentials();
  const session = await createSession(env, user.id);
  await session.insert;
  return { user: toUserView(user), session: { token: session.token, expiresAt: session.expiresAt } };
}

/** Ends the session `found` names (none: nothing to do) and closes the chat sockets it opened. */
export async function logOut(env: Env, found: { sessionId: string; user: { id: string } } | null): Promise<void> {
  if (!found?.sessionId) return;
  await deleteSession(env, found.sessionId);
  await endChatSessions(env, found.user.id, [found.sessionId]);
}
