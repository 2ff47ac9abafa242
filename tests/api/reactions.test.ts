import { describe, expect, it } from "vitest";
import { addMember, expectError, makeCommunity } from "../community-fixtures";
import { feed, makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";

const react = (kind: "posts" | "comments", id: string, emoji: string, as: TestUser | null, method: "PUT" | "DELETE" = "PUT") =>
  call(`/api/v1/${kind}/${id}/reactions/${encodeURIComponent(emoji)}`, { as, method });

describe("reactions on posts", () => {
  it("is idempotent: reacting twice counts once, and taking it back twice leaves none", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const post = await writePost(space, c.owner);
    const first = await react("posts", post.id, "👍", m);
    expect(first.status).toBe(200);
    expect(first.body.reactions).toEqual([{ emoji: "👍", count: 1, reacted: true }]);
    const again = await react("posts", post.id, "👍", m);
    expect(again.body.reactions).toEqual([{ emoji: "👍", count: 1, reacted: true }]);

    const off = await react("posts", post.id, "👍", m, "DELETE");
    expect(off.status).toBe(200);
    expect(off.body.reactions).toEqual([]);
    expect((await react("posts", post.id, "👍", m, "DELETE")).body.reactions).toEqual([]);
  });

  it("counts several people and emoji, in a fixed order, marking the caller's own", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const a = await addMember(c);
    const b = await addMember(c);
    const post = await writePost(space, c.owner);
    await react("posts", post.id, "🔥", a);
    await react("posts", post.id, "👍", a);
    await react("posts", post.id, "👍", b);
    const res = await react("posts", post.id, "❤️", b);
    expect(res.body.reactions).toEqual([
      { emoji: "👍", count: 2, reacted: true },
      { emoji: "❤️", count: 1, reacted: true },
      { emoji: "🔥", count: 1, reacted: false },
    ]);
    const seenByA = await call(`/api/v1/posts/${post.id}`, { as: a });
    expect(seenByA.body.post.reactions).toEqual([
      { emoji: "👍", count: 2, reacted: true },
      { emoji: "❤️", count: 1, reacted: false },
      { emoji: "🔥", count: 1, reacted: true },
    ]);
    expect((await feed(space.id, a)).body.items[0].reactions).toEqual(seenByA.body.post.reactions);
  });

  it("accepts every allowed emoji and refuses anything else with 400", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    for (const emoji of ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "🔥"]) {
      expect((await react("posts", post.id, emoji, c.owner)).status).toBe(200);
    }
    for (const emoji of ["💩", "abc", "👍👍", "<script>"]) {
      expectError(await react("posts", post.id, emoji, c.owner), 400, "validation_failed");
    }
    // a bare heart without the variation selector is the same reaction
    const heart = await react("posts", post.id, "❤", c.owner);
    expect(heart.body.reactions.filter((r: { emoji: string }) => r.emoji === "❤️")).toEqual([{ emoji: "❤️", count: 1, reacted: true }]);
  });

  it("gates reactions: 403 tier_required in a locked space, 404 in a private space or community, 401 signed out", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const secret = await makeSpace(c, { private: true });
    const vipPost = await writePost(vip, c.owner);
    const secretPost = await writePost(secret, c.owner);
    const free = await addMember(c);
    const locked = await react("posts", vipPost.id, "👍", free);
    expectError(locked, 403, "tier_required");
    expect(locked.body.error.requiredTier).toBe("vip");
    expectError(await react("posts", secretPost.id, "👍", free), 404, "not_found");
    expectError(await react("posts", vipPost.id, "👍", await createUser()), 404, "not_found");
    expectError(await react("posts", vipPost.id, "👍", null), 401, "unauthenticated");
  });
});

describe("reactions on comments", () => {
  it("reacts to a comment idempotently and shows it in the comment list", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const post = await writePost(space, c.owner);
    const comment = await writeComment(post.id, c.owner, "thanks all");
    await react("comments", comment.id, "🎉", m);
    const res = await react("comments", comment.id, "🎉", m);
    expect(res.status).toBe(200);
    expect(res.body.reactions).toEqual([{ emoji: "🎉", count: 1, reacted: true }]);
    const list = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner });
    expect(list.body.items[0].reactions).toEqual([{ emoji: "🎉", count: 1, reacted: false }]);
    expect((await react("comments", comment.id, "🎉", m, "DELETE")).body.reactions).toEqual([]);
  });

  it("answers 403 tier_required for a comment in a locked space and 404 for a deleted comment", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const post = await writePost(vip, c.owner);
    const comment = await writeComment(post.id, c.owner, "members only");
    const free = await addMember(c);
    expectError(await react("comments", comment.id, "👍", free), 403, "tier_required");
    expect((await call(`/api/v1/comments/${comment.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expectError(await react("comments", comment.id, "👍", c.owner), 404, "not_found");
  });
});
