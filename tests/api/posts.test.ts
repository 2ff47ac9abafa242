import { and, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { schema } from "../../workers/db/client";
import { addMember, auditActions, db, expectError, makeCommunity } from "../community-fixtures";
import { feed, makeSpace, writePost } from "../discussion-fixtures";
import { call, createUser, PASSWORD } from "../helpers";

type FeedPost = { id: string; seq: number; isNew: boolean; pinned: boolean; hidden: boolean };
const feedIds = (res: { body: { items: FeedPost[] } }) => res.body.items.map((p) => p.id);

describe("writing a post", () => {
  it("answers 201 with the full post shape, trimmed title, excerpt and author", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const res = await call(`/api/v1/spaces/${space.id}/posts`, {
      as: m,
      body: { title: "  Hello there  ", body: "# Welcome\n\nThis is **bold** and [a link](https://example.com)." },
    });
    expect(res.status).toBe(201);
    expect(res.body.post).toEqual({
      id: expect.any(String),
      seq: expect.any(Number),
      spaceId: space.id,
      communityId: c.id,
      author: { id: m.id, name: m.name, avatarUrl: null },
      title: "Hello there",
      body: "# Welcome\n\nThis is **bold** and [a link](https://example.com).",
      excerpt: "Welcome This is bold and a link.",
      moderationStatus: "visible",
      pinned: false,
      locked: false,
      hidden: false,
      edited: false,
      editedAt: null,
      commentCount: 0,
      reactions: [],
      mentions: [],
      createdAt: expect.any(String),
    });
    expect(res.body.unreachableMentions).toEqual([]);
  });

  it("stores the excerpt with the post and replaces it when the body is edited, feed and row alike", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const created = await call(`/api/v1/spaces/${space.id}/posts`, { as: m, body: { title: "Draft", body: "## Plan\n\n- *one*\n- two" } });
    const stored = async () =>
      (await db().select({ excerpt: schema.posts.excerpt }).from(schema.posts).where(eq(schema.posts.id, created.body.post.id)))[0].excerpt;
    expect(await stored()).toBe("Plan one two");
    await call(`/api/v1/posts/${created.body.post.id}`, { as: m, method: "PATCH", body: { title: "Only the title" } });
    expect(await stored()).toBe("Plan one two");
    await call(`/api/v1/posts/${created.body.post.id}`, { as: m, method: "PATCH", body: { body: "Now **final**." } });
    expect(await stored()).toBe("Now final.");
    const list = await feed(space.id, m);
    expect(list.body.items.map((p: { excerpt: string }) => p.excerpt)).toEqual(["Now final."]);
    // a feed carries the excerpt, not the Markdown body: a long post does not weigh on the list
    expect(list.body.items[0]).not.toHaveProperty("body");
    expect((await call(`/api/v1/posts/${created.body.post.id}`, { as: m })).body.post.body).toBe("Now **final**.");
  });

  it("derives the excerpt on read for a row stored without one (written before the column existed)", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    await db().update(schema.posts).set({ body: "Old *markdown* body", excerpt: null }).where(eq(schema.posts.id, post.id));
    const list = await feed(space.id, c.owner);
    expect(list.body.items.map((p: { excerpt: string }) => p.excerpt)).toEqual(["Old markdown body"]);
  });

  it("refuses an empty or blank title with 400", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    expectError(await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "", body: "x" } }), 400, "validation_failed");
    const blank = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "   ", body: "x" } });
    expectError(blank, 400, "validation_failed");
    // each issue says why in a form the UI translates: the code and the bound it broke
    expect(blank.body.error.issues).toEqual([
      expect.objectContaining({ path: "title", code: "too_small", origin: "string", minimum: 1, message: expect.any(String) }),
    ]);
    const long = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "x".repeat(201), body: "x" } });
    expectError(long, 400, "validation_failed");
    expect(long.body.error.issues[0]).toMatchObject({ path: "title", code: "too_big", origin: "string", maximum: 200 });
  });

  it("accepts a body of exactly 40,000 characters and refuses a longer one with 413 too_large", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const ok = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "Long", body: "a".repeat(40_000) } });
    expect(ok.status).toBe(201);
    const tooBig = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner, body: { title: "Long", body: "a".repeat(40_001) } });
    expectError(tooBig, 413, "too_large");
    const edit = await call(`/api/v1/posts/${ok.body.post.id}`, { as: c.owner, method: "PATCH", body: { body: "b".repeat(40_001) } });
    expectError(edit, 413, "too_large");
  });

  it("refuses a post in a chat space with 409: posts live in discussion spaces", async () => {
    const c = await makeCommunity();
    const chat = await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { name: "Chat", kind: "chat", minTier: "free" } });
    expectError(await call(`/api/v1/spaces/${chat.body.space.id}/posts`, { as: c.owner, body: { title: "t", body: "b" } }), 409, "conflict");
  });

  it("refuses a post in a space above the writer's tier with 403 tier_required", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const m = await addMember(c, { paidTier: "member" });
    const res = await call(`/api/v1/spaces/${vip.id}/posts`, { as: m, body: { title: "t", body: "b" } });
    expectError(res, 403, "tier_required");
    expect(res.body.error.requiredTier).toBe("vip");
  });
});

