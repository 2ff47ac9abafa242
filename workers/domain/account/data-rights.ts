// The account's own kinds of personal data in the data-rights contract (ADR 004, ADR 019): the
// profile, memberships, consents, sessions and mail tokens, uploads, mail, the audit trail and
// remembered request answers — each with its archive section, its step in the erasure batch and,
// for what lives outside D1, its purge. Registered in domain/data-rights/registry.ts.
import { eq, inArray, or } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { effectiveTier } from "../access";
import { uploadUrl } from "../uploads/images";
import { communityRef, iso, listSection, rowid } from "../data-rights/pages";
import { deleted, kept, type PersonalData } from "../data-rights/types";
import { DELETED_MEMBER_NAME } from "../../lib/vocabulary";
import { dailyCounterKeys } from "../rate-limits";
import { toUserView } from "./user-view";

// mailed links are still usable for a while; an archive lying in a downloads folder should not be
const redactTokens = (text: string) => text.replace(/token=[^\s&]+/g, "token=[redacted]");

const m = schema.memberships;
const c = schema.consents;
const s = schema.sessions;
const u = schema.uploads;
const o = schema.outbox;
const a = schema.auditLog;

/** R2 deletes take at most 1,000 keys per call; a purge slice lists and deletes one such page. */
const R2_PAGE = 1000;

/** The R2 prefix under which one person's uploads are stored (images.ts builds the keys). */
export const uploadPrefix = (userId: string) => `u/${userId}/`;

