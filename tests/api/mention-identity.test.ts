// Mentions are identities (issue 9 §1, ADR 017): a mention is the token <@userId>, written for the
// member the composer picked or the one member with a typed name, never inside code or link text;
// it renders with the member's current name, and renames and erasure reach excerpts and search.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { renderMarkdown } from "../../workers/lib/markdown";
import { addMember, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace } from "../discussion-fixtures";
import { call, createUser, PASSWORD, unique, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const db = () => getDb(env);

async function member(c: TestCommunity, name: string, opts: Parameters<typeof addMember>[1] = {}) {
  return addMember(c, { ...opts, user: await createUser({ name }) });
}

async function mentionNotices(user: TestUser) {
  await drainEvents();
  const n = schema.notifications;
  return db()
    .select({ subjectId: n.subjectId, readAt: n.readAt })
    .from(n)
    .where(and(eq(n.userId, user.id), eq(n.kind, "mention")));
}

async function post(spaceId: string, as: TestUser, body: string, mentionIds?: string[]) {
  const res = await call(`/api/v1/spaces/${spaceId}/posts`, { as, body: { title: unique("Post "), body, mentionIds } });
  expect(res.status).toBe(201);
  return res.body as { post: { id: string; body: string; excerpt: string; mentions: Array<{ id: string; name: string }> }; unreachableMentions: string[] };
}

async function readPost(id: string, as: TestUser) {
  const res = await call(`/api/v1/posts/${id}`, { as });
  expect(res.status).toBe(200);
  return res.body as { post: { excerpt: string; mentions: Array<{ id: string; name: string }> }; html: string };
}

async function searchIds(slug: string, q: string, as: TestUser) {
  await drainEvents();
  const res = await call(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}`, { as });
  expect(res.status).toBe(200);
  return (res.body.items as Array<{ id: string }>).map((hit) => hit.id);
}

describe("a mention names a member by id", () => {
  it("notifies the Daniel Chen the composer picked, not the newcomer who took the same name; a typed name two members share mentions nobody", async () => {
    const c = await makeCommunity();
    const admin = await member(c, "Daniel Chen", { role: "admin" });
    const newcomer = await member(c, "Someone New");
    const writer = await member(c, "Writer Wu");
    expect((await call("/api/v1/me", { as: newcomer, method: "PATCH", body: { name: "Daniel Chen" } })).status).toBe(200);
    const space = await makeSpace(c);

    const picked = await post(space.id, writer, "@Daniel Chen could you review…", [admin.id]);
    expect(picked.post.body).toBe(`<@${admin.id}> could you review…`);
    expect(picked.post.mentions).toEqual([{ id: admin.id, name: "Daniel Chen" }]);
    expect((await mentionNotices(admin)).map((n) => n.subjectId)).toEqual([picked.post.id]);
    expect(await mentionNotices(newcomer)).toEqual([]);

    const typed = await post(space.id, writer, "@Daniel Chen which one of you?");
    expect(typed.post.body).toBe("@Daniel Chen which one of you?");
    expect((await mentionNotices(admin)).map((n) => n.subjectId)).toEqual([picked.post.id]);
    expect(await mentionNotices(newcomer)).toEqual([]);
  });

  it("takes no mention from a fenced code block or an inline code span", async () => {
    const c = await makeCommunity();
    const sofia = await member(c, "Sofia Rossi");
    const hiro = await member(c, "Hiro Tanaka");
    const space = await makeSpace(c);
    const body = "```\n@Sofia Rossi\n```\n\nRun `@Hiro Tanaka` in the shell.";
    const written = await post(space.id, c.owner, body, [sofia.id, hiro.id]);
    expect(written.post.body).toBe(body);
    expect(await mentionNotices(sofia)).toEqual([]);
    expect(await mentionNotices(hiro)).toEqual([]);
  });

  it("finds @Daniel Chen after 'İzmir' (whose lower case is longer) and @élodie martin for Élodie Martin", async () => {
    const c = await makeCommunity();
    const daniel = await member(c, "Daniel Chen");
    const elodie = await member(c, "Élodie Martin");
    const space = await makeSpace(c);
    const izmir = await post(space.id, c.owner, "İzmir meetup, @Daniel Chen");
    expect(izmir.post.body).toBe(`İzmir meetup, <@${daniel.id}>`);
    expect((await mentionNotices(daniel)).map((n) => n.subjectId)).toEqual([izmir.post.id]);
    const folded = await post(space.id, c.owner, "merci @élodie martin !");
    expect(folded.post.body).toBe(`merci <@${elodie.id}> !`);
    expect((await mentionNotices(elodie)).map((n) => n.subjectId)).toEqual([folded.post.id]);
  });

  it("takes the full-width ＠ a Chinese keyboard types as @: ＠陳大文 mentions 陳大文", async () => {
    const c = await makeCommunity();
    const chan = await member(c, "陳大文");
    const space = await makeSpace(c);
    const written = await post(space.id, c.owner, "請＠陳大文看一下");
    expect(written.post.body).toBe(`請<@${chan.id}>看一下`);
    expect((await mentionNotices(chan)).map((n) => n.subjectId)).toEqual([written.post.id]);
  });

  it("leaves an address alone: youtube.com/@Mei and medium.com/@Mei stay links, and Mei is not told", async () => {
    const c = await makeCommunity();
    const mei = await member(c, "Mei");
    const space = await makeSpace(c);
    const body = "New video: https://youtube.com/@Mei/videos and medium.com/@Mei, www.youtube.com/@Mei too";
    const written = await post(space.id, c.owner, body);
    expect(written.post.body).toBe(body);
    expect(await mentionNotices(mei)).toEqual([]);
    const { html } = await readPost(written.post.id, c.owner);
    expect(html).toContain('href="https://youtube.com/@Mei/videos"');
  });

  it("finds a name inside underscore emphasis: _@Hiro Tanaka_ and __@Mei__ mention them", async () => {
    const c = await makeCommunity();
    const hiro = await member(c, "Hiro Tanaka");
    const mei = await member(c, "Mei");
    const space = await makeSpace(c);
    const written = await post(space.id, c.owner, "_@Hiro Tanaka_ and __@Mei__");
    expect(written.post.body).toBe(`_<@${hiro.id}>_ and __<@${mei.id}>__`);
    expect((await mentionNotices(hiro)).map((n) => n.subjectId)).toEqual([written.post.id]);
    expect((await mentionNotices(mei)).map((n) => n.subjectId)).toEqual([written.post.id]);
  });

  it("renders the token as the member's name, survives sanitising, and shows a stranger's id as the literal token", async () => {
    const c = await makeCommunity();
    const mei = await member(c, "Mei Lin");
    const stranger = await createUser({ name: "Stranger Sam" });
    const space = await makeSpace(c);
    const body = `hi <@${mei.id}>, see [<@${mei.id}> notes](https://example.com) and <@${stranger.id}>`;
    const written = await post(space.id, c.owner, body);
    const { html, post: view } = await readPost(written.post.id, c.owner);
    expect(html).toContain(`<span class="mention" data-user-id="${mei.id}">@Mei Lin</span>`);
    expect(html).toContain(`<a href="https://example.com" rel="nofollow ugc noopener" target="_blank">@Mei Lin notes</a>`);
    expect(html).toContain(`&lt;@${stranger.id}&gt;`);
    expect(html).not.toContain("Stranger Sam");
    expect(view.mentions).toEqual([{ id: mei.id, name: "Mei Lin" }]);
    expect(view.excerpt).toBe(`hi @Mei Lin, see @Mei Lin notes and <@${stranger.id}>`);
    // the one in the link's text is no mention: she is notified once, for the post
    expect((await mentionNotices(mei)).map((n) => n.subjectId)).toEqual([written.post.id]);
    expect(renderMarkdown("`<@usr_x>`")).toBe("<p><code>&lt;@usr_x&gt;</code></p>");
  });

  it("lists a mentioned member who cannot read the space as unreachable, and does not notify them", async () => {
    const c = await makeCommunity();
    const free = await member(c, "Free Fay");
    const vip = await member(c, "Vip Val", { paidTier: "vip" });
    const space = await makeSpace(c, { minTier: "vip" });
    const written = await post(space.id, c.owner, "@Free Fay and @Vip Val, welcome");
    expect(written.unreachableMentions).toEqual([free.id]);
    expect(await mentionNotices(free)).toEqual([]);
    expect((await mentionNotices(vip)).map((n) => n.subjectId)).toEqual([written.post.id]);
  });
});

