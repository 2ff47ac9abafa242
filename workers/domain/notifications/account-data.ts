// Notifications and mentions in the account's export and erasure (ADR 004): the section and the
// erasure step that export.ts and erase.ts list.
import { asc, eq, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb, schema } from "../../db/client";
import type { ExportSection } from "../account/export";
import type { UserRow } from "../account/user-view";

export const notificationsExport: ExportSection = {
  name: "notifications",
  build: async ({ env, user }) => {
    const n = schema.notifications;
    const rows = await getDb(env)
      .select({ n, community: { id: schema.communities.id, slug: schema.communities.slug, name: schema.communities.name } })
      .from(n)
      .innerJoin(schema.communities, eq(schema.communities.id, n.communityId))
      .where(eq(n.userId, user.id))
      .orderBy(asc(n.createdAt));
    return rows.map(({ n: row, community }) => ({
      community,
      kind: row.kind,
      actorId: row.actorId,
      subjectType: row.subjectType,
      subjectId: row.subjectId,
      createdAt: row.createdAt.toISOString(),
      readAt: row.readAt ? row.readAt.toISOString() : null,
    }));
  },
};

/**
 * Notifications to the person go; where they were the actor, the pointer to them goes; mentions by
 * them go. Mentions *of* them go through the spine (user.renamed, discussions/consequences.ts):
 * they lead to the excerpts and search text that still show the old name, and are deleted once
 * those are written again.
 */
export function eraseNotificationData({ env, user }: { env: Env; user: UserRow }): BatchItem<"sqlite">[] {
  const db = getDb(env);
  const mt = schema.mentions;
  return [
    db.delete(schema.notifications).where(eq(schema.notifications.userId, user.id)),
    db.update(schema.notifications).set({ actorId: null }).where(eq(schema.notifications.actorId, user.id)),
    db.delete(mt).where(eq(mt.authorId, user.id)),
  ];
}
