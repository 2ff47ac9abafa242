// Fixtures for the mentions, notifications and search tests: spaces, posts and comments written
// straight into D1 and then published, the way the discussion routes publish after their writes.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { getDb, schema } from "../workers/db/client";
import type { TierKey } from "../workers/db/schema";
import { newId } from "../workers/lib/ids";
import { publish, type Comment, type Post } from "../workers/domain/publish";
import type { TestCommunity } from "./community-fixtures";
import type { TestUser } from "./helpers";

export type TestSpace = { id: string; communityId: string };

export async function makeSpace(
  community: TestCommunity,
  opts: { minTier?: TierKey; private?: boolean; members?: TestUser[]; name?: string } = {},
): Promise<TestSpace> {
  const id = newId("spc");
  const db = getDb(env);
  await db.insert(schema.spaces).values({
    id,
    communityId: community.id,
    kind: "discussion",
    name: opts.name ?? "General",
    minTier: opts.minTier ?? "free",
    private: opts.private ?? false,
  });
  for (const member of opts.members ?? []) await db.insert(schema.spaceMembers).values({ spaceId: id, userId: member.id });
  return { id, communityId: community.id };
}

export async function follow(space: TestSpace, user: TestUser) {
  await getDb(env).insert(schema.spaceFollows).values({ spaceId: space.id, userId: user.id, createdAt: new Date(Date.now() - 1000) });
}

export async function makePost(
  space: TestSpace,
  author: TestUser,
  content: { title: string; body?: string; moderationStatus?: "visible" | "pending_review" },
): Promise<Post> {
  const [post] = await getDb(env)
    .insert(schema.posts)
    .values({
      id: newId("pst"),
      communityId: space.communityId,
      spaceId: space.id,
      authorId: author.id,
      title: content.title,
      body: content.body ?? "",
      moderationStatus: content.moderationStatus ?? "visible",
    })
    .returning();
  await publish(env, { type: "post.created", post });
  return post;
}

export async function makeComment(post: Post, author: TestUser, body: string, parent?: Comment): Promise<Comment> {
  const [comment] = await getDb(env)
    .insert(schema.comments)
    .values({
      id: newId("cmt"),
      communityId: post.communityId,
      postId: post.id,
      authorId: author.id,
      parentId: parent?.id ?? null,
      rootId: parent ? (parent.rootId ?? parent.id) : null,
      body,
    })
    .returning();
  await publish(env, { type: "comment.created", comment, post });
  return comment;
}

export async function updatePost(post: Post, changes: Partial<Pick<Post, "title" | "body" | "hiddenAt" | "deletedAt" | "moderationStatus">>) {
  const [updated] = await getDb(env).update(schema.posts).set(changes).where(eq(schema.posts.id, post.id)).returning();
  return updated;
}

export async function setTier(community: TestCommunity, user: TestUser, paidTier: TierKey) {
  await getDb(env)
    .update(schema.memberships)
    .set({ paidTier })
    .where(and(eq(schema.memberships.communityId, community.id), eq(schema.memberships.userId, user.id)));
}
