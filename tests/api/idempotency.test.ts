// Idempotency-Key on creating posts and comments (API.md "Conventions", ADR 012): a retry with the
// same key answers the first result and creates nothing twice, for 24 h, per caller.
import { createScheduledController } from "cloudflare:test";
import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../workers/api-entry";
import { schema } from "../../workers/db/client";
import { IDEMPOTENCY_TTL_MS } from "../../workers/domain/idempotency";
import { addMember, db, env, expectError, makeCommunity } from "../community-fixtures";
import { makeSpace, writePost } from "../discussion-fixtures";
import { call, type TestUser } from "../helpers";

const keyed = (key: string) => ({ headers: { "Idempotency-Key": key } });

async function commentsOn(postId: string) {
  return (await db().select({ n: count() }).from(schema.comments).where(eq(schema.comments.postId, postId)))[0].n;
}
async function postsIn(spaceId: string) {
  return (await db().select({ n: count() }).from(schema.posts).where(eq(schema.posts.spaceId, spaceId)))[0].n;
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
