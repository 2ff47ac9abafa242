// Notifications: mentions, replies and new posts reach the people who may read them and want
// them, render in the reader's language, page, count and mark read, and vanish when access goes.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { addMember, makeCommunity, type TestCommunity } from "../community-fixtures";
import { follow, makeComment, makePost, makeSpace, setTier, updatePost } from "../content-fixtures";
import { makeSpace as apiSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, PASSWORD, type TestUser } from "../helpers";
import { drainEvents, eventually } from "../queue-fixtures";

async function person(community: TestCommunity, name: string, opts: Parameters<typeof addMember>[1] = {}) {
  return addMember(community, { ...opts, user: await createUser({ name }) });
}

/** The inbox once every write so far has had its consequences (the spine's events drained). */
async function inbox(user: TestUser, query = "") {
  await drainEvents();
  const res = await call(`/api/v1/me/notifications${query}`, { as: user });
  expect(res.status).toBe(200);
  return res.body as {
    items: Array<{ id: string; kind: string; text: string; url: string; readAt: string | null; community: { slug: string; name: string }; actor: { id: string; name: string } | null }>;
    nextCursor: string | null;
    unreadCount: number;
  };
}

async function unreadCount(user: TestUser) {
  await drainEvents();
  const res = await call("/api/v1/me/notifications/unread-count", { as: user });
  expect(res.status).toBe(200);
  return res.body.count as number;
}

describe("mention notifications", () => {
  it("notify a mentioned member with a rendered sentence, the post URL and the actor", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Mei Lin");
    const reader = await person(community, "Reader Rui");
    const space = await apiSpace(community);
    const post = await writePost(space, author, { title: "Pricing plans", body: "What do you think, @Reader Rui?" });

    const box = await inbox(reader);
    expect(box.items).toHaveLength(1);
    expect(box.items[0]).toMatchObject({
      kind: "mention",
      text: "Mei Lin mentioned you in “Pricing plans”",
      url: `/c/${community.slug}/posts/${post.id}`,
      readAt: null,
      community: { slug: community.slug, name: `Club ${community.slug}` },
      actor: { id: author.id, name: "Mei Lin" },
    });
    expect(box.unreadCount).toBe(1);
  });

  it("render in Traditional Chinese for a zh-Hant reader", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Mei Lin");
    const reader = await person(community, "王小明");
    await getDb(env).update(schema.users).set({ locale: "zh-Hant" }).where(eq(schema.users.id, reader.id));
    const space = await makeSpace(community);
    await makePost(space, author, { title: "付費模式", body: "@王小明 你覺得呢？" });
    const box = await inbox(reader);
    expect(box.items.map((n) => n.text)).toEqual(["Mei Lin 在「付費模式」中提到了你"]);
  });

  it("skip people who may not read the post: non-members, members below the tier, members not listed in a private space", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada", { role: "admin" });
    const outsider = await createUser({ name: "Outsider Oz" });
    const free = await person(community, "Free Fay");
    const unlisted = await person(community, "Unlisted Uma", { paidTier: "vip" });
    const listed = await person(community, "Listed Lee");
    const paid = await person(community, "Paid Pat", { paidTier: "member" });

    const members = await makeSpace(community, { minTier: "member" });
    await makePost(members, author, { title: "Members only", body: "@Outsider Oz @Free Fay @Paid Pat" });
    const secret = await makeSpace(community, { private: true, members: [listed] });
    await makePost(secret, author, { title: "Secret", body: "@Unlisted Uma @Listed Lee" });

    expect((await inbox(outsider)).items).toEqual([]);
    expect((await inbox(free)).items).toEqual([]);
    expect((await inbox(unlisted)).items).toEqual([]);
    expect((await inbox(paid)).items.map((n) => n.text)).toEqual(["Author Ada mentioned you in “Members only”"]);
    expect((await inbox(listed)).items.map((n) => n.text)).toEqual(["Author Ada mentioned you in “Secret”"]);
    // nothing was even stored for the people who could not read it
    const stored = await getDb(env).select().from(schema.notifications).where(eq(schema.notifications.userId, free.id));
    expect(stored).toEqual([]);
  });

  it("notify only newly mentioned people when a post is edited", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const first = await person(community, "First Fred");
    const second = await person(community, "Second Sam");
    const space = await makeSpace(community);
    const post = await makePost(space, author, { title: "Draft", body: "@First Fred" });
    await updatePost(post, { body: "@First Fred and @Second Sam" }, "post.updated");
    expect((await inbox(first)).items).toHaveLength(1);
    expect((await inbox(second)).items.map((n) => n.kind)).toEqual(["mention"]);
  });
});

