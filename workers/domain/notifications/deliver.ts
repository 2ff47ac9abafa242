// Writing notifications: for each kind a list of would-be recipients; only active members who may
// read the subject now and whose preferences allow the kind receive one. The unique key
// (user, kind, subject) makes every write idempotent, so a re-published event notifies nobody twice.
import { and, eq, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { notificationKinds } from "../../db/schema";
import { newId } from "../../lib/ids";
import { effectiveNotificationPrefs, type NotificationPrefKey } from "../account/user-view";
import { runBatch } from "../communities/batch";
import { chunk, inChunks, readersAmong, spaceReadersAmong } from "../readable";
import { blockersAmong } from "../chat/blocks";

export type NotificationKind = (typeof notificationKinds)[number];

export const prefForKind: Record<NotificationKind, NotificationPrefKey> = {
  mention: "mentions",
  reply: "replies",
  new_post: "new_posts",
  // a channel's "all" level is the member's own choice per channel; the new-posts switch still
  // silences every "something new was written" notice at once (ADR 025)
  new_message: "new_posts",
  direct_message: "direct_messages",
};

/**
 * What a notification is about: a post, a comment, a chat message, or a chat space as a whole
 * (new messages in a channel at level "all") — next a DM, an event. Each type says where it lives
 * (community, space) so readersAmong can check who may read it now; the notification row keeps
 * only (subject_type, subject_id).
 */
export type Subject =
  | { type: "post"; id: string; communityId: string; spaceId: string }
  | { type: "comment"; id: string; postId: string; communityId: string; spaceId: string }
  | { type: "message"; id: string; communityId: string; spaceId: string }
  | { type: "space"; id: string; communityId: string; spaceId: string }
  | { type: "conversation"; id: string; communityId: string };

/** Who among `userIds` may read the subject now: a post's or comment's own rules, or its space's. */
async function subjectReaders(env: Env, subject: Subject, userIds: string[]): Promise<Set<string>> {
  if (subject.type === "post" || subject.type === "comment") return readersAmong(env, subject, userIds);
  if (subject.type === "conversation") return conversationReadersAmong(env, subject, userIds);
  return new Set((await spaceReadersAmong(env, subject.communityId, subject.spaceId, userIds)).keys());
}

/** Who among `userIds` is an active participant of the conversation and an active member of its community. */
async function conversationReadersAmong(env: Env, subject: { id: string; communityId: string }, userIds: string[]): Promise<Set<string>> {
  const cm = schema.conversationMembers;
  const m = schema.memberships;
  const rows = await inChunks(userIds, (part) =>
    getDb(env)
      .select({ id: cm.userId })
      .from(cm)
      .innerJoin(m, and(eq(m.communityId, subject.communityId), eq(m.userId, cm.userId), eq(m.status, "active")))
      .where(and(eq(cm.conversationId, subject.id), inArray(cm.userId, part), isNull(cm.leftAt))),
  );
  return new Set(rows.map((r) => r.id));
}

/** People (not bots, not erased) among `userIds` whose preference for `pref` is on. */
async function wanting(env: Env, userIds: string[], pref: NotificationPrefKey): Promise<Set<string>> {
  const db = getDb(env);
  const u = schema.users;
  const rows = await inChunks(userIds, (part) =>
    db
      .select({ id: u.id, prefs: u.notificationPrefs })
      .from(u)
      .where(and(inArray(u.id, part), isNull(u.deletedAt), eq(u.kind, "person"))),
  );
  return new Set(rows.filter((r) => effectiveNotificationPrefs(r.prefs)[pref]).map((r) => r.id));
}

const subjectKey = (subject: Subject) => ({ subjectType: subject.type, subjectId: subject.id });

/** Those of `userIds` who already hold this notification (by the unique key's index). */
async function alreadyNotified(env: Env, kind: NotificationKind, subject: Subject, userIds: string[]): Promise<Set<string>> {
  const db = getDb(env);
  const n = schema.notifications;
  const { subjectType, subjectId } = subjectKey(subject);
  const rows = await inChunks(userIds, (part) =>
    db
      .select({ userId: n.userId })
      .from(n)
      .where(and(inArray(n.userId, part), eq(n.kind, kind), eq(n.subjectType, subjectType), eq(n.subjectId, subjectId))),
  );
  return new Set(rows.map((r) => r.userId));
}

/**
 * Notify `userIds` of `kind` about the subject. Returns who was actually notified (or already had
 * this notification), so a caller can keep a person from getting two kinds for one subject.
 * `refreshAt` (a notice kept up to date, one per subject: a channel's new messages) dates the
 * notice by what it reports and brings an existing one up to date — new actor, this time, unread
 * again — only when it reports something older, so a repeated or late event changes nothing.
 */
export async function notify(
  env: Env,
  kind: NotificationKind,
  subject: Subject,
  actorId: string,
  userIds: string[],
  options: { refreshAt?: Date } = {},
): Promise<string[]> {
  const candidates = [...new Set(userIds)].filter((id) => id !== actorId);
  if (candidates.length === 0) return [];
  const [readers, blockers] = await Promise.all([subjectReaders(env, subject, candidates), blockersAmong(env, subject.communityId, actorId, candidates)]);
  for (const id of blockers) readers.delete(id);
  const allowed = await wanting(env, [...readers], prefForKind[kind]);
  const recipients = candidates.filter((id) => readers.has(id) && allowed.has(id));
  const db = getDb(env);
  const { subjectType, subjectId } = subjectKey(subject);
  const n = schema.notifications;
  const { refreshAt } = options;
  // eight bound values per row
  await runBatch(
    db,
    chunk(recipients, 12).map((part) => {
      const insert = db.insert(n).values(
        part.map((userId) => ({
          id: newId("ntf"),
          userId,
          communityId: subject.communityId,
          kind,
          actorId,
          subjectType,
          subjectId,
          ...(refreshAt ? { createdAt: refreshAt } : {}),
        })),
      );
      return refreshAt
        ? insert.onConflictDoUpdate({
            target: [n.userId, n.kind, n.subjectType, n.subjectId],
            set: { actorId: sql`excluded.actor_id`, createdAt: sql`excluded.created_at`, readAt: null },
            setWhere: lt(n.createdAt, sql`excluded.created_at`),
          })
        : insert.onConflictDoNothing();
    }),
  );
  return recipients;
}

/** Followers read per page: ~65 D1 queries to check and notify them (IN lists of 90, inserts of 14). */
export const FOLLOWER_PAGE = 500;

/**
 * Tell one page of the followers of the post's space about it: those whose user id sorts after
 * `after` ("" for the first page). Returns the cursor of the next page, or null after the last.
 * Only follows made before the post count, so approving or editing an old post does not notify
 * new followers; a follower the post mentions was told by the mention and gets no second notice.
 * Runs in the spine's consumer (discussions/consequences.ts), never in the request: a space may
 * have more followers than one invocation can read.
 */
export async function notifyFollowerPage(
  env: Env,
  post: { id: string; communityId: string; spaceId: string; authorId: string; createdAt: Date },
  after: string,
): Promise<string | null> {
  const f = schema.spaceFollows;
  const subject: Subject = { type: "post", id: post.id, communityId: post.communityId, spaceId: post.spaceId };
  const rows = await getDb(env)
    .select({ userId: f.userId, createdAt: f.createdAt })
    .from(f)
    .where(and(eq(f.spaceId, post.spaceId), after ? gt(f.userId, after) : undefined))
    .orderBy(f.userId)
    .limit(FOLLOWER_PAGE);
  const ids = rows.filter((r) => r.createdAt.getTime() <= post.createdAt.getTime()).map((r) => r.userId);
  // every edit of the post and every repeated message comes here again: skip the access checks
  // and the inserts for those who were told already (the unique key still guards a race)
  const [told, mentioned] = await Promise.all([alreadyNotified(env, "new_post", subject, ids), alreadyNotified(env, "mention", subject, ids)]);
  await notify(env, "new_post", subject, post.authorId, ids.filter((id) => !told.has(id) && !mentioned.has(id)));
  return rows.length < FOLLOWER_PAGE ? null : rows[rows.length - 1].userId;
}
