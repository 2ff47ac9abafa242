// The signed-in user's own account: who they are and where they belong, and profile edits.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { badRequest } from "../../lib/errors";
import type { Locale } from "../../lib/locale";
import { announceEvents, eventInsert } from "../events/emit";
import { isOwnPublicUpload } from "../uploads/images";
import { activeMemberships } from "./memberships";
import { loadUserRow, loadUserView, type NotificationPrefKey } from "./user-view";
import { refreshChatIdentity } from "../chat/channels";

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
  if (patch.avatarUrl && !(await isOwnPublicUpload(env, userId, patch.avatarUrl))) {
    throw badRequest("The avatar must be a public image you uploaded (not one uploaded for a space or conversation).", {
      issues: [{ path: "avatarUrl", message: "not_your_upload", code: "not_your_upload" }],
    });
  }
  const { notificationPrefs, ...fields } = patch;
  const changes: Partial<typeof schema.users.$inferInsert> = { ...fields, ...(fields.name === undefined ? {} : schema.userName(fields.name)) };
  const current = notificationPrefs || fields.name !== undefined ? await loadUserRow(env, userId) : null;
  // a patch of prefs changes the named keys only
  if (current && notificationPrefs) changes.notificationPrefs = { ...current.notificationPrefs, ...notificationPrefs };
  if (Object.keys(changes).length > 0) {
    const db = getDb(env);
    const update = db.update(schema.users).set(changes).where(eq(schema.users.id, userId));
    // a new name: what mentions them shows it in excerpts and search too (the spine, ADR 017)
    const renamed = current && fields.name !== undefined && fields.name !== current.name ? renameEvent(env, userId) : null;
    if (renamed) {
      await db.batch([update, renamed.statement]);
      await announceEvents(env, [renamed.id]);
      // open chat sockets carry the name they were opened with: they reconnect as the new one
      await refreshChatIdentity(env, userId);
    } else await update;
  }
  return loadUserView(env, userId);
}

/** The `user.renamed` event of a rename or an erasure, for the batch that changes the name. */
export const renameEvent = (env: Env, userId: string) =>
  eventInsert(env, { kind: "user.renamed", communityId: null, subject: { type: "user", id: userId }, payload: { userId, after: "" } });
