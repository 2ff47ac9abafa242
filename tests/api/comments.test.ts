import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { Reader } from "../../workers/domain/auth/reader";
import { openPost } from "../../workers/domain/discussions/access";
import { createComment } from "../../workers/domain/discussions/comments";
import { addMember, auditActions, db, env, expectError, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";

type CommentJson = {
  id: string;
  seq: number;
  parentId: string | null;
  rootId: string | null;
  depth: number;
  replyTo: { id: string; author: { id: string; name: string } } | null;
  body: string;
  html: string;
  deleted: boolean;
  hidden: boolean;
};
const listComments = (postId: string, as: TestUser | null, query = "") => call(`/api/v1/posts/${postId}/comments${query}`, { as });
const commentIds = (res: { body: { items: CommentJson[] } }) => res.body.items.map((c) => c.id);
const commentCount = async (postId: string) =>
  (await db().select().from(schema.posts).where(eq(schema.posts.id, postId)))[0].commentCount;

async function setup() {
  const c = await makeCommunity();
  const space = await makeSpace(c);
  const author = await addMember(c);
  const post = await writePost(space, author);
  return { c, space, author, post };
}

describe("commenting", () => {
  it("refuses a reply to a comment deleted meanwhile with parent_deleted, and one to another post's comment with parent_elsewhere", async () => {
    const { c, space, author, post } = await setup();
    const m = await addMember(c);
    const parent = await writeComment(post.id, author, "First!");
    expect((await call(`/api/v1/comments/${parent.id}`, { as: author, method: "DELETE" })).status).toBe(204);
    const gone = await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "Agreed", parentId: parent.id } });
    expectError(gone, 400, "validation_failed");
    expect(gone.body.error.issues).toEqual([expect.objectContaining({ path: "parentId", code: "parent_deleted" })]);
    const other = await writePost(space, author, { title: "Other" });
    const elsewhere = await writeComment(other.id, author, "Elsewhere");
    const wrong = await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "Agreed", parentId: elsewhere.id } });
    expect(wrong.body.error.issues).toEqual([expect.objectContaining({ path: "parentId", code: "parent_elsewhere" })]);
    expect(await commentCount(post.id)).toBe(0);
  });

  it("answers 201 with the comment shape, rendered HTML and counts it on the post", async () => {
    const { c, post } = await setup();
    const m = await addMember(c);
    const res = await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "Nice **post** <img src=x onerror=alert(1)>" } });
    expect(res.status).toBe(201);
    expect(res.body.comment).toEqual({
      id: expect.any(String),
      seq: expect.any(Number),
      postId: post.id,
      parentId: null,
      rootId: null,
      depth: 0,
      replyTo: null,
      author: { id: m.id, name: m.name, avatarUrl: null },
      body: "Nice **post** <img src=x onerror=alert(1)>",
      html: "<p>Nice <strong>post</strong> &lt;img src=x onerror=alert(1)&gt;</p>",
      moderationStatus: "visible",
      hidden: false,
      deleted: false,
      edited: false,
      editedAt: null,
      reactions: [],
      mentions: [],
      createdAt: expect.any(String),
      viewer: { permissions: ["comment.edit", "comment.delete", "comment.react"] },
    });
    expect(res.body.unreachableMentions).toEqual([]);
    expect(await commentCount(post.id)).toBe(1);
    expect((await call(`/api/v1/posts/${post.id}`, { as: m })).body.post.commentCount).toBe(1);
  });

  it("refuses an empty body with 400 and one over 10,000 characters (code points) with 413 too_large", async () => {
    const { c, post } = await setup();
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "  " } }), 400, "validation_failed");
    const long = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "x".repeat(10_001) } });
    expectError(long, 413, "too_large");
    expect(long.body.error.maxChars).toBe(10_000);
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "x".repeat(10_000) } })).status).toBe(201);
    // 10,000 emoji are 20,000 UTF-16 units and still 10,000 characters
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "🎉".repeat(10_000) } })).status).toBe(201);
  });

  it("answers each new comment and reply exactly as the list shows it, replyTo included", async () => {
    const { c, post, author } = await setup();
    const m = await addMember(c);
    const top = await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "top *one*" } });
    const reply = await call(`/api/v1/posts/${post.id}/comments`, { as: author, body: { body: "reply", parentId: top.body.comment.id } });
    const deeper = await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "deeper", parentId: reply.body.comment.id } });
    expect(deeper.body.comment.replyTo).toEqual({ id: reply.body.comment.id, author: { id: author.id, name: author.name } });
    const listed = (await listComments(post.id, m)).body.items;
    // each answer carries what its own caller may do (viewer.permissions); the rest is the same
    const shape = ({ viewer: _viewer, ...rest }: { viewer: unknown }) => rest;
    expect(listed.map(shape)).toEqual([top.body.comment, reply.body.comment, deeper.body.comment].map(shape));
    expect(listed[1].viewer.permissions).toEqual(["comment.react"]);
    expect(reply.body.comment.viewer.permissions).toEqual(["comment.edit", "comment.delete", "comment.react"]);
  });

  it("answers an edited reply exactly as the list shows it, its reactions and replyTo included", async () => {
    const { c, post, author } = await setup();
    const m = await addMember(c);
    const top = await writeComment(post.id, m, "top");
    const reply = await writeComment(post.id, author, "reply", top.id);
    const deeper = await writeComment(post.id, m, "deeper", reply.id);
    const react = await call(`/api/v1/comments/${deeper.id}/reactions/${encodeURIComponent("👍")}`, { as: author, method: "PUT" });
    expect(react.status).toBe(200);
    const edited = await call(`/api/v1/comments/${deeper.id}`, { as: m, method: "PATCH", body: { body: "deeper, *edited*" } });
    expect(edited.status).toBe(200);
    expect(edited.body.comment.reactions).toEqual([{ emoji: "👍", count: 1, reacted: false }]);
    const listed = (await listComments(post.id, m)).body.items;
    expect(listed[2]).toEqual(edited.body.comment);
    const editedPost = await call(`/api/v1/posts/${post.id}`, { as: author, method: "PATCH", body: { body: "new **body**" } });
    expect(editedPost.body.post).toEqual((await call(`/api/v1/posts/${post.id}`, { as: author })).body.post);
  });

  it("answers 409 on a locked post, and takes comments again once unlocked", async () => {
    const { c, post, author } = await setup();
    expect((await call(`/api/v1/posts/${post.id}/lock`, { as: c.owner, method: "POST" })).status).toBe(200);
    const refused = await call(`/api/v1/posts/${post.id}/comments`, { as: author, body: { body: "hello?" } });
    expectError(refused, 409, "conflict");
    expect(refused.body.error.reason).toBe("post_locked");
    expect(await commentCount(post.id)).toBe(0);
    await call(`/api/v1/posts/${post.id}/lock`, { as: c.owner, method: "POST", body: { locked: false } });
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: author, body: { body: "hello!" } })).status).toBe(201);
  });

  it("stores nothing when a lock lands between the check and the write (409)", async () => {
    const { c, post, author } = await setup();
    const checkedWhileOpen = await openPost(env, post.id, Reader.of(env, author.id), "write");
    expect((await call(`/api/v1/posts/${post.id}/lock`, { as: c.owner, method: "POST" })).status).toBe(200);
    await expect(createComment(env, checkedWhileOpen, { body: "just too late" })).rejects.toMatchObject({ status: 409, code: "conflict" });
    expect(await db().select().from(schema.comments).where(eq(schema.comments.postId, post.id))).toEqual([]);
    expect(await commentCount(post.id)).toBe(0);
  });

  it("refuses a parent from another post with 400", async () => {
    const { c, space, post } = await setup();
    const other = await writePost(space, c.owner);
    const foreign = await writeComment(other.id, c.owner, "elsewhere");
    const res = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "reply", parentId: foreign.id } });
    expectError(res, 400, "validation_failed");
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "reply", parentId: "cmt_nope" } }), 400, "validation_failed");
  });

  it("gates commenting and reading comments by tier (403 tier_required) and private community (404)", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const post = await writePost(vip, c.owner);
    const free = await addMember(c);
    const res = await call(`/api/v1/posts/${post.id}/comments`, { as: free, body: { body: "let me in" } });
    expectError(res, 403, "tier_required");
    expect(res.body.error.requiredTier).toBe("vip");
    const stranger = await createUser();
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: stranger, body: { body: "hi" } }), 404, "not_found");
    expectError(await listComments(post.id, stranger), 404, "not_found");
    expectError(await call(`/api/v1/posts/${post.id}/comments`, { as: null, body: { body: "hi" } }), 401, "unauthenticated");
  });
});

