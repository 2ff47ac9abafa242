// Notifications and mentions in the data-rights contract (ADR 004, ADR 019).
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { iso, listSection, rowid } from "../data-rights/pages";
import { deleted, nulled, purged, type PersonalData } from "../data-rights/types";

const n = schema.notifications;
const mt = schema.mentions;

/**
 * Notifications to the person go; where they were the actor, the pointer to them goes; mentions by
 * them go. Mentions *of* them go through the spine (user.renamed, discussions/consequences.ts):
 * they lead to the excerpts and search text that still show the old name, and are deleted once
 * those are written again.
 */
export const notificationData: PersonalData = {
  name: "notifications and mentions",
  columns: {
    "notifications.user_id": deleted,
    "notifications.actor_id": nulled,
    "mentions.author_id": deleted,
    "mentions.mentioned_user_id": purged,
  },
  export: [
    listSection({
      name: "notifications",
      table: n,
      whose: (user) => eq(n.userId, user.id),
      read: ({ env }, where, limit) =>
        getDb(env)
          .select({ rowid: rowid(n), n, community: { id: schema.communities.id, slug: schema.communities.slug, name: schema.communities.name } })
          .from(n)
          .innerJoin(schema.communities, eq(schema.communities.id, n.communityId))
          .where(where)
          .orderBy(rowid(n))
          .limit(limit),
      map: ({ n: row, community }) => ({
        community,
        kind: row.kind,
        actorId: row.actorId,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        createdAt: iso(row.createdAt),
        readAt: iso(row.readAt),
      }),
    }),
  ],
  erase: ({ env, user }) => {
    const db = getDb(env);
    return [
      db.delete(n).where(eq(n.userId, user.id)),
      db.update(n).set({ actorId: null }).where(eq(n.actorId, user.id)),
      db.delete(mt).where(eq(mt.authorId, user.id)),
    ];
  },
};
