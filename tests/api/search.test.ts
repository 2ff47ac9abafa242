// Community search: ranked, prefix and Chinese matching, safe with any input, and never showing
// what the caller may not read.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { rebuildSearchIndex } from "../../workers/domain/search/rebuild";
import { THREAD_SLICE } from "../../workers/domain/search/sync";
import { addMember, expectError, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { search, titles } from "../search-fixtures";

describe("search matching and ranking", () => {
  it("ranks a post with the word in its title above one with it only in the body", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "Weekly notes", body: "A short word about gardening tools." });
    await writePost(space, c.owner, { title: "Gardening for beginners", body: "Start small." });
    await writePost(space, c.owner, { title: "Unrelated", body: "Nothing here." });
    const page = await search(c.slug, "gardening", c.owner);
    expect(titles(page)).toEqual(["Gardening for beginners", "Weekly notes"]);
    expect(page.items[0].score).toBeGreaterThan(page.items[1].score);
    expect(page.items[0]).toMatchObject({ type: "post", spaceId: space.id, author: { id: c.owner.id, name: c.owner.name } });
  });

  it("finds longer words from a partial last word (prefix search)", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "Community guidelines", body: "Be kind." });
    expect(titles(await search(c.slug, "commun", c.owner))).toEqual(["Community guidelines"]);
    expect(titles(await search(c.slug, "be kind guide", c.owner))).toEqual(["Community guidelines"]);
  });

  it("finds a Chinese phrase of three or more characters inside a sentence", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "經營心得", body: "我們今年改成付費模式，會員反應很好。" });
    await writePost(space, c.owner, { title: "其他", body: "免費的活動照常舉辦。" });
    const page = await search(c.slug, "付費模式", c.owner);
    expect(titles(page)).toEqual(["經營心得"]);
    expect(page.items[0].snippet).toContain("<mark>付費模式</mark>");
  });

  it("finds Chinese words of one and two characters", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "付費會員須知", body: "請先閱讀。" });
    await writePost(space, c.owner, { title: "日常", body: "我家的貓今天很乖，也想了解付費方案。" });
    await writePost(space, c.owner, { title: "狗狗", body: "散步時間。" });
    const twoChars = await search(c.slug, "付費", c.owner);
    expect(titles(twoChars)).toEqual(["付費會員須知", "日常"]);
    expect(twoChars.items[1].snippet).toContain("<mark>付費</mark>");
    expect(titles(await search(c.slug, "貓", c.owner))).toEqual(["日常"]);
    // a short word narrows a longer one
    expect(titles(await search(c.slug, "今天很乖 貓", c.owner))).toEqual(["日常"]);
  });

  it("finds comments, titled with their post and credited to their author", async () => {
    const c = await makeCommunity();
    const commenter = await addMember(c, { user: await createUser({ name: "Comment Carla" }) });
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "Book club", body: "What next?" });
    const comment = await writeComment(post.id, commenter, "Let us read Middlemarch next");
    const page = await search(c.slug, "middlemarch", c.owner);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      type: "comment",
      id: comment.id,
      postId: post.id,
      title: "Book club",
      author: { id: commenter.id, name: "Comment Carla" },
    });
  });

  it("escapes HTML in snippets and marks every hit", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "Markup", body: 'If 1 < 2 && "b" > a, the widget and another <em>widget</em>.' });
    const [hit] = (await search(c.slug, "widget", c.owner)).items;
    expect(hit.snippet).toContain("1 &lt; 2 &amp;&amp; &quot;b&quot; &gt; a");
    expect(hit.snippet).not.toContain("<em>");
    expect(hit.snippet.match(/<mark>widget<\/mark>/g)).toHaveLength(2);
  });

  it("pages through results with a cursor", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    for (const n of [1, 2, 3]) await writePost(space, c.owner, { title: `Recipe ${n}`, body: "A recipe." });
    const first = await search(c.slug, "recipe", c.owner, "&limit=2");
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await search(c.slug, "recipe", c.owner, `&limit=2&cursor=${first.nextCursor}`);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((h) => h.id)).size).toBe(3);
  });
});

