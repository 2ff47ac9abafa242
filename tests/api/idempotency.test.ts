// Idempotency-Key on creating posts and comments (API.md "Conventions", ADR 012): a retry with the
// same key answers the first result and creates nothing twice, for 24 h, per caller.
import { createScheduledController } from "cloudflare:test";
import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../workers/api-entry";
import { schema } from "../../workers/db/client";
import {
  ABANDONED_CLAIM_MS,
  claimIdempotencyKey,
  IDEMPOTENCY_TTL_MS,
  releaseIdempotencyKey,
  requestFingerprint,
} from "../../workers/domain/idempotency";
import { removePostDocuments } from "../../workers/domain/search/index";
import { addMember, db, env, expectError, makeCommunity } from "../community-fixtures";
import { makeSpace, writePost } from "../discussion-fixtures";
import { call, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const keyed = (key: string) => ({ headers: { "Idempotency-Key": key } });

async function commentsOn(postId: string) {
  return (await db().select({ n: count() }).from(schema.comments).where(eq(schema.comments.postId, postId)))[0].n;
}
async function postsIn(spaceId: string) {
  return (await db().select({ n: count() }).from(schema.posts).where(eq(schema.posts.spaceId, spaceId)))[0].n;
}
async function searchIds(slug: string, q: string, as: TestUser): Promise<string[]> {
  await drainEvents();
  const res = await call(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}`, { as });
  expect(res.status).toBe(200);
  return res.body.items.map((hit: { postId: string }) => hit.postId);
}
async function keyRows(user: TestUser) {
  return db().select().from(schema.idempotencyKeys).where(eq(schema.idempotencyKeys.userId, user.id));
}

async function setup() {
  const c = await makeCommunity();
  const space = await makeSpace(c);
  const post = await writePost(space, c.owner);
  return { c, space, post };
}

describe("Idempotency-Key on creates", () => {
  it("answers a retried post with the first status and body, the same id, and stores one post", async () => {
    const { c, space } = await setup();
    const body = { title: "Once", body: "only **once**" };
    const first = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("post-retry-1") });
    const retry = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("post-retry-1") });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await postsIn(space.id)).toBe(2); // setup's post and this one
  });

  it("answers a retried comment with the first comment and stores one", async () => {
    const { c, post } = await setup();
    const first = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "hi" }, ...keyed("c-1") });
    const retry = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "hi" }, ...keyed("c-1") });
    expect(first.status).toBe(201);
    expect(retry.body.comment.id).toBe(first.body.comment.id);
    expect(await commentsOn(post.id)).toBe(1);
    // without a key every request creates
    await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "hi" } });
    await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "hi" } });
    expect(await commentsOn(post.id)).toBe(3);
  });

  it("scopes the key to the caller: another member's same key creates their own comment", async () => {
    const { c, post } = await setup();
    const other = await addMember(c);
    const mine = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "same" }, ...keyed("shared-key") });
    const theirs = await call(`/api/v1/posts/${post.id}/comments`, { as: other, body: { body: "same" }, ...keyed("shared-key") });
    expect(theirs.status).toBe(201);
    expect(theirs.body.comment.id).not.toBe(mine.body.comment.id);
    expect(theirs.body.comment.author.id).toBe(other.id);
    expect(await commentsOn(post.id)).toBe(2);
  });

  it("answers 422 idempotency_key_reused for the same key with another body or route, creating nothing", async () => {
    const { c, space, post } = await setup();
    await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "one" }, ...keyed("k") });
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "two" }, ...keyed("k") }), 422, "idempotency_key_reused");
    expectError(await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "t", body: "one" }, ...keyed("k") }), 422, "idempotency_key_reused");
    expect(await commentsOn(post.id)).toBe(1);
    expect(await postsIn(space.id)).toBe(1);
  });

  it("stores exactly one comment when two requests with the same key race", async () => {
    const { c, post } = await setup();
    const send = () => call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "race" }, ...keyed("race-1") });
    const answers = await Promise.all([send(), send(), send()]);
    expect(await commentsOn(post.id)).toBe(1);
    const created = answers.filter((a) => a.status === 201);
    // each loser answers the winner's comment (replay) or 409 while the winner still runs
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.comment.id)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 201)) expectError(a, 409, "idempotency_key_in_use");
    // and a retry after the race answers the one comment
    const after = await send();
    expect(after.status).toBe(201);
    expect(after.body.comment.id).toBe(created[0].body.comment.id);
  });

  it("frees the key when the request failed, so a corrected retry with it runs", async () => {
    const { c, post } = await setup();
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: ">".repeat(40) + "x" }, ...keyed("fix-me") }), 400, "markdown_too_deep");
    expect(await keyRows(c.owner)).toEqual([]);
    const retry = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: ">".repeat(40) + "x" }, ...keyed("fix-me") });
    expectError(retry, 400, "markdown_too_deep");
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "fixed" }, ...keyed("fix-me-2") })).status).toBe(201);
  });

  it("refuses a key that is not printable ASCII or longer than 255 characters with 400; 255 is taken", async () => {
    const { c, post } = await setup();
    for (const bad of ["k".repeat(256), "tab\there", "é-key"]) {
      const res = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "x" }, headers: { "Idempotency-Key": bad } });
      expectError(res, 400, "validation_failed");
      expect(res.body.error.issues[0]).toMatchObject({ path: "Idempotency-Key", maximum: 255 });
    }
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "x" }, ...keyed("k".repeat(255)) })).status).toBe(201);
    expect(await commentsOn(post.id)).toBe(1);
  });

  it("forgets keys after 24 h: the cron purges them and the key creates again", async () => {
    const { c, post } = await setup();
    await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "old" }, ...keyed("day-old") });
    await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "new" }, ...keyed("fresh") });
    const k = schema.idempotencyKeys;
    await db()
      .update(k)
      .set({ createdAt: new Date(Date.now() - IDEMPOTENCY_TTL_MS - 1000) })
      .where(and(eq(k.userId, c.owner.id), eq(k.key, "day-old")));
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
    expect((await keyRows(c.owner)).map((r) => r.key)).toEqual(["fresh"]);
    const again = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "old" }, ...keyed("day-old") });
    expect(again.status).toBe(201);
    expect(await commentsOn(post.id)).toBe(3);
  });
});

/**
 * What a Worker that died after writing its row, but before storing the answer, leaves: a claim
 * without an answer, older than ABANDONED_CLAIM_MS (and so open to a takeover).
 */
async function dieBeforeAnswering(user: TestUser, key: string) {
  const k = schema.idempotencyKeys;
  await db()
    .update(k)
    .set({ status: null, response: null, createdAt: new Date(Date.now() - ABANDONED_CLAIM_MS - 1000) })
    .where(and(eq(k.userId, user.id), eq(k.key, key)));
}
async function ageKey(user: TestUser, key: string, ms: number) {
  const k = schema.idempotencyKeys;
  await db()
    .update(k)
    .set({ createdAt: new Date(Date.now() - ms) })
    .where(and(eq(k.userId, user.id), eq(k.key, key)));
}

describe("Idempotency-Key after a Worker died between writing and storing the answer", () => {
  it("a retried post takes the abandoned claim over and answers 201 with the post already written, storing no second", async () => {
    const { c, space } = await setup();
    const body = { title: "Survivor", body: "written once" };
    const first = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-post") });
    await dieBeforeAnswering(c.owner, "died-post");
    const retry = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-post") });
    expect(retry.status).toBe(201);
    expect(retry.body.post.id).toBe(first.body.post.id);
    expect(retry.body).toEqual(first.body);
    expect(await postsIn(space.id)).toBe(2); // setup's post and this one
    // the takeover stored its answer: a further retry replays it
    const again = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-post") });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.post.id).toBe(first.body.post.id);
  });

  it("a retried comment answers 201 with the comment already written; the post still counts one comment", async () => {
    const { c, post } = await setup();
    const first = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "once" }, ...keyed("died-comment") });
    await dieBeforeAnswering(c.owner, "died-comment");
    const retry = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "once" }, ...keyed("died-comment") });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(await commentsOn(post.id)).toBe(1);
    const [stored] = await db().select({ commentCount: schema.posts.commentCount }).from(schema.posts).where(eq(schema.posts.id, post.id));
    expect(stored.commentCount).toBe(1);
  });

  it("a retry that finds the written comment answers it with the reactions it has gathered since", async () => {
    const { c, post } = await setup();
    const first = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "liked" }, ...keyed("died-liked") });
    const commentId = first.body.comment.id;
    const react = await call(`/api/v1/comments/${commentId}/reactions/${encodeURIComponent("👍")}`, { as: c.owner, method: "PUT" });
    expect(react.status).toBeLessThan(300);
    await dieBeforeAnswering(c.owner, "died-liked");
    const retry = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "liked" }, ...keyed("died-liked") });
    expect(retry.status).toBe(201);
    expect(retry.body.comment.id).toBe(commentId);
    expect(retry.body.comment.reactions).toEqual([{ emoji: "👍", count: 1, reacted: true }]);
    expect(await commentsOn(post.id)).toBe(1);
  });

  it("two retries racing for the abandoned claim still leave one comment, and every 201 names it", async () => {
    const { c, post } = await setup();
    const send = () => call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "race" }, ...keyed("died-race") });
    const first = await send();
    await dieBeforeAnswering(c.owner, "died-race");
    const answers = await Promise.all([send(), send(), send()]);
    expect(await commentsOn(post.id)).toBe(1);
    for (const a of answers) {
      if (a.status === 201) expect(a.body.comment.id).toBe(first.body.comment.id);
      else expectError(a, 409, "idempotency_key_in_use");
    }
    expect(answers.some((a) => a.status === 201)).toBe(true);
  });

  it("a retry that fails (post locked meanwhile) keeps the claim, so a later retry still finds the first comment", async () => {
    const { c, post } = await setup();
    const send = () => call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "kept" }, ...keyed("died-locked") });
    const first = await send();
    await dieBeforeAnswering(c.owner, "died-locked");
    const [before] = await keyRows(c.owner);
    await db().update(schema.posts).set({ lockedAt: new Date() }).where(eq(schema.posts.id, post.id));
    expectError(await send(), 409, "conflict");
    const [kept] = await keyRows(c.owner);
    expect(kept.claimId).toBe(before.claimId);
    await db().update(schema.posts).set({ lockedAt: null }).where(eq(schema.posts.id, post.id));
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.body.comment.id).toBe(first.body.comment.id);
    expect(await commentsOn(post.id)).toBe(1);
  });

  it("a retry writes no second event: the consequences of the first write ride on the event stored with it", async () => {
    const { c, space } = await setup();
    const body = { title: "Quokkas everywhere", body: "a census" };
    const first = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-unpublished") });
    await dieBeforeAnswering(c.owner, "died-unpublished");
    const retry = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-unpublished") });
    expect(retry.body.post.id).toBe(first.body.post.id);
    const e = schema.domainEvents;
    const events = await db().select({ kind: e.kind }).from(e).where(eq(e.subjectId, first.body.post.id));
    expect(events).toEqual([{ kind: "post.created" }]);
    expect(await searchIds(c.slug, "quokkas", c.owner)).toEqual([first.body.post.id]);
  });

  it("a retry that finds its post deleted meanwhile answers it but does not write its words back into the search index", async () => {
    const { c, space } = await setup();
    const body = { title: "Wombats tonight", body: "regret" };
    const first = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-deleted") });
    expect((await call(`/api/v1/posts/${first.body.post.id}`, { as: c.owner, method: "DELETE" })).status).toBeLessThan(300);
    await dieBeforeAnswering(c.owner, "died-deleted");
    const retry = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body, ...keyed("died-deleted") });
    expect(retry.status).toBe(201);
    expect(retry.body.post.id).toBe(first.body.post.id);
    expect(await postsIn(space.id)).toBe(2);
    // reads filter deleted posts anyway; what matters is that the deleted words are not stored again
    await drainEvents();
    const indexed = await env.SEARCH.prepare("SELECT count(*) AS n FROM search_docs WHERE post_id = ?").bind(first.body.post.id).first<{ n: number }>();
    expect(indexed?.n).toBe(0);
  });

  it("a first request slower than ABANDONED_CLAIM_MS that then fails leaves the claim of the retry that took it over", async () => {
    const { c } = await setup();
    const fingerprint = await requestFingerprint("POST", "/api/v1/posts/x/comments", "{}");
    const slow = await claimIdempotencyKey(env, c.owner.id, "slow", fingerprint, Date.now() - ABANDONED_CLAIM_MS - 1000);
    const taker = await claimIdempotencyKey(env, c.owner.id, "slow", fingerprint);
    if (slow.kind !== "claimed" || taker.kind !== "claimed") throw new Error("both should have claimed");
    expect(taker).toMatchObject({ claimId: slow.claimId, resumed: true });
    await releaseIdempotencyKey(env, c.owner.id, "slow", slow);
    const [row] = await keyRows(c.owner);
    expect(row).toMatchObject({ claimId: slow.claimId, status: null, createdAt: new Date(taker.claimedAt) });
    // and the taker, still running, is answered 409 meanwhile rather than letting a third request in
    expect(await claimIdempotencyKey(env, c.owner.id, "slow", fingerprint)).toEqual({ kind: "in_flight" });
  });

  it("another request with the key of an abandoned claim answers 422 idempotency_key_reused and creates nothing", async () => {
    const { c, post } = await setup();
    await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "mine" }, ...keyed("died-other") });
    await dieBeforeAnswering(c.owner, "died-other");
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "other" }, ...keyed("died-other") }), 422, "idempotency_key_reused");
    expect(await commentsOn(post.id)).toBe(1);
  });

  it("a key reused after 24 h creates a new post with another id, for another body or the same one", async () => {
    const { c, space } = await setup();
    const first = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "Monday", body: "a" }, ...keyed("weekly") });
    await ageKey(c.owner, "weekly", IDEMPOTENCY_TTL_MS + 1000);
    const other = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "Tuesday", body: "b" }, ...keyed("weekly") });
    expect(other.status).toBe(201);
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();
    expect(other.body.post.id).not.toBe(first.body.post.id);
    expect(other.body.post.title).toBe("Tuesday");
    await ageKey(c.owner, "weekly", IDEMPOTENCY_TTL_MS + 1000);
    const same = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "Tuesday", body: "b" }, ...keyed("weekly") });
    expect(same.status).toBe(201);
    expect(new Set([first.body.post.id, other.body.post.id, same.body.post.id]).size).toBe(3);
    expect(await postsIn(space.id)).toBe(4);
  });

  it("a post id derived from a claim has the shape of a random one: pst_ and 26 base32 characters", async () => {
    const { c, space } = await setup();
    const res = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "t", body: "b" }, ...keyed("shape") });
    expect(res.body.post.id).toMatch(/^pst_[a-z2-7]{26}$/);
  });
});

describe("the OpenAPI document", () => {
  it("documents the Idempotency-Key header, 409 and 422 on creating posts and comments", async () => {
    const doc = (await call("/api/v1/openapi.json")).body;
    for (const path of ["/api/v1/spaces/{spaceId}/posts", "/api/v1/posts/{postId}/comments"]) {
      const create = doc.paths[path].post;
      const header = create.parameters.find((p: { in: string; name: string }) => p.in === "header");
      expect(header).toMatchObject({ name: "idempotency-key", required: false });
      expect(header.description).toContain("422 idempotency_key_reused");
      expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["201", "400", "409", "413", "422"]));
      expect(create.description).toContain("markdown_too_deep");
    }
  });
});
