// What the discussions feature registers in the data-rights contract (ADR 004, ADR 019). Posts and
// comments stay after erasure, attributed to "Deleted member" through the scrubbed users row;
// reactions, follows and visits are the person's own and go (private-space listings go through
// access-changes.ts writeMembershipErasure, which owns every write of space_members).
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { iso, listSection, rowid } from "../data-rights/pages";
import { deleted, kept, type PersonalData } from "../data-rights/types";

const spaceRef = { id: schema.spaces.id, name: schema.spaces.name, communityId: schema.spaces.communityId };
const p = schema.posts;
const c = schema.comments;
const r = schema.reactions;
const f = schema.spaceFollows;
const sm = schema.spaceMembers;

const contentStays = kept("content stays after erasure, attributed to \"Deleted member\" through the scrubbed users row (ADR 004)");

export const discussionData: PersonalData[] = [
  {
    name: "posts and comments",
    columns: {
      "posts.author_id": contentStays,
      "comments.author_id": contentStays,
      "posts.hidden_by": kept("the moderator who hid a post is the community's moderation record; the name shown is the scrubbed users row"),
      "comments.hidden_by": kept("the moderator who hid a comment is the community's moderation record; the name shown is the scrubbed users row"),
      "spaces.created_by": kept("the community's record of who made a space; the name shown is the scrubbed users row"),
    },
    export: [
      listSection({
        name: "posts",
        table: p,
        whose: (user) => eq(p.authorId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env)
            .select({ rowid: rowid(p), post: p, space: spaceRef })
            .from(p)
            .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
            .where(where)
            .orderBy(rowid(p))
            .limit(limit),
        map: ({ post, space }) => ({
          id: post.id,
          space,
          title: post.title,
          body: post.body,
          createdAt: iso(post.createdAt),
          editedAt: iso(post.editedAt),
          hiddenAt: iso(post.hiddenAt),
          deletedAt: iso(post.deletedAt),
        }),
      }),
      listSection({
        name: "comments",
        table: c,
        whose: (user) => eq(c.authorId, user.id),
        read: ({ env }, where, limit) => getDb(env).select({ rowid: rowid(c), comment: c }).from(c).where(where).orderBy(rowid(c)).limit(limit),
        map: ({ comment }) => ({
          id: comment.id,
          communityId: comment.communityId,
          postId: comment.postId,
          parentId: comment.parentId,
          body: comment.body,
          createdAt: iso(comment.createdAt),
          editedAt: iso(comment.editedAt),
          hiddenAt: iso(comment.hiddenAt),
          deletedAt: iso(comment.deletedAt),
        }),
      }),
    ],
  },
  {
    name: "reactions",
    columns: { "reactions.user_id": deleted },
    export: [
      listSection({
        name: "reactions",
        table: r,
        whose: (user) => eq(r.userId, user.id),
        read: ({ env }, where, limit) => getDb(env).select({ rowid: rowid(r), reaction: r }).from(r).where(where).orderBy(rowid(r)).limit(limit),
        map: ({ reaction }) => ({
          communityId: reaction.communityId,
          targetType: reaction.targetType,
          targetId: reaction.targetId,
          emoji: reaction.emoji,
          createdAt: iso(reaction.createdAt),
        }),
      }),
    ],
    erase: ({ env, user }) => [getDb(env).delete(r).where(eq(r.userId, user.id))],
  },
  {
    name: "space follows and visits",
    columns: { "space_follows.user_id": deleted, "space_visits.user_id": deleted },
    export: [
      listSection({
        name: "spaceFollows",
        table: f,
        whose: (user) => eq(f.userId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env)
            .select({ rowid: rowid(f), space: spaceRef, createdAt: f.createdAt })
            .from(f)
            .innerJoin(schema.spaces, eq(schema.spaces.id, f.spaceId))
            .where(where)
            .orderBy(rowid(f))
            .limit(limit),
        map: (row) => ({ space: row.space, createdAt: iso(row.createdAt) }),
      }),
      // the listings themselves are erased by access-changes.ts (account "memberships")
      listSection({
        name: "spaceMemberships",
        table: sm,
        whose: (user) => eq(sm.userId, user.id),
        read: ({ env }, where, limit) =>
          getDb(env)
            .select({ rowid: rowid(sm), space: spaceRef, addedAt: sm.addedAt })
            .from(sm)
            .innerJoin(schema.spaces, eq(schema.spaces.id, sm.spaceId))
            .where(where)
            .orderBy(rowid(sm))
            .limit(limit),
        map: (row) => ({ space: row.space, addedAt: iso(row.addedAt) }),
      }),
    ],
    // visits (last-seen markers for unread counts) are not exported: a technical copy of when the
    // person last opened each space, which the archive's posts and comments already date
    erase: ({ env, user }) => [
      getDb(env).delete(f).where(eq(f.userId, user.id)),
      getDb(env).delete(schema.spaceVisits).where(eq(schema.spaceVisits.userId, user.id)),
    ],
  },
];
