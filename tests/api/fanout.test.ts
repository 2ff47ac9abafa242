// Work that grows with a space's audience runs off the request (ADR 008): new-post notices go
// through the content queue a slice of followers at a time, and archiving a space takes its whole
// search footprint out in one step.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { FOLLOWER_PAGE } from "../../workers/domain/notifications/deliver";
import { runContentJob, type ContentJob } from "../../workers/domain/publish";
import { newId } from "../../workers/lib/ids";
import { addMember, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { deliverContentJobs as deliver, eventually } from "../queue-fixtures";

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

describe("new-post notices through the content queue", () => {
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

    // the platform delivers at least once: the POST's message arrives twice more. Each delivery
    // handles two pages and queues the continuation, so the continuation is delivered twice too.
    const first: ContentJob = { job: "notify_followers", postId: post.id, except: [], after: "" };
    const result = await deliver([first, first]);
    expect(result.retryMessages).toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual(["delivery-0", "delivery-1"]);
    // a message stops after two pages and hands on from the last follower it read
    const follows = await getDb(env)
      .select({ userId: schema.spaceFollows.userId })
      .from(schema.spaceFollows)
      .where(eq(schema.spaceFollows.spaceId, space.id))
      .orderBy(schema.spaceFollows.userId);
    const next = await runContentJob(env, first);
    expect(next).toEqual({ ...first, after: follows[2 * FOLLOWER_PAGE - 1].userId });
    expect(next && (await runContentJob(env, next))).toBeNull();

    // the rest arrives through the local queue: the POST's own message and every continuation
    const notices = await eventually(
      () => noticesOf(post.id),
      (rows) => rows.length >= eligible.length,
    );
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
    // written without publishing, as if the request's message were still in the queue
    const [post] = await getDb(env)
      .insert(schema.posts)
      .values({ id: newId("pst"), communityId: community.id, spaceId: space.id, authorId: author.id, title: "Late", body: "" })
      .returning();
    expect((await call(`/api/v1/spaces/${space.id}`, { as: community.owner, method: "DELETE" })).status).toBe(204);
    const result = await deliver([{ job: "notify_followers", postId: post.id, except: [], after: "" }]);
    expect(result.explicitAcks).toEqual(["delivery-0"]);
    expect(await noticesOf(post.id)).toEqual([]);
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
    for (let i = 0; i < 12; i++) await writePost(doomed, author, { title: `Harvest ${i}`, body: "Pumpkins and squash" });
    const mentioned = await writePost(doomed, author, { title: "Harvest party", body: "@Reader Rui bring pumpkins" });
    await writeComment(mentioned.id, author, "Pumpkins for everyone");
    await writePost(kept, author, { title: "Pumpkin soup", body: "@Reader Rui a recipe" });

    // twelve new-post notices (the mention wins for the thirteenth post) and two mentions
    const before = await eventually(
      () => inbox(reader),
      (box) => box.items.length >= 14,
    );
    expect(before.items.filter((n) => n.kind === "new_post")).toHaveLength(12);
    expect(before.items.filter((n) => n.kind === "mention")).toHaveLength(2);
    expect(await indexedIn(doomed.id)).toBe(14);

    expect((await call(`/api/v1/spaces/${doomed.id}`, { as: community.owner, method: "DELETE" })).status).toBe(204);
    expect(await indexedIn(doomed.id)).toBe(0);
    expect(await indexedIn(kept.id)).toBe(1);
    expect(await searchTitles(community.slug, "pumpkin", community.owner)).toEqual(["post:Pumpkin soup"]);
    const after = await inbox(reader);
    expect(after.items.map((n) => n.text)).toEqual([`${author.name} mentioned you in “Pumpkin soup”`]);
    expect(after.unreadCount).toBe(1);
  });
});
