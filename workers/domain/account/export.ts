// The data-portability archive of GET /me/export. Each kind of personal data is one section
// builder; a feature that stores personal rows (posts, comments, chat and DM messages, rsvps,
// subscriptions, notifications) adds its builder to `exportSections` — erase.ts has the
// matching list for erasure. Sections only describe what exists: no placeholders.
import { asc, desc, eq, or } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { effectiveTier } from "../access";
import { uploadUrl } from "../uploads/images";
import { discussionExportSections } from "../discussions/data-rights";
import { loadUserRow, toUserView, type UserRow } from "./user-view";
import { notificationsExport } from "../notifications/account-data";

export type ExportContext = { env: Env; user: UserRow };
export type ExportSection = { name: string; build: (ctx: ExportContext) => Promise<unknown> };

const iso = (date: Date | null) => (date ? date.toISOString() : null);
// mailed links are still usable for a while; an archive lying in a downloads folder should not be
const redactTokens = (text: string) => text.replace(/token=[^\s&]+/g, "token=[redacted]");

const communityRef = {
  id: schema.communities.id,
  slug: schema.communities.slug,
  name: schema.communities.name,
};

export const exportSections: ExportSection[] = [
  { name: "profile", build: async ({ user }) => toUserView(user) },
  {
    name: "memberships",
    build: async ({ env, user }) => {
      const rows = await getDb(env)
        .select({ community: communityRef, m: schema.memberships })
        .from(schema.memberships)
        .innerJoin(schema.communities, eq(schema.communities.id, schema.memberships.communityId))
        .where(eq(schema.memberships.userId, user.id))
        .orderBy(asc(schema.memberships.joinedAt));
      return rows.map(({ community, m }) => ({
        community,
        role: m.role,
        status: m.status,
        tier: effectiveTier(m),
        paidTier: m.paidTier,
        compTier: m.compTier,
        source: m.source,
        inviteCode: m.inviteCode,
        joinedAt: iso(m.joinedAt),
      }));
    },
  },
  {
    name: "consents",
    build: async ({ env, user }) => {
      const rows = await getDb(env)
        .select({ community: communityRef, c: schema.consents })
        .from(schema.consents)
        .innerJoin(schema.communities, eq(schema.communities.id, schema.consents.communityId))
        .where(eq(schema.consents.userId, user.id))
        .orderBy(asc(schema.consents.at));
      return rows.map(({ community, c }) => ({ community, purpose: c.purpose, granted: c.granted, at: iso(c.at) }));
    },
  },
  {
    name: "sessions",
    build: async ({ env, user }) => {
      const rows = await getDb(env)
        .select({ createdAt: schema.sessions.createdAt, expiresAt: schema.sessions.expiresAt })
        .from(schema.sessions)
        .where(eq(schema.sessions.userId, user.id))
        .orderBy(asc(schema.sessions.createdAt));
      return rows.map((s) => ({ createdAt: iso(s.createdAt), expiresAt: iso(s.expiresAt) }));
    },
  },
  {
    name: "uploads",
    build: async ({ env, user }) => {
      const rows = await getDb(env)
        .select()
        .from(schema.uploads)
        .where(eq(schema.uploads.userId, user.id))
        .orderBy(asc(schema.uploads.createdAt));
      // where each was given to be shown: it decides who may fetch it (uploads/audience.ts)
      return rows.map((u) => ({
        url: uploadUrl(u.key),
        contentType: u.contentType,
        size: u.size,
        spaceId: u.spaceId,
        conversationId: u.conversationId,
        createdAt: iso(u.createdAt),
      }));
    },
  },
  {
    name: "mails",
    build: async ({ env, user }) => {
      const rows = await getDb(env)
        .select()
        .from(schema.outbox)
        .where(eq(schema.outbox.userId, user.id))
        .orderBy(asc(schema.outbox.createdAt));
      return rows.map((m) => ({
        to: m.toEmail,
        kind: m.kind,
        subject: m.subject,
        text: redactTokens(m.text),
        createdAt: iso(m.createdAt),
        sentAt: iso(m.sentAt),
      }));
    },
  },
  {
    name: "audit",
    build: async ({ env, user }) => {
      const rows = await getDb(env)
        .select()
        .from(schema.auditLog)
        .where(or(eq(schema.auditLog.actorId, user.id), eq(schema.auditLog.targetId, user.id)))
        .orderBy(desc(schema.auditLog.at));
      return rows.map((a) => ({
        action: a.action,
        communityId: a.communityId,
        role: a.actorId === user.id ? "actor" : "target",
        targetType: a.targetType,
        targetId: a.targetId,
        data: a.data,
        at: iso(a.at),
      }));
    },
  },
  notificationsExport,
  ...discussionExportSections,
];

export async function exportAccount(env: Env, userId: string) {
  const user = await loadUserRow(env, userId);
  const built = await Promise.all(exportSections.map(async (s) => [s.name, await s.build({ env, user })] as const));
  return {
    format: "enclave-export/1" as const,
    exportedAt: new Date().toISOString(),
    userId: user.id,
    ...Object.fromEntries(built),
  };
}
