// Sign-up: the user, the first session, and the verification mail are written in one batch.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { isUniqueViolation } from "../../db/unique-violation";
import { hashPassword } from "../../lib/crypto";
import { conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { localeFromAcceptLanguage, type Locale } from "../../lib/locale";
import { announceEvents } from "../events/emit";
import { limitSignup } from "../rate-limits";
import { loadUserView, type UserView } from "../account/user-view";
import { createSession } from "./sessions";
import { verificationMail } from "./verify-email";

export type SignupInput = { email: string; password: string; name: string; locale?: Locale; timezone?: string };
export type SignedIn = { user: UserView; session: { token: string; expiresAt: Date } };

const emailTaken = () => conflict("An account with this email already exists.");

export async function signUp(
  env: Env,
  input: SignupInput,
  request: { acceptLanguage: string | undefined; origin: string; ip: string },
): Promise<SignedIn> {
  // first: the 409 below tells whether an address has an account, so the brake also slows probing
  await limitSignup(env, request.ip);
  const db = getDb(env);
  const [existing] = await db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(eq(schema.users.email, input.email))
    .limit(1);
  if (existing) throw emailTaken();

  const id = newId("usr");
  const locale = input.locale ?? localeFromAcceptLanguage(request.acceptLanguage);
  const session = await createSession(env, id);
  const { tokenInsert, mail } = await verificationMail(
    env,
    { id, email: input.email, name: input.name, locale },
    request.origin,
  );
  try {
    await db.batch([
      db.insert(schema.users).values({
        id,
        email: input.email,
        ...schema.userName(input.name),
        passwordHash: await hashPassword(input.password),
        locale,
        timezone: input.timezone ?? "UTC",
      }),
      session.insert,
      tokenInsert,
      ...mail.statements,
    ]);
  } catch (err) {
    // two sign-ups for the same address at once: the unique index decides
    if (isUniqueViolation(err, "users.email")) throw emailTaken();
    throw err;
  }
  await announceEvents(env, [mail.eventId]);
  return { user: await loadUserView(env, id), session: { token: session.token, expiresAt: session.expiresAt } };
}
