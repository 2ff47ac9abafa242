// What the discussions feature adds to GET /me/export and DELETE /me (ADR 004). Posts and
// comments stay after erasure, attributed to "Deleted member" through the scrubbed users row;
// reactions, follows, visits and private-space listings are the person's own and go (the listings
// through access-changes.ts writeMembershipErasure, which owns every write of space_members).
import { asc, eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { BatchItem } from "drizzle-orm/batch";
import type { ExportSection } from "../account/export";
import type { UserRow } from "../account/user-view";

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const spaceRef = { id: schema.spaces.id, name: schema.spaces.name, communityId: schema.spaces.communityId };

export const discussionExportSections: ExportSection[] = [
  {
    name: "posts",
    build: async ({ env, user }) => {
      const p = schema.posts;
      const rows = await getDb(env)
        .select({ post: p, space: spaceRef })
        .from(p)
        .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
        .where(eq(p.authorId, user.id))
        .orderBy(asc(p.seq));
      return rows.map(({ post, space }) => ({
        id: post.id,
        space,
        title: post.title,
        body: post.body,
        createdAt: iso(post.createdAt),
        editedAt: iso(post.editedAt),
        hiddenAt: iso(post.hiddenAt),
        deletedAt: iso(post.deletedAt),
      }));
    },
  },
  {
    name: "comments",
    build: async ({ env, user }) => {
      const c = schema.comments;
      const rows = await getDb(env).select().from(c).where(eq(c.authorId, user.id)).orderBy(asc(c.seq));
      return rows.map((comment) => ({
        id: comment.id,
        communityId: comment.communityId,
        postId: comment.postId,
        parentId: comment.parentId,
        body: comment.body,
        createdAt: iso(comment.createdAt),
        editedAt: iso(comment.editedAt),
        hiddenAt: iso(comment.hiddenAt),
        deletedAt: iso(comment.deletedAt),
      }));
    },
  },
  {
    name: "reactions",
    build: async ({ env, user }) => {
      const r = schema.reactions;
      const rows = await getDb(env).select().from(r).where(eq(r.userId, user.id)).orderBy(asc(r.createdAt));
      return rows.map((reaction) => ({
        communityId: reaction.communityId,
        targetType: reaction.targetType,
        targetId: reaction.targetId,
        emoji: reaction.emoji,
        createdAt: iso(reaction.createdAt),
      }));
    },
  },
  {
    name: "spaceFollows",
    build: async ({ env, user }) => {
      const f = schema.spaceFollows;
      const rows = await getDb(env)
        .select({ space: spaceRef, createdAt: f.createdAt })
        .from(f)
        .innerJoin(schema.spaces, eq(schema.spaces.id, f.spaceId))
        .where(eq(f.userId, user.id))
        .orderBy(asc(f.createdAt));
      return rows.map((row) => ({ space: row.space, createdAt: iso(row.createdAt) }));
    },
  },
  {
    name: "spaceMemberships",
    build: async ({ env, user }) => {
      const m = schema.spaceMembers;
      const rows = await getDb(env)
        .select({ space: spaceRef, addedAt: m.addedAt })
        .from(m)
        .innerJoin(schema.spaces, eq(schema.spaces.id, m.spaceId))
        .where(eq(m.userId, user.id))
        .orderBy(asc(m.addedAt));
      return rows.map((row) => ({ space: row.space, addedAt: iso(row.addedAt) }));
    },
  },
];

export function eraseDiscussionData({ env, user }: { env: Env; user: UserRow }): BatchItem<"sqlite">[] {
  const db = getDb(env);
  return [
    db.delete(schema.reactions).where(eq(schema.reactions.userId, user.id)),
    db.delete(schema.spaceFollows).where(eq(schema.spaceFollows.userId, user.id)),
    db.delete(schema.spaceVisits).where(eq(schema.spaceVisits.userId, user.id)),
  ];
}