describe("reading posts", () => {
  it("answers a post with its sanitised HTML rendering", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { body: "**hi** <script>alert(1)</script> [x](javascript:alert(1)) ![](/api/v1/uploads/u/usr_a/abc.png)" });
    const res = await call(`/api/v1/posts/${post.id}`, { as: c.owner });
    expect(res.status).toBe(200);
    expect(res.body.post.id).toBe(post.id);
    expect(res.body.html).toContain("<strong>hi</strong>");
    expect(res.body.html).toContain('src="/api/v1/uploads/u/usr_a/abc.png"');
    expect(res.body.html).not.toContain("<script");
    // a link to a forbidden scheme is no link: the author's text stays, inert
    expect(res.body.html).not.toMatch(/(href|src)="\s*javascript:/i);
    expect(res.body.html).not.toContain("<a ");
  });

  it("answers 403 tier_required for a post, its comments and the feed of a locked space; 404 for a private space", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const post = await writePost(vip, c.owner);
    const free = await addMember(c);
    for (const res of [
      await call(`/api/v1/posts/${post.id}`, { as: free }),
      await call(`/api/v1/posts/${post.id}/comments`, { as: free }),
      await feed(vip.id, free),
    ]) {
      expectError(res, 403, "tier_required");
      expect(res.body.error.requiredTier).toBe("vip");
    }
    const secret = await makeSpace(c, { private: true });
    const hidden = await writePost(secret, c.owner);
    const inPrivate = await call(`/api/v1/posts/${hidden.id}`, { as: free });
    expectError(inPrivate, 404, "not_found");
    expectError(await call(`/api/v1/posts/${hidden.id}/comments`, { as: free }), 404, "not_found");
    // the same words as for a post that does not exist: the answer does not tell them apart
    const missing = await call(`/api/v1/posts/pst_doesnotexist`, { as: free });
    expect(inPrivate.body.error.message).toBe(missing.body.error.message);
  });

  it("answers 404 for a post in a private community to outsiders", async () => {
    const c = await makeCommunity({ visibility: "private" });
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    expectError(await call(`/api/v1/posts/${post.id}`, { as: await createUser() }), 404, "not_found");
    expectError(await call(`/api/v1/posts/${post.id}`, { as: null }), 404, "not_found");
  });

  it("shows the author of an erased account as Deleted member", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const leaver = await addMember(c);
    const post = await writePost(space, leaver);
    expect((await call("/api/v1/me", { as: leaver, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    const res = await call(`/api/v1/posts/${post.id}`, { as: c.owner });
    expect(res.status).toBe(200);
    expect(res.body.post.author).toEqual({ id: leaver.id, name: "Deleted member", avatarUrl: null });
    expect(JSON.stringify((await feed(space.id, c.owner)).body)).not.toContain(leaver.name);
  });
});

describe("the feed", () => {
  it("pages newest first by seq with no duplicates and no gaps while posts are written between pages", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    // two writers: one member may write 10 posts a minute (domain/rate-limits), and 18 are written here
    const writers = [await addMember(c), await addMember(c)];
    const reader = await addMember(c);
    const initial: string[] = [];
    for (let i = 0; i < 12; i++) initial.push((await writePost(space, writers[i % 2], { title: `Post ${i}` })).id);

    const seen: string[] = [];
    const seqs: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { items: FeedPost[]; nextCursor: string | null } } = await feed(
        space.id,
        reader,
        `?limit=5${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      for (const p of res.body.items) {
        seen.push(p.id);
        seqs.push(p.seq);
      }
      cursor = res.body.nextCursor;
      pages++;
      // others keep writing while the reader pages
      await Promise.all([writePost(space, writers[0], { title: `Late ${pages}a` }), writePost(space, writers[1], { title: `Late ${pages}b` })]);
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    for (const id of initial) expect(seen.filter((s) => s === id)).toHaveLength(1);
    expect(pages).toBe(3);
  });

  it("returns pinned posts apart from the paged items and never repeats them there", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const mod = await addMember(c, { role: "moderator" });
    const a = await writePost(space, c.owner, { title: "A" });
    const b = await writePost(space, c.owner, { title: "B" });
    const pin = await call(`/api/v1/posts/${a.id}/pin`, { as: mod, method: "POST" });
    expect(pin.status).toBe(200);
    expect(pin.body.post.pinned).toBe(true);
    const res = await feed(space.id, mod);
    expect(res.body.pinned.map((p: FeedPost) => p.id)).toEqual([a.id]);
    expect(feedIds(res)).toEqual([b.id]);
    // the first page carries the pinned posts; a later page does not repeat them
    const c2 = await writePost(space, c.owner, { title: "C" });
    const first = await feed(space.id, c.owner, "?limit=1");
    expect(feedIds(first)).toEqual([c2.id]);
    expect(first.body.pinned.map((p: FeedPost) => p.id)).toEqual([a.id]);
    const second = await feed(space.id, c.owner, `?limit=1&cursor=${first.body.nextCursor}`);
    expect(feedIds(second)).toEqual([b.id]);
    expect(second.body.pinned).toEqual([]);
    await call(`/api/v1/posts/${c2.id}`, { method: "DELETE", as: c.owner });
    const unpin = await call(`/api/v1/posts/${a.id}/pin`, { as: mod, method: "POST", body: { pinned: false } });
    expect(unpin.body.post.pinned).toBe(false);
    const after = await feed(space.id, mod);
    expect(after.body.pinned).toEqual([]);
    expect(feedIds(after)).toEqual([b.id, a.id]);
    const actions = await auditActions(c.id);
    expect(actions).toContain("post.pin");
    expect(actions).toContain("post.unpin");
  });

  it("marks posts written since the previous visit as new, then records the visit", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const writer = await addMember(c);
    const reader = await addMember(c);
    const first = await writePost(space, writer);
    const firstVisit = await feed(space.id, reader);
    expect(firstVisit.body.lastSeenSeq).toBe(0);
    expect(firstVisit.body.items.map((p: FeedPost) => p.isNew)).toEqual([true]);

    const second = await writePost(space, writer);
    const third = await writePost(space, writer);
    const visit = await feed(space.id, reader, "?limit=1");
    expect(visit.body.lastSeenSeq).toBe(first.seq);
    expect(visit.body.items.map((p: FeedPost) => [p.id, p.isNew])).toEqual([[third.id, true]]);
    // later pages keep the marker of the first page even though the visit is already recorded
    const page2 = await feed(space.id, reader, `?limit=1&cursor=${visit.body.nextCursor}`);
    expect(page2.body.items.map((p: FeedPost) => [p.id, p.isNew])).toEqual([[second.id, true]]);
    const page3 = await feed(space.id, reader, `?limit=1&cursor=${page2.body.nextCursor}`);
    expect(page3.body.items.map((p: FeedPost) => [p.id, p.isNew])).toEqual([[first.id, false]]);

    const again = await feed(space.id, reader);
    expect(again.body.lastSeenSeq).toBe(third.seq);
    expect(again.body.items.every((p: FeedPost) => !p.isNew)).toBe(true);
    const [visitRow] = await db().select().from(schema.spaceVisits).where(eq(schema.spaceVisits.userId, reader.id));
    expect(visitRow.lastSeenSeq).toBe(third.seq);
  });

  it("records the visit again only when it says something new: a newer post, or a visit time 15 minutes old", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const writer = await addMember(c);
    const reader = await addMember(c);
    const v = schema.spaceVisits;
    const visitRow = async () =>
      (await db().select().from(v).where(and(eq(v.spaceId, space.id), eq(v.userId, reader.id))))[0];
    const first = await writePost(space, writer);
    await feed(space.id, reader);
    await vi.waitFor(async () => expect((await visitRow())?.lastSeenSeq).toBe(first.seq));

    // re-reading an unchanged space leaves the stored visit as it was
    const recent = new Date(Date.now() - 60_000);
    await db().update(v).set({ visitedAt: recent }).where(and(eq(v.spaceId, space.id), eq(v.userId, reader.id)));
    await feed(space.id, reader);
    await feed(space.id, reader);
    await new Promise((r) => setTimeout(r, 150)); // a deferred write would have landed by now
    expect((await visitRow()).visitedAt.getTime()).toBe(recent.getTime());

    // a newer post is something new
    const second = await writePost(space, writer);
    expect((await feed(space.id, reader)).body.items.map((p: FeedPost) => [p.id, p.isNew])).toEqual([
      [second.id, true],
      [first.id, false],
    ]);
    await vi.waitFor(async () => expect((await visitRow()).lastSeenSeq).toBe(second.seq));

    // so is a visit time older than 15 minutes
    const old = new Date(Date.now() - 16 * 60_000);
    await db().update(v).set({ visitedAt: old }).where(and(eq(v.spaceId, space.id), eq(v.userId, reader.id)));
    await feed(space.id, reader);
    await vi.waitFor(async () => expect((await visitRow()).visitedAt.getTime()).toBeGreaterThan(old.getTime()));
  });

  it("answers 400 for a malformed cursor", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    expectError(await feed(space.id, c.owner, "?cursor=nonsense"), 400, "validation_failed");
  });
});

describe("editing and deleting", () => {
  it("lets the author edit (setting editedAt) and refuses anyone else with 403, moderators included", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const author = await addMember(c);
    const other = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const post = await writePost(space, author);
    expectError(await call(`/api/v1/posts/${post.id}`, { as: other, method: "PATCH", body: { title: "Mine now" } }), 403, "forbidden");
    expectError(await call(`/api/v1/posts/${post.id}`, { as: mod, method: "PATCH", body: { title: "Mine now" } }), 403, "forbidden");
    const res = await call(`/api/v1/posts/${post.id}`, { as: author, method: "PATCH", body: { title: "Better title", body: "New body" } });
    expect(res.status).toBe(200);
    expect(res.body.post).toMatchObject({ title: "Better title", body: "New body", edited: true, editedAt: expect.any(String) });
    expectError(await call(`/api/v1/posts/${post.id}`, { as: author, method: "PATCH", body: { title: " " } }), 400, "validation_failed");
  });

  it("lets the author delete their post; it disappears from the feed and answers 404", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const author = await addMember(c);
    const other = await addMember(c);
    const post = await writePost(space, author);
    expectError(await call(`/api/v1/posts/${post.id}`, { as: other, method: "DELETE" }), 403, "forbidden");
    expect((await call(`/api/v1/posts/${post.id}`, { as: author, method: "DELETE" })).status).toBe(204);
    expectError(await call(`/api/v1/posts/${post.id}`, { as: author }), 404, "not_found");
    expect(feedIds(await feed(space.id, c.owner))).not.toContain(post.id);
    expect(await auditActions(c.id)).not.toContain("post.delete");
  });

  it("lets a moderator delete someone's post, with an audit row", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const author = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const post = await writePost(space, author);
    expect((await call(`/api/v1/posts/${post.id}`, { as: mod, method: "DELETE" })).status).toBe(204);
    expectError(await call(`/api/v1/posts/${post.id}`, { as: mod }), 404, "not_found");
    expect(await auditActions(c.id)).toContain("post.delete");
  });
});

describe("moderator switches", () => {
  it("hides a post from members while its author and moderators still see it, flagged", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const author = await addMember(c);
    const member = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const post = await writePost(space, author);
    expectError(await call(`/api/v1/posts/${post.id}/hide`, { as: member, method: "POST" }), 403, "forbidden");
    const hide = await call(`/api/v1/posts/${post.id}/hide`, { as: mod, method: "POST", body: { hidden: true } });
    expect(hide.status).toBe(200);
    expect(hide.body.post.hidden).toBe(true);

    expectError(await call(`/api/v1/posts/${post.id}`, { as: member }), 404, "not_found");
    expect(feedIds(await feed(space.id, member))).not.toContain(post.id);
    expect((await call(`/api/v1/posts/${post.id}`, { as: author })).body.post.hidden).toBe(true);
    const modFeed = await feed(space.id, mod);
    expect(modFeed.body.items.find((p: FeedPost) => p.id === post.id)?.hidden).toBe(true);

    expect((await call(`/api/v1/posts/${post.id}/hide`, { as: mod, method: "POST", body: { hidden: false } })).body.post.hidden).toBe(false);
    expect((await call(`/api/v1/posts/${post.id}`, { as: member })).status).toBe(200);
    const actions = await auditActions(c.id);
    expect(actions).toContain("post.hide");
    expect(actions).toContain("post.unhide");
  });

  it("locks and unlocks a post (moderator and up, audited); members cannot", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const member = await addMember(c);
    const post = await writePost(space, member);
    expectError(await call(`/api/v1/posts/${post.id}/lock`, { as: member, method: "POST" }), 403, "forbidden");
    expect((await call(`/api/v1/posts/${post.id}/lock`, { as: c.owner, method: "POST" })).body.post.locked).toBe(true);
    expect((await call(`/api/v1/posts/${post.id}/lock`, { as: c.owner, method: "POST", body: { locked: false } })).body.post.locked).toBe(false);
    const actions = await auditActions(c.id);
    expect(actions).toContain("post.lock");
    expect(actions).toContain("post.unlock");
  });
});

describe("data rights", () => {
  it("exports the member's posts, comments, reactions, follows and private-space listings", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const space = await makeSpace(c, { private: true, memberIds: [m.id], name: "Inner circle" });
    const post = await writePost(space, m, { title: "My post", body: "my words" });
    const comment = await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "my comment" } });
    await call(`/api/v1/posts/${post.id}/reactions/${encodeURIComponent("🔥")}`, { as: m, method: "PUT" });
    await call(`/api/v1/spaces/${space.id}/follow`, { as: m, method: "POST" });
    const res = await call("/api/v1/me/export", { as: m });
    expect(res.status).toBe(200);
    expect(res.body.posts).toEqual([
      expect.objectContaining({ id: post.id, title: "My post", body: "my words", space: { id: space.id, name: "Inner circle", communityId: c.id } }),
    ]);
    expect(res.body.comments).toEqual([expect.objectContaining({ id: comment.body.comment.id, postId: post.id, body: "my comment" })]);
    expect(res.body.reactions).toEqual([expect.objectContaining({ targetType: "post", targetId: post.id, emoji: "🔥" })]);
    expect(res.body.spaceFollows).toEqual([expect.objectContaining({ space: expect.objectContaining({ id: space.id }) })]);
    expect(res.body.spaceMemberships).toEqual([expect.objectContaining({ space: expect.objectContaining({ id: space.id }) })]);
  });

  it("erasure removes reactions, follows, visits and listings; posts and comments stay as Deleted member", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const space = await makeSpace(c, { private: true, memberIds: [m.id] });
    const post = await writePost(space, m);
    await call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "still here" } });
    await call(`/api/v1/posts/${post.id}/reactions/${encodeURIComponent("👍")}`, { as: m, method: "PUT" });
    await call(`/api/v1/spaces/${space.id}/follow`, { as: m, method: "POST" });
    await feed(space.id, m);
    expect((await call("/api/v1/me", { as: m, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);

    for (const table of [schema.reactions, schema.spaceFollows, schema.spaceVisits, schema.spaceMembers]) {
      expect(await db().select().from(table).where(eq(table.userId, m.id))).toEqual([]);
    }
    const read = await call(`/api/v1/posts/${post.id}`, { as: c.owner });
    expect(read.body.post.author).toEqual({ id: m.id, name: "Deleted member", avatarUrl: null });
    expect(read.body.post.reactions).toEqual([]);
    const comments = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner });
    expect(comments.body.items).toEqual([expect.objectContaining({ body: "still here", author: { id: m.id, name: "Deleted member", avatarUrl: null } })]);
    expect(JSON.stringify([read.body, comments.body, (await feed(space.id, c.owner)).body])).not.toContain(m.name);
  });
});