export const accountData: PersonalData[] = [
  {
    name: "profile",
    columns: {},
    export: [{ name: "profile", shape: "object", build: async ({ user }) => toUserView(user) }],
    // the row stays as "Deleted member" so content and audit trails keep pointing at someone
    erase: ({ env, user, now }) => [
      getDb(env)
        .update(schema.users)
        .set({
          email: null,
          ...schema.userName(DELETED_MEMBER_NAME),
          bio: "",
          avatarUrl: null,
          passwordHash: null,
          notificationPrefs: {},
          deletedAt: now,
        })
        .where(eq(schema.users.id, user.id)),
    ],
  },
  {
    name: "memberships",
    columns: {
      // deleted (and space listings, ban reasons scrubbed) by access-changes.ts
      // writeMembershipErasure, which owns every access write and tells listeners (ADR 015)
      "memberships.user_id": deleted,
      "space_members.user_id": deleted,
      "bans.user_id": kept("the ban stays the community's decision; its free-text reason is emptied"),
      "bans.banned_by": kept("who banned whom is the community's moderation record; the name shown is the scrubbed users row"),
      "communities.owner_id": kept("erasure is refused while the person owns a live community; a deleted community's row holds no personal data"),
      "invites.created_by": kept("the community's record of who issued an invite; the name shown is the scrubbed users row"),
    },
    export: [
      listSection({
        name: "memberships",
        table: m,
        whose: (user) => eq(m.userId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env)
            .select({ rowid: rowid(m), community: communityRef, m })
            .from(m)
            .innerJoin(schema.communities, eq(schema.communities.id, m.communityId))
            .where(where)
            .orderBy(rowid(m))
            .limit(limit),
        map: ({ community, m: row }) => ({
          community,
          role: row.role,
          status: row.status,
          tier: effectiveTier(row),
          paidTier: row.paidTier,
          compTier: row.compTier,
          source: row.source,
          inviteCode: row.inviteCode,
          joinedAt: iso(row.joinedAt),
          dmPolicy: row.dmPolicy,
        }),
      }),
    ],
  },
  {
    name: "consents",
    columns: { "consents.user_id": deleted },
    export: [
      listSection({
        name: "consents",
        table: c,
        whose: (user) => eq(c.userId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env)
            .select({ rowid: rowid(c), community: communityRef, c })
            .from(c)
            .innerJoin(schema.communities, eq(schema.communities.id, c.communityId))
            .where(where)
            .orderBy(rowid(c))
            .limit(limit),
        map: ({ community, c: row }) => ({ community, purpose: row.purpose, granted: row.granted, at: iso(row.at) }),
      }),
    ],
    erase: ({ env, user }) => [getDb(env).delete(c).where(eq(c.userId, user.id))],
  },
  {
    name: "sessions",
    columns: { "sessions.user_id": deleted, "email_tokens.user_id": deleted },
    export: [
      listSection({
        name: "sessions",
        table: s,
        whose: (user) => eq(s.userId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env)
            .select({ rowid: rowid(s), createdAt: s.createdAt, expiresAt: s.expiresAt })
            .from(s)
            .where(where)
            .orderBy(rowid(s))
            .limit(limit),
        map: (row) => ({ createdAt: iso(row.createdAt), expiresAt: iso(row.expiresAt) }),
      }),
    ],
    erase: ({ env, user }) => [
      getDb(env).delete(s).where(eq(s.userId, user.id)),
      getDb(env).delete(schema.emailTokens).where(eq(schema.emailTokens.userId, user.id)),
    ],
  },
  {
    name: "uploads",
    // rows go in the batch, so nothing is served from that moment (images.ts serves only what has
    // a row); the R2 objects go through the purge, with retries
    columns: { "uploads.user_id": deleted },
    export: [
      listSection({
        name: "uploads",
        table: u,
        whose: (user) => eq(u.userId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env).select({ rowid: rowid(u), u }).from(u).where(where).orderBy(rowid(u)).limit(limit),
        map: ({ u: row }) => ({
          url: uploadUrl(row.key),
          contentType: row.contentType,
          size: row.size,
          spaceId: row.spaceId,
          conversationId: row.conversationId,
          createdAt: iso(row.createdAt),
        }),
      }),
    ],
    erase: ({ env, user }) => [getDb(env).delete(u).where(eq(u.userId, user.id))],
    purge: {
      name: "uploads",
      run: async (env, userId, cursor) => {
        // listing by prefix finds every object, even one whose row a failed upload never wrote
        const listed = await env.UPLOADS.list({ prefix: uploadPrefix(userId), limit: R2_PAGE, cursor: cursor ?? undefined });
        if (listed.objects.length > 0) await env.UPLOADS.delete(listed.objects.map((object) => object.key));
        return listed.truncated ? listed.cursor : null;
      },
    },
  },
  {
    name: "mails",
    columns: { "outbox.user_id": deleted },
    export: [
      listSection({
        name: "mails",
        table: o,
        whose: (user) => eq(o.userId, user.id),
        read: ({ env }, where, limit) => getDb(env).select({ rowid: rowid(o), o }).from(o).where(where).orderBy(rowid(o)).limit(limit),
        map: ({ o: row }) => ({
          to: row.toEmail,
          kind: row.kind,
          subject: row.subject,
          text: redactTokens(row.text),
          createdAt: iso(row.createdAt),
          sentAt: iso(row.sentAt),
        }),
      }),
    ],
    erase: ({ env, user }) => {
      // mail to their address that was queued without the user id (a reset asked for by email)
      const mailTo = user.email ? or(eq(o.userId, user.id), eq(o.toEmail, user.email)) : eq(o.userId, user.id);
      return [getDb(env).delete(o).where(mailTo)];
    },
  },
  {
    name: "audit",
    columns: {
      "audit_log.actor_id": kept("the communities' accountability record; its free-form data is emptied"),
      "audit_log.target_id": kept("the communities' accountability record; its free-form data is emptied"),
    },
    export: [
      listSection({
        name: "audit",
        table: a,
        whose: (user) => or(eq(a.actorId, user.id), eq(a.targetId, user.id)),
        read: ({ env }, where, limit) => getDb(env).select({ rowid: rowid(a), a }).from(a).where(where).orderBy(rowid(a)).limit(limit),
        map: ({ a: row }, user) => ({
          action: row.action,
          role: row.actorId === user.id ? "actor" : "target",
          communityId: row.communityId,
          targetType: row.targetType,
          targetId: row.targetId,
          data: row.data,
          at: iso(row.at),
        }),
      }),
    ],
    // audit data may hold names and emails
    erase: ({ env, user }) => [getDb(env).update(a).set({ data: null }).where(or(eq(a.actorId, user.id), eq(a.targetId, user.id)))],
  },
  {
    name: "idempotency keys",
    // remembered answers of the member's creates carry their name and words; not exported (a
    // 24-hour technical copy of what the posts and comments sections hold)
    columns: { "idempotency_keys.user_id": deleted },
    erase: ({ env, user }) => [getDb(env).delete(schema.idempotencyKeys).where(eq(schema.idempotencyKeys.userId, user.id))],
  },
  {
    name: "daily budgets",
    // the counters' keys hold the person's id (`upload:<userId>`); not exported (a count of today's
    // uploads and exports, which the archive's own sections list)
    columns: {},
    erase: ({ env, user }) => [
      getDb(env).delete(schema.rateCounters).where(inArray(schema.rateCounters.key, dailyCounterKeys(user.id))),
    ],
  },
];
