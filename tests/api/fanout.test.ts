// Work that grows with a space's audience runs off the request (ADR 008, 014): new-post notices go
// through the spine a slice of followers at a time, and archiving a space takes its whole search
// footprint out in one step.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { FOLLOWER_PAGE } from "../../workers/domain/notifications/deliver";
import { followerSlice } from "../../workers/domain/discussions/consequences";
import { eventInsert } from "../../workers/domain/events/emit";
import { newId } from "../../workers/lib/ids";
import { addMember, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { deliverEvents, drainEvents } from "../queue-fixtures";

const FOLLOWERS = 1_200;

/** Who holds a new-post notice for the post, and how many each. */
async function noticesOf(postId: string) {
  const { results } = await env.DB.prepare(
    "SELECT user_id AS userId, count(*) AS n FROM notifications WHERE kind = 'new_post' AND subject_id = ? GROUP BY user_id ORDER BY user_id",
  )
    .bind(postId)
    .all<{ userId: string; n: number }>();
  return results;
}

const sequence = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${FOLLOWERS})`;
const fanId = (i: number) => `usr_fan${String(i).padStart(4, "0")}`;
const fanSql = "'usr_fan' || printf('%04d', i)";

/**
 * 1,200 people following the space, written straight into D1 in a few statements: every 10th has
 * new-post notices switched off, every 15th is not a member, every 25th followed only after the post.
 */
async function crowd(communityId: string, spaceId: string) {
  const since = Date.now() - 60_000;
  await env.DB.batch([
    env.DB.prepare(
      `${sequence} INSERT INTO users (id, email, name, notification_prefs, created_at)
       SELECT ${fanSql}, ${fanSql} || '@example.com', 'Fan ' || i, CASE WHEN i % 10 = 0 THEN '{"new_posts":false}' ELSE '{}' END, ?1 FROM n`,
    ).bind(since),
    env.DB.prepare(
      `${sequence} INSERT INTO memberships (community_id, user_id, role, paid_tier, status, joined_at, source)
       SELECT ?1, ${fanSql}, 'member', 'free', 'active', ?2, 'direct' FROM n WHERE i % 15 != 0`,
    ).bind(communityId, since),
    env.DB.prepare(`${sequence} INSERT INTO space_follows (space_id, user_id, created_at) SELECT ?1, ${fanSql}, ?2 FROM n WHERE i % 25 != 0`).bind(
      spaceId,
      since,
    ),
  ]);
  const eligible: string[] = [];
  for (let i = 1; i <= FOLLOWERS; i++) if (i % 10 !== 0 && i % 15 !== 0 && i % 25 !== 0) eligible.push(fanId(i));
  return eligible;
}

/** The domain events about a subject, oldest first. */
async function eventsAbout(subjectId: string, kind?: string) {
  const e = schema.domainEvents;
  return getDb(env)
    .select()
    .from(e)
    .where(and(eq(e.subjectId, subjectId), kind ? eq(e.kind, kind) : undefined))
    .orderBy(e.createdAt);
}

describe("new-post notices through the spine", () => {
  it("reach every eligible follower of a space with more followers than one message handles, exactly once, even when delivered twice", async () => {
    expect(FOLLOWERS).toBeGreaterThan(2 * FOLLOWER_PAGE);
    const community = await makeCommunity();
    const author = await addMember(community);
    const space = await makeSpace(community, { name: "Announcements" });
    const eligible = await crowd(community.id, space.id);
    await getDb(env).insert(schema.spaceFollows).values({ spaceId: space.id, userId: author.id, createdAt: new Date(Date.now() - 60_000) });

    const post = await writePost(space, author, { title: "Big news" });
    const [stored] = await getDb(env).select().from(schema.posts).where(eq(schema.posts.id, post.id));
    await env.DB.prepare(
      `${sequence} INSERT INTO space_follows (space_id, user_id, created_at) SELECT ?1, ${fanSql}, ?2 FROM n WHERE i % 25 = 0`,
    )
      .bind(space.id, stored.createdAt.getTime() + 1)
      .run();

    // the platform delivers at least once: the POST's own message arrives twice more, and
    // whichever delivery runs the event first, the event runs once
    const [created] = await eventsAbout(post.id, "post.created");
    const result = await deliverEvents([created.id, created.id]);
    expect(result.retryMessages).toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual(["delivery-0", "delivery-1"]);
    const [ran] = await eventsAbout(post.id, "post.created");
    expect(ran).toMatchObject({ status: "done", attempts: 1, handled: ["search", "mentions", "followers"] });

    // the followers are handed to a chain of slices; a slice stops after two pages and hands on
    // from the last follower it read, under an id derived from where it starts, so a slice run
    // twice hands on once
    const follows = await getDb(env)
      .select({ userId: schema.spaceFollows.userId })
      .from(schema.spaceFollows)
      .where(eq(schema.spaceFollows.spaceId, space.id))
      .orderBy(schema.spaceFollows.userId);
    await drainEvents();
    const slices = await eventsAbout(post.id, "post.followers");
    expect(slices.map((row) => (row.payload as { after: string }).after)).toEqual(["", follows[2 * FOLLOWER_PAGE - 1].userId]);
    expect(slices.every((row) => row.status === "done")).toBe(true);
    const [first] = slices;
    await followerSlice(env, {
      id: first.id,
      kind: "post.followers",
      communityId: community.id,
      subject: { type: "post", id: post.id },
      payload: { postId: post.id, after: "" },
      createdAt: first.createdAt,
    });
    expect(await eventsAbout(post.id, "post.followers")).toHaveLength(2);
    await drainEvents();

    const notices = await noticesOf(post.id);
    expect(notices.map((r) => r.userId)).toEqual(eligible);
    expect(notices.every((r) => r.n === 1)).toBe(true);
    const authorNotices = await getDb(env)
      .select()
      .from(schema.notifications)
      .where(and(eq(schema.notifications.userId, author.id), eq(schema.notifications.subjectId, post.id)));
    expect(authorNotices).toEqual([]);
  });

  it("notify nobody when the space was archived before the message arrived", async () => {
    const community = await makeCommunity();
    const author = await addMember(community);
    const fan = await addMember(community);
    const space = await makeSpace(community);
    expect((await call(`/api/v1/spaces/${space.id}/follow`, { as: fan, body: {} })).status).toBe(200);
    // written with its event, as if the request's message were still in the queue
    const id = newId("pst");
    const db = getDb(env);
    const event = eventInsert(env, { kind: "post.created", communityId: community.id, subject: { type: "post", id }, payload: { postId: id } });
    await db.batch([
      db.insert(schema.posts).values({ id, communityId: community.id, spaceId: space.id, authorId: author.id, title: "Late", body: "" }),
      event.statement,
    ]);
    expect((await call(`/api/v1/spaces/${space.id}`, { as: community.owner, method: "DELETE" })).status).toBe(204);
    const result = await deliverEvents([event.id]);
    expect(result.explicitAcks).toEqual(["delivery-0"]);
    await drainEvents();
    expect(await noticesOf(id)).toEqual([]);
  });
});

async function inbox(user: TestUser) {
  const res = await call("/api/v1/me/notifications", { as: user });
  expect(res.status).toBe(200);
  return res.body as { items: Array<{ kind: string; text: string }>; unreadCount: number };
}

async function searchTitles(slug: string, q: string, as: TestUser) {
  const res = await call(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}`, { as });
  expect(res.status).toBe(200);
  return (res.body.items as Array<{ title: string; type: string }>).map((h) => `${h.type}:${h.title}`);
}