describe("reply notifications", () => {
  it("tell the post's author about a comment and a comment's author about a reply", async () => {
    const community = await makeCommunity();
    const poster = await person(community, "Poster Po");
    const commenter = await person(community, "Commenter Cy");
    const replier = await person(community, "Replier Ray");
    const space = await apiSpace(community);
    const post = await writePost(space, poster, { title: "Book of the month" });
    const comment = await writeComment(post.id, commenter, "I vote for Dune");
    const reply = await writeComment(post.id, replier, "Seconded", comment.id);

    const posterBox = await inbox(poster);
    expect(posterBox.items.map((n) => n.text)).toEqual([
      "Replier Ray commented on your post “Book of the month”",
      "Commenter Cy commented on your post “Book of the month”",
    ]);
    const commenterBox = await inbox(commenter);
    expect(commenterBox.items).toHaveLength(1);
    expect(commenterBox.items[0]).toMatchObject({
      kind: "reply",
      text: "Replier Ray replied to your comment on “Book of the month”",
      url: `/c/${community.slug}/posts/${post.id}#comment-${reply.id}`,
    });
    // nobody is told about their own comment
    expect((await inbox(replier)).items).toEqual([]);
  });

  it("send one mention, not a reply too, to an author who is also mentioned", async () => {
    const community = await makeCommunity();
    const poster = await person(community, "Poster Po");
    const commenter = await person(community, "Commenter Cy");
    const space = await apiSpace(community);
    const post = await writePost(space, poster, { title: "Meetup" });
    await writeComment(post.id, commenter, "@Poster Po what time?");
    const box = await inbox(poster);
    expect(box.items.map((n) => [n.kind, n.text])).toEqual([["mention", "Commenter Cy mentioned you in a comment on “Meetup”"]]);
  });
});

describe("new posts in followed spaces", () => {
  it("notify followers who may read the space, never the author", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const fan = await person(community, "Fan Flo");
    const lapsed = await person(community, "Lapsed Lou");
    const space = await apiSpace(community, { name: "Announcements" });
    for (const user of [fan, author, lapsed]) expect((await call(`/api/v1/spaces/${space.id}/follow`, { as: user, body: {} })).status).toBe(200);
    expect((await call(`/api/v1/communities/${community.slug}/leave`, { as: lapsed, body: {} })).status).toBe(204);
    await writePost(space, author, { title: "We moved" });
    const fanBox = await eventually(() => inbox(fan), (box) => box.items.length > 0);
    expect(fanBox.items.map((n) => n.text)).toEqual(["Author Ada posted “We moved” in Announcements"]);
    // one queue message covered every follower: the others are as final as the fan's
    expect((await inbox(author)).items).toEqual([]);
    expect((await inbox(lapsed)).items).toEqual([]);
  });
});

describe("notification preferences", () => {
  it("are respected per kind: mentions, replies and new posts can each be switched off", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const quiet = await person(community, "Quiet Quinn");
    const keen = await person(community, "Keen Kim");
    const prefs = await call("/api/v1/me", { method: "PATCH", as: quiet, body: { notificationPrefs: { mentions: false, replies: false, new_posts: false } } });
    expect(prefs.status).toBe(200);
    const space = await makeSpace(community);
    await follow(space, quiet);
    await follow(space, keen);
    const mentioned = await makePost(space, author, { title: "Hi", body: "@Quiet Quinn" });
    const own = await makePost(space, quiet, { title: "Mine" });
    await makeComment(own, author, "Nice");
    await makeComment(mentioned, author, "@Quiet Quinn again");
    // a follower who wants new posts has heard of both, so the queued fan-out has run for Quinn too
    const keenBox = await eventually(() => inbox(keen), (box) => box.items.length >= 2);
    expect(keenBox.items.map((n) => n.kind)).toEqual(["new_post", "new_post"]);
    expect((await inbox(quiet)).items).toEqual([]);

    await call("/api/v1/me", { method: "PATCH", as: quiet, body: { notificationPrefs: { replies: true } } });
    await makeComment(own, author, "One more");
    expect((await inbox(quiet)).items.map((n) => n.kind)).toEqual(["reply"]);
  });
});

