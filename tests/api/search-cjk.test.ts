// Short Chinese, Japanese and Korean words (1–2 letters) through the unigram+bigram index
// (search_grams, ADR 016): the same hits as the LIKE scan they replace, ranked, filtered by access
// as every search is, and kept in step by the spine's handler like the trigram index.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { continueGramsBackfill, fillStatements, gramsReady, type DocText } from "../../workers/domain/search/grams-backfill";
import { cjkGrams, plan, searchTerms } from "../../workers/domain/search/plan";
import { addMember, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace, writePost } from "../discussion-fixtures";
import { call } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { search, titles, type SearchPage } from "../search-fixtures";

/** Every document the index plan finds (grams) and the LIKE plan finds, by doc id, sorted. */
async function bothPlans(c: TestCommunity, q: string) {
  await drainEvents();
  const run = async (grams: boolean) => {
    const query = plan(c.id, searchTerms(q), null, grams);
    const { results } = await env.SEARCH.prepare(query.sql)
      .bind(...query.params, 1000, 0)
      .all<{ doc_id: string }>();
    return results.map((r) => r.doc_id).sort();
  };
  return { grams: await run(true), like: await run(false) };
}

/** The index plan finds exactly what the LIKE plan finds, and that is `expected`. */
async function expectSameHits(c: TestCommunity, q: string, expected: string[]) {
  const { grams, like } = await bothPlans(c, q);
  expect(like, `LIKE for ${q}`).toEqual([...expected].sort());
  expect(grams, `grams for ${q}`).toEqual([...expected].sort());
}

describe("cjkGrams (what search_grams indexes)", () => {
  it("gives the unigrams and bigrams of each CJK run, never across punctuation, space or Latin letters", () => {
    expect(cjkGrams("付費模式")).toBe("付 付費 費 費模 模 模式 式");
    expect(cjkGrams("付，費。A貓 b")).toBe("付 費 貓");
    expect(cjkGrams("ラーメン")).toBe("ラ ラー ー ーメ メ メン ン");
    expect(cjkGrams("Only English here.")).toBe("");
  });
});

