// Fixtures for the mentions, notifications and search tests: spaces, posts and comments written
// straight into D1 with their domain event in the same batch, as the discussion routes write them,
// and the events then drained (ADR 014).
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { getDb, schema } from "../workers/db/client";
import type { TierKey } from "../workers/db/schema";
import { newId } from "../workers/lib/ids";
import type { Comment, Post } from "../workers/domain/discussions/access";
import { eventInsert } from "../workers/domain/events/emit";
import { tokenizeMentions } from "../workers/domain/notifications/mentions";
import { drainEvents } from "./queue-fixtures";
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
  const id = newId("pst");
  const db = getDb(env);
  // typed mentions become tokens, as the discussion routes store them
  const body = await tokenizeMentions(env, space.communityId, content.body ?? "");
  const event = eventInsert(env, { kind: "post.created", communityId: space.communityId, subject: { type: "post", id }, payload: { postId: id } });
  const [[post]] = await db.batch([
    db
    .insert(schema.posts)
    .values({
      id,
      communityId: space.communityId,
      spaceId: space.id,
      authorId: author.id,
      title: content.title,
      body,
      moderationStatus: content.moderationStatus ?? "visible",
    })
    .returning(),
    event.statement,
  ]);
  await drainEvents();
  return post;
}

export async function makeComment(post: Post, author: TestUser, body: string, parent?: Comment): Promise<Comment> {
  const id = newId("cmt");
  const db = getDb(env);
  const stored = await tokenizeMentions(env, post.communityId, body);
  const event = eventInsert(env, {
    kind: "comment.created",
    communityId: post.communityId,
    subject: { type: "comment", id },
    payload: { commentId: id, postId: post.id },
  });
  const [[comment]] = await db.batch([
    db
    .insert(schema.comments)
    .values({
      id,
      communityId: post.communityId,
      postId: post.id,
      authorId: author.id,
      parentId: parent?.id ?? null,
      rootId: parent ? (parent.rootId ?? parent.id) : null,
      body: stored,
    })
    .returning(),
    event.statement,
  ]);
  await drainEvents();
  return comment;
}

/** Change the stored post, and with `event` write that kind of event beside it and drain. */
export async function updatePost(
  post: Post,
  changes: Partial<Pick<Post, "title" | "body" | "hiddenAt" | "deletedAt" | "moderationStatus">>,
  event?: "post.updated" | "post.removed",
) {
  const db = getDb(env);
  if (changes.body !== undefined) changes = { ...changes, body: await tokenizeMentions(env, post.communityId, changes.body) };
  const update = db.update(schema.posts).set(changes).where(eq(schema.posts.id, post.id)).returning();
  if (!event) return (await update)[0];
  const write = eventInsert(env, { kind: event, communityId: post.communityId, subject: { type: "post", id: post.id }, payload: { postId: post.id } });
  const [[updated]] = await db.batch([update, write.statement]);
  await drainEvents();
  return updated;
}

export async function setTier(community: TestCommunity, user: TestUser, paidTier: TierKey) {
  await getDb(env)
    .update(schema.memberships)
    .set({ paidTier })
    .where(and(eq(schema.memberships.communityId, community.id), eq(schema.memberships.userId, user.id)));
}
