// The signed-in user's own account: who they are and where they belong, and profile edits.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { badRequest } from "../../lib/errors";
import type { Locale } from "../../lib/locale";
import { isOwnUpload } from "../uploads/images";
import { activeMemberships } from "./memberships";
import { loadUserRow, loadUserView, type NotificationPrefKey } from "./user-view";

export async function loadMe(env: Env, userId: string) {
  const [user, memberships] = await Promise.all([loadUserView(env, userId), activeMemberships(env, userId)]);
  return { user, memberships: memberships.map(({ community, role, tier }) => ({ community, role, tier })) };
}

export type ProfilePatch = {
  name?: string;
  bio?: string;
  avatarUrl?: string | null;
  locale?: Locale;
  timezone?: string;
  notificationPrefs?: Partial<Record<NotificationPrefKey, boolean>>;
};

export async function updateProfile(env: Env, userId: string, patch: ProfilePatch) {
  if (patch.avatarUrl && !(await isOwnUpload(env, userId, patch.avatarUrl))) {
    throw badRequest("The avatar must be an image you uploaded.", {
      issues: [{ path: "avatarUrl", message: "not_your_upload", code: "not_your_upload" }],
    });
  }
  const { notificationPrefs, ...fields } = patch;
  const changes: Partial<typeof schema.users.$inferInsert> = { ...fields, ...(fields.name === undefined ? {} : schema.userName(fields.name)) };
  if (notificationPrefs) {
    // a patch of prefs changes the named keys only
    const current = await loadUserRow(env, userId);
    changes.notificationPrefs = { ...current.notificationPrefs, ...notificationPrefs };
  }
  if (Object.keys(changes).length > 0) {
    await getDb(env).update(schema.users).set(changes).where(eq(schema.users.id, userId));
  }
  return loadUserView(env, userId);
}