async function indexedIn(spaceId: string) {
  const row = await env.SEARCH.prepare("SELECT count(*) AS n FROM search_docs WHERE space_id = ?").bind(spaceId).first<{ n: number }>();
  return row?.n ?? 0;
}

describe("archiving a space", () => {
  it("takes all its posts and comments out of the search index, and notifications about them out of the inbox", async () => {
    const community = await makeCommunity();
    const author = await addMember(community);
    const reader = await addMember(community, { user: await createUser({ name: "Reader Rui" }) });
    const doomed = await makeSpace(community, { name: "Old" });
    const kept = await makeSpace(community, { name: "Kept" });
    expect((await call(`/api/v1/spaces/${doomed.id}/follow`, { as: reader, body: {} })).status).toBe(200);
    // a second author: one member may write 10 posts a minute (domain/rate-limits)
    const farmer = await addMember(community);
    for (let i = 0; i < 12; i++) await writePost(doomed, i % 2 ? author : farmer, { title: `Harvest ${i}`, body: "Pumpkins and squash" });
    const mentioned = await writePost(doomed, author, { title: "Harvest party", body: "@Reader Rui bring pumpkins" });
    await writeComment(mentioned.id, author, "Pumpkins for everyone");
    await writePost(kept, author, { title: "Pumpkin soup", body: "@Reader Rui a recipe" });

    // twelve new-post notices (the mention wins for the thirteenth post) and two mentions
    await drainEvents();
    const before = await inbox(reader);
    expect(before.items.filter((n) => n.kind === "new_post")).toHaveLength(12);
    expect(before.items.filter((n) => n.kind === "mention")).toHaveLength(2);
    expect(await indexedIn(doomed.id)).toBe(14);

    expect((await call(`/api/v1/spaces/${doomed.id}`, { as: community.owner, method: "DELETE" })).status).toBe(204);
    await drainEvents();
    expect(await indexedIn(doomed.id)).toBe(0);
    expect(await indexedIn(kept.id)).toBe(1);
    expect(await searchTitles(community.slug, "pumpkin", community.owner)).toEqual(["post:Pumpkin soup"]);
    const after = await inbox(reader);
    expect(after.items.map((n) => n.text)).toEqual([`${author.name} mentioned you in “Pumpkin soup”`]);
    expect(after.unreadCount).toBe(1);
  });
});