describe("mentions follow edits, renames and erasure", () => {
  it("withdraws the unread 'mentioned you' when an edit takes the mention out", async () => {
    const c = await makeCommunity();
    const sofia = await member(c, "Sofia Rossi");
    const space = await makeSpace(c);
    const written = await post(space.id, c.owner, "hey @Sofia Rossi");
    expect(await mentionNotices(sofia)).toHaveLength(1);
    const edited = await call(`/api/v1/posts/${written.post.id}`, { as: c.owner, method: "PATCH", body: { body: "hey everyone" } });
    expect(edited.status).toBe(200);
    expect(await mentionNotices(sofia)).toEqual([]);
    const inbox = await call("/api/v1/me/notifications", { as: sofia });
    expect(inbox.body.items).toEqual([]);
  });

  it("shows a renamed member's new name in the post, its excerpt and search", async () => {
    const c = await makeCommunity();
    const lee = await member(c, "Lee Old");
    const space = await makeSpace(c);
    const written = await post(space.id, c.owner, "Thanks @Lee Old for the kiln");
    expect((await call("/api/v1/me", { as: lee, method: "PATCH", body: { name: "Lee Newname" } })).status).toBe(200);
    await drainEvents();
    const { html, post: view } = await readPost(written.post.id, c.owner);
    expect(html).toContain("@Lee Newname");
    expect(view.excerpt).toBe("Thanks @Lee Newname for the kiln");
    expect(await searchIds(c.slug, "Newname", c.owner)).toEqual([written.post.id]);
    expect(await searchIds(c.slug, "Old", c.owner)).toEqual([]);
  });

  it("shows an erased member as Deleted member, and searching her name no longer finds the post", async () => {
    const c = await makeCommunity();
    const erin = await member(c, "Erin Erase");
    const space = await makeSpace(c);
    const written = await post(space.id, c.owner, "Thanks @Erin Erase");
    expect(await searchIds(c.slug, "Erin", c.owner)).toEqual([written.post.id]);
    expect((await call("/api/v1/me", { as: erin, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    const { html, post: view } = await readPost(written.post.id, c.owner);
    expect(html).toContain(`<span class="mention" data-user-id="${erin.id}">@Deleted member</span>`);
    expect(html).not.toContain("Erin");
    expect(view.mentions).toEqual([{ id: erin.id, name: "Deleted member" }]);
    expect(view.excerpt).toBe("Thanks @Deleted member");
    expect(await searchIds(c.slug, "Erin", c.owner)).toEqual([]);
    const feed = await call(`/api/v1/spaces/${space.id}/posts`, { as: c.owner });
    expect(JSON.stringify(feed.body)).not.toContain("Erin");
    const left = await db().select().from(schema.mentions).where(eq(schema.mentions.mentionedUserId, erin.id));
    expect(left).toEqual([]);
  });
});

describe("content written before mention tokens", () => {
  it("is rewritten by the backfill: typed names and the old explicit form become tokens, for the people each text mentioned", async () => {
    const { continueMentionBackfill, MENTION_BACKFILL } = await import("../../workers/domain/jobs/mention-backfill");
    const c = await makeCommunity();
    const sofia = await member(c, "Sofia Rossi");
    const hiro = await member(c, "Hiro Tanaka");
    const space = await makeSpace(c);
    const old = (id: string, body: string) => ({ id, communityId: c.id, spaceId: space.id, authorId: c.owner.id, title: "Old", body, excerpt: body });
    const typed = old(`pst_${unique("old")}`, "hi @Sofia Rossi, `@Hiro Tanaka` is code");
    const explicit = old(`pst_${unique("old")}`, `ping @[Hiro](user:${hiro.id})`);
    const untouched = old(`pst_${unique("old")}`, "hi @Sofia Rossi (no mention row: not rewritten)");
    await db().insert(schema.posts).values([typed, explicit, untouched]);
    await db()
      .insert(schema.mentions)
      .values([
        { id: `mtn_${unique("a")}`, communityId: c.id, sourceType: "post", sourceId: typed.id, mentionedUserId: sofia.id, authorId: c.owner.id },
        { id: `mtn_${unique("b")}`, communityId: c.id, sourceType: "post", sourceId: explicit.id, mentionedUserId: hiro.id, authorId: c.owner.id },
      ]);
    await db().delete(schema.backfills).where(eq(schema.backfills.name, MENTION_BACKFILL));
    let step = await continueMentionBackfill(env);
    while (!step.done) step = await continueMentionBackfill(env);
    const bodies = new Map((await db().select({ id: schema.posts.id, body: schema.posts.body, excerpt: schema.posts.excerpt }).from(schema.posts).where(eq(schema.posts.spaceId, space.id))).map((r) => [r.id, r]));
    expect(bodies.get(typed.id)).toEqual({ id: typed.id, body: `hi <@${sofia.id}>, \`@Hiro Tanaka\` is code`, excerpt: "hi @Sofia Rossi, @Hiro Tanaka is code" });
    expect(bodies.get(explicit.id)?.body).toBe(`ping <@${hiro.id}>`);
    expect(bodies.get(untouched.id)?.body).toBe(untouched.body);
    const { html } = await readPost(explicit.id, c.owner);
    expect(html).toContain(`<span class="mention" data-user-id="${hiro.id}">@Hiro Tanaka</span>`);
    expect((await continueMentionBackfill(env)).done).toBe(true);
  });
});

describe("editing a text that mentions someone who left", () => {
  it("keeps their token when the composer sends them back as a pick, and notifies nobody new", async () => {
    const c = await makeCommunity();
    const gone = await member(c, "Gone Gwen");
    const space = await makeSpace(c);
    const written = await post(space.id, c.owner, "thanks @Gone Gwen");
    expect(written.post.body).toBe(`thanks <@${gone.id}>`);
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { as: gone, method: "POST" })).status).toBeLessThan(300);
    const edited = await call(`/api/v1/posts/${written.post.id}`, {
      as: c.owner,
      method: "PATCH",
      body: { body: "thanks again @Gone Gwen", mentionIds: [gone.id] },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.post.body).toBe(`thanks again <@${gone.id}>`);
    expect(edited.body.post.mentions).toEqual([{ id: gone.id, name: "Gone Gwen" }]);
    expect(edited.body.unreachableMentions).toEqual([gone.id]);
  });
});