describe("threads", () => {
  it("lists oldest first, flattening replies deeper than one level with replyTo while keeping parentId", async () => {
    const { c, post, author } = await setup();
    const b = await addMember(c);
    const top = await writeComment(post.id, author, "top");
    const reply = await writeComment(post.id, b, "reply", top.id);
    const deep = await writeComment(post.id, author, "deeper", reply.id);
    const deeper = await writeComment(post.id, b, "deepest", deep.id);
    const second = await writeComment(post.id, b, "second top");

    const res = await listComments(post.id, c.owner);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const byId = new Map<string, CommentJson>(res.body.items.map((x: CommentJson) => [x.id, x]));
    expect(commentIds(res)).toEqual([top.id, reply.id, deep.id, deeper.id, second.id]);
    expect(byId.get(top.id)).toMatchObject({ depth: 0, parentId: null, rootId: null, replyTo: null });
    expect(byId.get(reply.id)).toMatchObject({ depth: 1, parentId: top.id, rootId: top.id, replyTo: null });
    expect(byId.get(deep.id)).toMatchObject({ depth: 1, parentId: reply.id, rootId: top.id, replyTo: { id: reply.id, author: { id: b.id, name: b.name } } });
    expect(byId.get(deeper.id)).toMatchObject({ depth: 1, parentId: deep.id, rootId: top.id, replyTo: { id: deep.id, author: { id: author.id } } });
    expect(byId.get(second.id)).toMatchObject({ depth: 0 });
  });

  it("pages comments by seq with a cursor", async () => {
    const { post, author } = await setup();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await writeComment(post.id, author, `c${i}`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: CommentJson[]; nextCursor: string | null } } = await listComments(
        post.id,
        author,
        `?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...res.body.items.map((x) => x.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made);
  });
});

describe("editing, deleting and hiding comments", () => {
  it("lets only the author edit a comment", async () => {
    const { c, post, author } = await setup();
    const comment = await writeComment(post.id, author, "first take");
    const mod = await addMember(c, { role: "moderator" });
    expectError(await call(`/api/v1/comments/${comment.id}`, { as: mod, method: "PATCH", body: { body: "changed" } }), 403, "forbidden");
    const res = await call(`/api/v1/comments/${comment.id}`, { as: author, method: "PATCH", body: { body: "second *take*" } });
    expect(res.status).toBe(200);
    expect(res.body.comment).toMatchObject({ body: "second *take*", html: "<p>second <em>take</em></p>", edited: true });
  });

  it("removes a deleted comment without replies from the list and from the count", async () => {
    const { c, post, author } = await setup();
    const other = await addMember(c);
    const comment = await writeComment(post.id, author, "oops");
    expectError(await call(`/api/v1/comments/${comment.id}`, { as: other, method: "DELETE" }), 403, "forbidden");
    expect((await call(`/api/v1/comments/${comment.id}`, { as: author, method: "DELETE" })).status).toBe(204);
    expect(commentIds(await listComments(post.id, c.owner))).toEqual([]);
    expect(await commentCount(post.id)).toBe(0);
    expectError(await call(`/api/v1/comments/${comment.id}`, { as: author, method: "PATCH", body: { body: "x" } }), 404, "not_found");
  });

  it("keeps a deleted comment that has replies as an empty deleted placeholder", async () => {
    const { c, post, author } = await setup();
    const b = await addMember(c);
    const top = await writeComment(post.id, author, "secret words");
    const reply = await writeComment(post.id, b, "answer", top.id);
    const mod = await addMember(c, { role: "moderator" });
    expect((await call(`/api/v1/comments/${top.id}`, { as: mod, method: "DELETE" })).status).toBe(204);
    const res = await listComments(post.id, b);
    expect(commentIds(res)).toEqual([top.id, reply.id]);
    expect(res.body.items[0]).toMatchObject({ deleted: true, body: "", html: "", reactions: [] });
    expect(JSON.stringify(res.body)).not.toContain("secret words");
    expect(res.body.items[1]).toMatchObject({ deleted: false, body: "answer", parentId: top.id });
    expect(await commentCount(post.id)).toBe(1);
    expect(await auditActions(c.id)).toContain("comment.delete");
  });

  it("hides a comment from members (moderator and up, audited); its author and moderators still see it", async () => {
    const { c, post, author } = await setup();
    const member = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const comment = await writeComment(post.id, author, "borderline");
    expectError(await call(`/api/v1/comments/${comment.id}/hide`, { as: member, method: "POST" }), 403, "forbidden");
    const hide = await call(`/api/v1/comments/${comment.id}/hide`, { as: mod, method: "POST" });
    expect(hide.status).toBe(200);
    expect(hide.body.comment.hidden).toBe(true);
    expect(commentIds(await listComments(post.id, member))).toEqual([]);
    expect((await listComments(post.id, author)).body.items[0]).toMatchObject({ id: comment.id, hidden: true, body: "borderline" });
    expect((await listComments(post.id, mod)).body.items[0].hidden).toBe(true);
    expect(await auditActions(c.id)).toContain("comment.hide");
    const show = await call(`/api/v1/comments/${comment.id}/hide`, { as: mod, method: "POST", body: { hidden: false } });
    expect(show.body.comment.hidden).toBe(false);
    expect(commentIds(await listComments(post.id, member))).toEqual([comment.id]);
  });
});
