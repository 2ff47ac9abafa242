// The one JSON view of a user that the account API answers with (signup, login, /me).
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { notFound } from "../../lib/errors";
import { isLocale, type Locale } from "../../lib/locale";
import { notificationPrefKeys, type NotificationPrefKey } from "../../lib/vocabulary";

export type UserRow = typeof schema.users.$inferSelect;

export { notificationPrefKeys, type NotificationPrefKey };

// Stored prefs hold only what the person changed, so a default can change later for everyone
// who never touched it; readers always see every known key.
export const defaultNotificationPrefs: Record<NotificationPrefKey, boolean> = {
  mentions: true,
  replies: true,
  new_posts: true,
  events: true,
  marketing_email: false,
  digest: true,
  // unread DMs and mentions by email after 15 minutes (ADR 033)
  missed_messages: true,
};

export function effectiveNotificationPrefs(stored: Record<string, boolean>): Record<NotificationPrefKey, boolean> {
  const prefs = { ...defaultNotificationPrefs };
  for (const key of notificationPrefKeys) {
    if (typeof stored[key] === "boolean") prefs[key] = stored[key];
  }
  return prefs;
}

export type UserView = {
  id: string;
  email: string;
  name: string;
  bio: string;
  avatarUrl: string | null;
  locale: Locale;
  timezone: string;
  notificationPrefs: Record<NotificationPrefKey, boolean>;
  emailVerified: boolean;
  createdAt: string;
};

export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email ?? "",
    name: row.name,
    bio: row.bio,
    avatarUrl: row.avatarUrl,
    locale: isLocale(row.locale) ? row.locale : "en",
    timezone: row.timezone,
    notificationPrefs: effectiveNotificationPrefs(row.notificationPrefs),
    emailVerified: row.emailVerifiedAt !== null,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function loadUserRow(env: Env, userId: string): Promise<UserRow> {
  const [row] = await getDb(env)
    .select()
    .from(schema.users)
    .where(and(eq(schema.users.id, userId), isNull(schema.users.deletedAt)))
    .limit(1);
  if (!row) throw notFound("No such user.");
  return row;
}

export const loadUserView = async (env: Env, userId: string) => toUserView(await loadUserRow(env, userId));

/** Accounts that can sign in: people (not community bots) that are not erased. */
export async function findPersonByEmail(env: Env, email: string): Promise<UserRow | null> {
  const [row] = await getDb(env)
    .select()
    .from(schema.users)
    .where(and(eq(schema.users.email, email), eq(schema.users.kind, "person"), isNull(schema.users.deletedAt)))
    .limit(1);
  return row ?? null;
}