describe("1–2 letter CJK words are looked up in the index, with the LIKE scan's hits", () => {
  it("plans a short CJK term as a search_grams match, not a LIKE scan", () => {
    const grams = plan("com_x", ["付費"], null, true);
    expect(grams.sql).toContain("FROM search_grams");
    expect(grams.sql).not.toContain("LIKE");
    // the reader's scope is a condition inside the index too: the community, or the readable spaces
    expect(grams.params[0]).toBe('scope : "com_x" AND "付費"');
    expect(plan("com_x", ["付費", "貓"], ["spc_a", "spc_b"], true).params[0]).toBe('scope : ("spc_a" OR "spc_b") AND "付費" AND "貓"');
    // a non-CJK short term still takes LIKE
    expect(plan("com_x", ["ok"], null, true).sql).toContain("LIKE");
  });

  it("'付費' finds the posts about 付費模式 and 付費方案, the title hit first, and not 免費", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const model = await writePost(space, c.owner, { title: "經營心得", body: "我們今年改成付費模式，會員反應很好。" });
    const titled = await writePost(space, c.owner, { title: "付費方案說明", body: "請先閱讀。" });
    await writePost(space, c.owner, { title: "其他", body: "免費的活動照常舉辦。" });
    await expectSameHits(c, "付費", [model.id, titled.id]);
    const page = await search(c.slug, "付費", c.owner);
    expect(titles(page)).toEqual(["付費方案說明", "經營心得"]);
    expect(page.items[0].score).toBeGreaterThan(page.items[1].score);
    expect(page.items[1].snippet).toContain("<mark>付費</mark>模式");
  });

  it("'的', in most posts, finds every one of them through the pages and no other", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const withIt: string[] = [];
    // three authors: one member may write 10 posts a minute (domain/rate-limits)
    const authors = [c.owner, await addMember(c), await addMember(c)];
    for (let i = 0; i < 24; i++) {
      const post = await writePost(space, authors[i % 3], { title: `第${i}篇`, body: i % 4 === 3 ? "沒有那個字。" : `今天的活動很順利 ${i}` });
      if (i % 4 !== 3) withIt.push(post.id);
    }
    await expectSameHits(c, "的", withIt);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: SearchPage = await search(c.slug, "的", c.owner, `&limit=5${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.items.map((h) => h.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...withIt].sort());
  });

  it("finds a rare character: '𠮷' (outside the Basic Multilingual Plane) and '龘'", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const yoshinoya = await writePost(space, c.owner, { title: "午餐", body: "去𠮷野家吃牛丼。" });
    const dragons = await writePost(space, c.owner, { title: "生字", body: "龘這個字很少見。" });
    await writePost(space, c.owner, { title: "晚餐", body: "去吉野家吃牛丼。" });
    await expectSameHits(c, "𠮷", [yoshinoya.id]);
    await expectSameHits(c, "𠮷野", [yoshinoya.id]);
    await expectSameHits(c, "龘", [dragons.id]);
    expect(titles(await search(c.slug, "𠮷", c.owner))).toEqual(["午餐"]);
  });

  it("does not match a two-letter word across a line break, punctuation or a space", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const bodies = ["要付\n費嗎", "先付。費用另計", "付，費", "付 費", "付、費"];
    const split = await Promise.all(bodies.map((body, i) => writePost(space, c.owner, { title: `分開${i}`, body })));
    const together = await writePost(space, c.owner, { title: "連著", body: "要付費嗎" });
    await expectSameHits(c, "付費", [together.id]);
    // each letter alone is in every one of them
    await expectSameHits(c, "付", [...split.map((p) => p.id), together.id]);
    expect(titles(await search(c.slug, "付費", c.owner))).toEqual(["連著"]);
  });

  it("keeps traditional and simplified characters apart: '付費' does not find '付费', nor '费' '費'", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const traditional = await writePost(space, c.owner, { title: "繁體", body: "付費會員" });
    const simplified = await writePost(space, c.owner, { title: "简体", body: "付费会员" });
    await expectSameHits(c, "付費", [traditional.id]);
    await expectSameHits(c, "付费", [simplified.id]);
    await expectSameHits(c, "费", [simplified.id]);
    await expectSameHits(c, "會員", [traditional.id]);
    expect(titles(await search(c.slug, "付费", c.owner))).toEqual(["简体"]);
  });

  it("finds short Japanese kana and Korean hangul words", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const cat = await writePost(space, c.owner, { title: "日記", body: "うちのねこはよく寝る。" });
    const ramen = await writePost(space, c.owner, { title: "昼ごはん", body: "駅前のラーメン屋に行った。" });
    const bread = await writePost(space, c.owner, { title: "朝ごはん", body: "パンとコーヒー" });
    const love = await writePost(space, c.owner, { title: "편지", body: "항상 사랑해요" });
    const korea = await writePost(space, c.owner, { title: "여행", body: "한국 여행 계획" });
    await expectSameHits(c, "ねこ", [cat.id]);
    await expectSameHits(c, "ラー", [ramen.id]);
    await expectSameHits(c, "パン", [bread.id]);
    await expectSameHits(c, "사랑", [love.id]);
    await expectSameHits(c, "한", [korea.id]);
    expect(titles(await search(c.slug, "ねこ", c.owner))).toEqual(["日記"]);
    expect(titles(await search(c.slug, "사랑", c.owner))).toEqual(["편지"]);
  });

  it("'付費 plan' finds only the post with both, ranked by the trigram index, the CJK word a filter", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const both = await writePost(space, c.owner, { title: "Pricing plan", body: "新的付費方案 starts in May" });
    await writePost(space, c.owner, { title: "Another plan", body: "免費 for everyone" });
    await writePost(space, c.owner, { title: "付費", body: "no English word here" });
    const query = plan(c.id, searchTerms("付費 plan"), null, true);
    expect(query.sql).toContain("search_fts MATCH ?");
    expect(query.sql).toContain("search_grams MATCH ?");
    await expectSameHits(c, "付費 plan", [both.id]);
    // two CJK words and a non-CJK short term together
    await expectSameHits(c, "付費 方案 in", [both.id]);
    expect(titles(await search(c.slug, "付費 plan", c.owner))).toEqual(["Pricing plan"]);
  });

  it("shows a short CJK word's hits only to readers of their space and community, exactly as other searches do", async () => {
    const c = await makeCommunity();
    const free = await addMember(c);
    const vip = await addMember(c, { paidTier: "vip" });
    const open = await makeSpace(c);
    const locked = await makeSpace(c, { minTier: "vip" });
    await writePost(open, c.owner, { title: "大家的貓", body: "貓咪照片" });
    await writePost(locked, c.owner, { title: "會員的貓", body: "貓咪影片" });
    const elsewhere = await makeCommunity();
    await writePost(await makeSpace(elsewhere), elsewhere.owner, { title: "別處的貓", body: "貓咪" });
    for (const q of ["貓", "貓咪"]) {
      expect(titles(await search(c.slug, q, free)).sort(), q).toEqual(["大家的貓"]);
      expect(titles(await search(c.slug, q, vip)).sort(), q).toEqual(["大家的貓", "會員的貓"].sort());
      expect(titles(await search(elsewhere.slug, q, elsewhere.owner)), q).toEqual(["別處的貓"]);
    }
  });

  it("follows edits and deletions through the spine, and the index stays consistent", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "方案", body: "付費方案" });
    expect(titles(await search(c.slug, "付費", c.owner))).toEqual(["方案"]);
    expect((await call(`/api/v1/posts/${post.id}`, { method: "PATCH", as: c.owner, body: { body: "免費方案" } })).status).toBe(200);
    expect((await search(c.slug, "付費", c.owner)).items).toEqual([]);
    expect(titles(await search(c.slug, "免費", c.owner))).toEqual(["方案"]);
    expect((await call(`/api/v1/posts/${post.id}`, { method: "DELETE", as: c.owner })).status).toBe(204);
    expect((await search(c.slug, "免費", c.owner)).items).toEqual([]);
    const check = await env.SEARCH.prepare("INSERT INTO search_grams(search_grams) VALUES ('integrity-check')").run();
    expect(check.success).toBe(true);
  });
});

describe("documents indexed before search_grams existed", () => {
  it("are found with LIKE until the backfill has given them grams, then through the index", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const posts = [];
    for (let i = 0; i < 5; i++) posts.push(await writePost(space, c.owner, { title: `舊文${i}`, body: i % 2 ? "付費方案" : "no CJK here" }));
    await drainEvents();
    // as the migration leaves an index written before it: no document in search_grams, backfill open
    await env.SEARCH.batch([
      env.SEARCH.prepare("INSERT INTO search_grams(search_grams) VALUES ('delete-all')"),
      env.SEARCH.prepare("UPDATE search_backfills SET after_rowid = 0, done_at = NULL WHERE name = 'cjk_grams'"),
    ]);
    const expected = [posts[1].id, posts[3].id].sort();
    const { grams, like } = await bothPlans(c, "付費");
    expect(like).toEqual(expected);
    expect(grams).toEqual([]);

    const first = await continueGramsBackfill(env, 1);
    expect(first.done).toBe(false);
    let step = first;
    while (!step.done) step = await continueGramsBackfill(env, 1);
    const marker = await env.SEARCH.prepare("SELECT done_at FROM search_backfills WHERE name = 'cjk_grams'").first<{ done_at: number | null }>();
    expect(marker?.done_at).toEqual(expect.any(Number));
    expect(await gramsReady(env)).toBe(true);
    expect((await bothPlans(c, "付費")).grams).toEqual(expected);
    expect((await search(c.slug, "付費", c.owner)).items.map((h) => h.id).sort()).toEqual(expected);
    const check = await env.SEARCH.prepare("INSERT INTO search_grams(search_grams) VALUES ('integrity-check')").run();
    expect(check.success).toBe(true);
    // once done, a step costs one read and changes nothing
    expect(await continueGramsBackfill(env)).toEqual({ rows: 0, filled: 0, done: true });
  });

  it("leaves a document re-indexed meanwhile with its own grams, not those of the text the step read", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "改過", body: "付費" });
    await drainEvents();
    const read = await env.SEARCH.prepare("SELECT rowid, title, body, community_id, space_id FROM search_docs WHERE doc_id = ?")
      .bind(post.id)
      .first<DocText>();
    expect(read?.body).toBe("付費");
    // a step read "付費"; before its write lands, the post is edited and re-indexed
    expect((await call(`/api/v1/posts/${post.id}`, { method: "PATCH", as: c.owner, body: { body: "免費" } })).status).toBe(200);
    await drainEvents();
    const now = await env.SEARCH.prepare("SELECT rowid FROM search_docs WHERE doc_id = ?").bind(post.id).first<{ rowid: number }>();
    // the same rowid again (the newest row was replaced), so only the text tells the two apart
    expect(now?.rowid).toBe(read?.rowid);
    await env.SEARCH.batch(fillStatements(env.SEARCH, [read as DocText]));
    expect((await bothPlans(c, "付費")).grams).toEqual([]);
    expect((await bothPlans(c, "免費")).grams).toEqual([post.id]);
    const check = await env.SEARCH.prepare("INSERT INTO search_grams(search_grams) VALUES ('integrity-check')").run();
    expect(check.success).toBe(true);
  });
});