describe("reading notifications", () => {
  it("count unread ones, mark chosen ones or all read, and ignore other people's ids", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const reader = await person(community, "Reader Rui");
    const other = await person(community, "Other Oli");
    const space = await makeSpace(community);
    for (const title of ["One", "Two", "Three"]) await makePost(space, author, { title, body: "@Reader Rui @Other Oli" });
    expect(await unreadCount(reader)).toBe(3);

    const [newest] = (await inbox(reader)).items;
    const othersNewest = (await inbox(other)).items[0];
    const marked = await call("/api/v1/me/notifications/read", { as: reader, body: { ids: [newest.id, othersNewest.id] } });
    expect(marked.status).toBe(204);
    expect(await unreadCount(reader)).toBe(2);
    expect(await unreadCount(other)).toBe(3);

    const box = await inbox(reader);
    expect(box.items[0].readAt).not.toBeNull();
    expect(box.unreadCount).toBe(2);
    expect((await inbox(reader, "?unread=true")).items.map((n) => n.text)).toEqual([
      "Author Ada mentioned you in “Two”",
      "Author Ada mentioned you in “One”",
    ]);

    // no body at all marks everything read
    expect((await call("/api/v1/me/notifications/read", { as: reader, method: "POST" })).status).toBe(204);
    expect(await unreadCount(reader)).toBe(0);
    expect(await unreadCount(other)).toBe(3);
  });

  it("page newest first with a cursor", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const reader = await person(community, "Reader Rui");
    const space = await makeSpace(community);
    for (const title of ["A", "B", "C"]) await makePost(space, author, { title, body: "@Reader Rui" });
    const first = await inbox(reader, "?limit=2");
    expect(first.items.map((n) => n.text)).toEqual(["Author Ada mentioned you in “C”", "Author Ada mentioned you in “B”"]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await inbox(reader, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((n) => n.text)).toEqual(["Author Ada mentioned you in “A”"]);
    expect(second.nextCursor).toBeNull();
  });

  it("need a session", async () => {
    expect((await call("/api/v1/me/notifications")).status).toBe(401);
    expect((await call("/api/v1/me/notifications/unread-count")).status).toBe(401);
  });
});

describe("notifications about content the reader can no longer read", () => {
  it("disappear from the list and the unread count when the reader falls below the space's tier", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const reader = await person(community, "Reader Rui", { paidTier: "member" });
    const paid = await makeSpace(community, { minTier: "member" });
    const open = await makeSpace(community);
    await makePost(paid, author, { title: "Paid tips", body: "@Reader Rui" });
    await makePost(open, author, { title: "Open news", body: "@Reader Rui" });
    expect((await inbox(reader)).items).toHaveLength(2);

    await setTier(community, reader, "free");
    const box = await inbox(reader);
    expect(box.items.map((n) => n.text)).toEqual(["Author Ada mentioned you in “Open news”"]);
    expect(box.unreadCount).toBe(1);
    expect(await unreadCount(reader)).toBe(1);
  });

  it("disappear when the post is hidden or deleted, or the space is archived", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const reader = await person(community, "Reader Rui");
    const space = await makeSpace(community);
    const archived = await makeSpace(community);
    const hidden = await makePost(space, author, { title: "Hidden later", body: "@Reader Rui" });
    const deleted = await makePost(space, author, { title: "Deleted later", body: "@Reader Rui" });
    await makePost(archived, author, { title: "Archived later", body: "@Reader Rui" });
    await makePost(space, author, { title: "Stays", body: "@Reader Rui" });
    await updatePost(hidden, { hiddenAt: new Date() });
    await updatePost(deleted, { deletedAt: new Date() });
    await getDb(env).update(schema.spaces).set({ archivedAt: new Date() }).where(eq(schema.spaces.id, archived.id));
    expect((await inbox(reader)).items.map((n) => n.text)).toEqual(["Author Ada mentioned you in “Stays”"]);
    expect(await unreadCount(reader)).toBe(1);
  });
});

describe("notifications in the account's export and erasure", () => {
  it("are in the caller's export", async () => {
    const community = await makeCommunity();
    const author = await person(community, "Author Ada");
    const reader = await person(community, "Reader Rui");
    const post = await makePost(await makeSpace(community), author, { title: "Exported", body: "@Reader Rui" });
    const res = await call("/api/v1/me/export", { as: reader });
    expect(res.status).toBe(200);
    expect(res.body.notifications).toEqual([
      expect.objectContaining({ kind: "mention", subjectType: "post", subjectId: post.id, actorId: author.id, readAt: null }),
    ]);
  });

  it("go with an erased account; others' notifications it caused lose the actor, and mentions of and by it are deleted", async () => {
    const community = await makeCommunity();
    const leaving = await person(community, "Leaving Lena");
    const staying = await person(community, "Staying Stan");
    const space = await makeSpace(community);
    await makePost(space, staying, { title: "For Lena", body: "@Leaving Lena" });
    await makePost(space, leaving, { title: "From Lena", body: "@Staying Stan" });
    expect((await inbox(leaving)).items).toHaveLength(1);

    expect((await call("/api/v1/me", { method: "DELETE", as: leaving, body: { password: PASSWORD } })).status).toBe(204);
    const db = getDb(env);
    expect(await db.select().from(schema.notifications).where(eq(schema.notifications.userId, leaving.id))).toEqual([]);
    // mentions of them go once what mentions them shows "Deleted member" (the spine's user.renamed)
    await drainEvents();
    expect(await db.select().from(schema.mentions).where(eq(schema.mentions.mentionedUserId, leaving.id))).toEqual([]);
    expect(await db.select().from(schema.mentions).where(eq(schema.mentions.authorId, leaving.id))).toEqual([]);
    const box = await inbox(staying);
    expect(box.items.map((n) => [n.text, n.actor])).toEqual([["Someone mentioned you in “From Lena”", null]]);
  });
});