describe("search input", () => {
  it("never answers 500 to query syntax, quotes, wildcards or SQL", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "AND OR NOT", body: 'quotes " and stars * and 100% and a_b and C:\\path' });
    const hostile = ['"', '""', "*", "AND", "-", "NEAR(", "a OR b", "title:x", "'; DROP TABLE search_docs; --", "%", "_", "\\", ")(", "^abc", "a\"b", '"unclosed', "{a b}", "x".repeat(200), "🙂", "NOT *"];
    for (const q of hostile) {
      const res = await call(`/api/v1/communities/${c.slug}/search?q=${encodeURIComponent(q)}`, { as: c.owner });
      expect(res.status, q).toBe(200);
    }
    // wildcards are text, not patterns
    expect(titles(await search(c.slug, "100%", c.owner))).toEqual(["AND OR NOT"]);
    expect(titles(await search(c.slug, "%", c.owner))).toEqual(["AND OR NOT"]);
    expect(titles(await search(c.slug, "zz%", c.owner))).toEqual([]);
    expect(titles(await search(c.slug, "a_b", c.owner))).toEqual(["AND OR NOT"]);
  });

  it("asks for 1 to 200 characters", async () => {
    const c = await makeCommunity();
    expectError(await call(`/api/v1/communities/${c.slug}/search`, { as: c.owner }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/search?q=%20`, { as: c.owner }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/search?q=${"x".repeat(201)}`, { as: c.owner }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/search?q=x&cursor=nonsense`, { as: c.owner }), 400, "validation_failed");
  });
});

describe("search shows only what the caller may read", () => {
  it("leaves out posts in a space above the caller's tier, but shows them once the tier is reached", async () => {
    const c = await makeCommunity();
    const free = await addMember(c);
    const vip = await addMember(c, { paidTier: "vip" });
    const space = await makeSpace(c, { minTier: "vip" });
    await writePost(space, c.owner, { title: "Secret sauce", body: "vip tips" });
    expect((await search(c.slug, "sauce", free)).items).toEqual([]);
    expect(titles(await search(c.slug, "sauce", vip))).toEqual(["Secret sauce"]);
    expect(titles(await search(c.slug, "sauce", c.owner))).toEqual(["Secret sauce"]);
  });

  it("never shows a reader of some spaces what the index read ahead for a reader of all of them found", async () => {
    // the route starts the index query for a reader of the whole community beside its access
    // check (ADR 010); a reader who turns out to see less must get their own, filtered query
    const c = await makeCommunity({ visibility: "public" });
    const free = await addMember(c);
    const vip = await addMember(c, { paidTier: "vip" });
    const open = await makeSpace(c);
    const locked = await makeSpace(c, { minTier: "vip" });
    const archived = await makeSpace(c);
    await writePost(open, c.owner, { title: "Harvest open", body: "pumpkin" });
    await writePost(locked, c.owner, { title: "Harvest vip", body: "pumpkin" });
    await writePost(archived, c.owner, { title: "Harvest archived", body: "pumpkin" });
    expect((await call(`/api/v1/spaces/${archived.id}`, { method: "DELETE", as: c.owner })).status).toBe(204);
    for (let round = 0; round < 2; round++) {
      expect(titles(await search(c.slug, "pumpkin", vip)).sort()).toEqual(["Harvest open", "Harvest vip"]);
      expect(titles(await search(c.slug, "pumpkin", free))).toEqual(["Harvest open"]);
      expect(titles(await search(c.slug, "pumpkin", null))).toEqual(["Harvest open"]);
    }
    // each reader's next search reads ahead with the plan of their last one; a view that changed
    // since (an upgrade, a lapse) must get its own
    const m = schema.memberships;
    const setTier = (tier: "free" | "vip") =>
      getDb(env).update(m).set({ paidTier: tier }).where(and(eq(m.communityId, c.id), eq(m.userId, free.id)));
    await setTier("vip");
    expect(titles(await search(c.slug, "pumpkin", free)).sort()).toEqual(["Harvest open", "Harvest vip"]);
    await setTier("free");
    expect(titles(await search(c.slug, "pumpkin", free))).toEqual(["Harvest open"]);
    await setTier("free");
    expect(titles(await search(c.slug, "pumpkin", free))).toEqual(["Harvest open"]);
  });

  it("leaves out private spaces the caller is not listed in, and their comments", async () => {
    const c = await makeCommunity();
    const listed = await addMember(c);
    const unlisted = await addMember(c, { paidTier: "vip" });
    const space = await makeSpace(c, { private: true, memberIds: [listed.id] });
    const post = await writePost(space, listed, { title: "Board minutes", body: "budget" });
    await writeComment(post.id, listed, "budget approved");
    expect((await search(c.slug, "budget", unlisted)).items).toEqual([]);
    expect((await search(c.slug, "budget", listed)).items.map((h) => h.type).sort()).toEqual(["comment", "post"]);
  });

  it("leaves out hidden and deleted posts and the comments under them", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const moderator = await addMember(c, { role: "moderator" });
    const space = await makeSpace(c);
    const hidden = await writePost(space, c.owner, { title: "Spoiler one", body: "plot twist" });
    await writeComment(hidden.id, member, "plot twist indeed");
    const deleted = await writePost(space, c.owner, { title: "Spoiler two", body: "plot twist" });
    expect((await call(`/api/v1/posts/${hidden.id}/hide`, { as: moderator, body: {} })).status).toBe(200);
    expect((await call(`/api/v1/posts/${deleted.id}`, { method: "DELETE", as: c.owner })).status).toBe(204);
    expect((await search(c.slug, "plot twist", member)).items).toEqual([]);
    expect((await search(c.slug, "plot twist", moderator)).items).toEqual([]);
  });

  it("finds a post shown again after hiding, with every comment under it, however long the thread", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "Back again", body: "okapi" });
    // more comments than one slice indexes, written straight into D1 and indexed as a rebuild would
    const count = THREAD_SLICE + 30;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
       INSERT INTO comments (id, community_id, post_id, author_id, body) SELECT 'cmt_okapi' || i, ?1, ?2, ?3, 'okapi reply ' || i FROM n`,
    )
      .bind(c.id, post.id, member.id)
      .run();
    let progress = await rebuildSearchIndex(env, c.id);
    while (progress.next) progress = await rebuildSearchIndex(env, c.id, progress.next);
    const indexed = async () =>
      (await env.SEARCH.prepare("SELECT count(*) AS n FROM search_docs WHERE post_id = ?").bind(post.id).first<{ n: number }>())?.n;
    expect(await indexed()).toBe(count + 1);

    expect((await call(`/api/v1/posts/${post.id}/hide`, { as: c.owner, body: {} })).status).toBe(200);
    expect((await search(c.slug, "okapi", member)).items).toEqual([]);
    expect(await indexed()).toBe(0);
    expect((await call(`/api/v1/posts/${post.id}/hide`, { as: c.owner, body: { hidden: false } })).status).toBe(200);
    const found = await search(c.slug, "okapi", member, "&limit=50");
    expect(found.items.filter((hit) => hit.type === "post").map((hit) => hit.title)).toEqual(["Back again"]);
    expect(found.items).toHaveLength(50);
    expect(await indexed()).toBe(count + 1);
  });

  it("checks the main database, not the index: a stale index entry of a hidden post does not leak", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const moderator = await addMember(c, { role: "moderator" });
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "Stale entry", body: "gossip" });
    await drainEvents();
    // hidden behind the spine's back, as if the index write had failed
    await getDb(env).update(schema.posts).set({ hiddenAt: new Date() }).where(eq(schema.posts.id, post.id));
    expect((await search(c.slug, "gossip", member)).items).toEqual([]);
    expect(titles(await search(c.slug, "gossip", moderator))).toEqual(["Stale entry"]);
  });

  it("answers 404 to non-members of a private community and signed-out callers", async () => {
    const c = await makeCommunity({ visibility: "private" });
    const space = await makeSpace(c);
    await writePost(space, c.owner, { title: "Members only", body: "insider" });
    const outsider = await createUser();
    expectError(await call(`/api/v1/communities/${c.slug}/search?q=insider`, { as: outsider }), 404, "not_found");
    expectError(await call(`/api/v1/communities/${c.slug}/search?q=insider`, { as: null }), 404, "not_found");
  });

  it("shows a public community's open spaces to signed-out callers, and nothing tier-locked", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const open = await makeSpace(c);
    const paid = await makeSpace(c, { minTier: "member" });
    await writePost(open, c.owner, { title: "Open lecture", body: "astronomy" });
    await writePost(paid, c.owner, { title: "Paid lecture", body: "astronomy" });
    expect(titles(await search(c.slug, "astronomy", null))).toEqual(["Open lecture"]);
  });

  it("keeps communities apart", async () => {
    const a = await makeCommunity();
    const b = await makeCommunity();
    await writePost(await makeSpace(a), a.owner, { title: "Alpha only", body: "zebra" });
    expect((await search(b.slug, "zebra", b.owner)).items).toEqual([]);
  });
});

describe("rebuilding the index", () => {
  it("restores search after the index was emptied", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "Rebuilt", body: "phoenix" });
    await writeComment(post.id, c.owner, "phoenix rising");
    await drainEvents();
    await env.SEARCH.batch([env.SEARCH.prepare("DELETE FROM search_docs"), env.SEARCH.prepare("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")]);
    expect((await search(c.slug, "phoenix", c.owner)).items).toEqual([]);
    let progress = await rebuildSearchIndex(env, c.id, undefined, 1);
    while (progress.next) progress = await rebuildSearchIndex(env, c.id, progress.next, 1);
    expect((await search(c.slug, "phoenix", c.owner)).items.map((h) => h.type).sort()).toEqual(["comment", "post"]);
    const check = await env.SEARCH.prepare("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')").run();
    expect(check.success).toBe(true);
  });
});
