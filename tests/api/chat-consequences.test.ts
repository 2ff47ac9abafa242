// What follows from a chat message through the spine (issue 12, ADR 025): search finds it with
// the rules posts follow, mentions notify readers by each member's channel level, export carries a
// member's messages and erasure anonymises them inside the channel objects. Messages go through
// the real routes and objects; the object's alarm forwards its outbox, drainEvents runs the spine.
import { runDurableObjectAlarm } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { channelStub } from "../../workers/domain/chat/channels";
import { processEvent } from "../../workers/domain/events/process";
import { rebuildSearchIndex } from "../../workers/domain/search/rebuild";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";
import { makeChat } from "../chat-fixtures";
import { addMember, db, env, makeCommunity, type TestCommunity } from "../community-fixtures";
import type { TestSpace } from "../discussion-fixtures";
import { call, createUser, ORIGIN, PASSWORD, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { search } from "../search-fixtures";
import { SELF } from "cloudflare:test";

type Sent = { id: string; seq: number; body: string };

async function send(space: TestSpace, as: TestUser, body: string): Promise<Sent> {
  const res = await call(`/api/v1/spaces/${space.id}/messages`, { as, body: { body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
}

/** The channels' outboxes forwarded to the spine (their alarms), then every event run. */
async function settle(...spaces: TestSpace[]) {
  for (const space of spaces) await runDurableObjectAlarm(channelStub(env, space.id) as never);
  await drainEvents();
}

/** Run an event's handlers again, as a second delivery after a crash between its writes and its record would. */
async function redeliver(kind: string, messageId: string) {
  const e = schema.domainEvents;
  const rows = await db().select({ id: e.id }).from(e).where(and(eq(e.kind, kind), eq(e.subjectId, messageId)));
  expect(rows).toHaveLength(1);
  await db().update(e).set({ status: "pending", handled: [], nextAttemptAt: new Date(0) }).where(eq(e.id, rows[0].id));
  await drainEvents();
}

const notificationsOf = (user: TestUser) => db().select().from(schema.notifications).where(eq(schema.notifications.userId, user.id));

const setLevel = async (space: TestSpace, as: TestUser, level: "all" | "mentions" | "none") =>
  expect((await call(`/api/v1/spaces/${space.id}/chat/notifications`, { as, method: "PUT", body: { level } })).status).toBe(200);

const hitIds = (page: { items: Array<{ id: string }> }) => page.items.map((h) => h.id);

describe("chat messages in search", () => {
  it("finds a message for readers of its channel, with the channel and a link, and not below the tier, unlisted in a private channel, or outside", async () => {
    const c = await makeCommunity();
    const vip = await addMember(c, { paidTier: "vip" });
    const free = await addMember(c);
    const listed = await addMember(c);
    const outsider = await createUser();
    const lounge = await makeChat(c, { minTier: "vip", name: "VIP lounge" });
    const backstage = await makeChat(c, { private: true, memberIds: [listed.id], name: "Backstage" });
    const inLounge = await send(lounge, c.owner, "The quarterly roadmap draft is up");
    const inBackstage = await send(backstage, c.owner, "Backstage roadmap notes");
    await settle(lounge, backstage);

    const seen = await search(c.slug, "roadmap", vip);
    expect(seen.items).toHaveLength(1);
    expect(seen.items[0]).toMatchObject({
      type: "message",
      id: inLounge.id,
      postId: null,
      spaceId: lounge.id,
      title: "VIP lounge",
      seq: inLounge.seq,
      url: `/c/${c.slug}/s/${lounge.id}?seq=${inLounge.seq}#msg-${inLounge.seq}`,
      author: { id: c.owner.id, name: c.owner.name },
    });
    expect(seen.items[0].snippet).toContain("<mark>roadmap</mark>");
    expect(hitIds(await search(c.slug, "roadmap", free))).toEqual([]);
    expect(hitIds(await search(c.slug, "roadmap", listed))).toEqual([inBackstage.id]);
    // a private community is not there at all for someone outside it
    expect((await call(`/api/v1/communities/${c.slug}/search?q=roadmap`, { as: outsider })).status).toBe(404);
  });

  it("indexes an edit again and forgets a deleted message", async () => {
    const c = await makeCommunity();
    const chat = await makeChat(c);
    const sent = await send(chat, c.owner, "Orange marmalade recipe");
    await settle(chat);
    expect(hitIds(await search(c.slug, "marmalade", c.owner))).toEqual([sent.id]);

    expect((await call(`/api/v1/messages/${sent.id}`, { as: c.owner, method: "PATCH", body: { body: "Lemon curd recipe" } })).status).toBe(200);
    await settle(chat);
    expect(hitIds(await search(c.slug, "marmalade", c.owner))).toEqual([]);
    expect(hitIds(await search(c.slug, "lemon curd", c.owner))).toEqual([sent.id]);

    expect((await call(`/api/v1/messages/${sent.id}`, { as: c.owner, method: "DELETE" })).status).toBeLessThan(300);
    await settle(chat);
    expect(hitIds(await search(c.slug, "lemon", c.owner))).toEqual([]);
    const docs = await env.SEARCH.prepare("SELECT count(*) AS n FROM search_docs WHERE doc_id = ?").bind(sent.id).first<{ n: number }>();
    expect(docs!.n).toBe(0);
    const notices = await call("/api/v1/me/notifications", { as: c.owner });
    expect([notices.body.items, notices.body.unreadCount]).toEqual([[], 0]);
  });

  it("finds a message by a one- or two-letter CJK word, as posts are found", async () => {
    const c = await makeCommunity();
    const chat = await makeChat(c, { name: "茶水間" });
    const sent = await send(chat, c.owner, "今晚一起喝珍奶嗎？");
    await send(chat, c.owner, "明天見");
    await settle(chat);
    expect(hitIds(await search(c.slug, "珍奶", c.owner))).toEqual([sent.id]);
    expect(hitIds(await search(c.slug, "喝", c.owner))).toEqual([sent.id]);
    // a bigram never spans punctuation
    expect(hitIds(await search(c.slug, "嗎明", c.owner))).toEqual([]);
    expect((await search(c.slug, "珍奶", c.owner)).items[0].title).toBe("茶水間");
  });

  it("keeps messages through a rebuild of the index, and drops them when their space is archived", async () => {
    const c = await makeCommunity();
    const chat = await makeChat(c);
    const sent = await send(chat, c.owner, "Pelican briefing at noon");
    await settle(chat);
    // a rebuild reads the main database, which holds no messages: they must survive it
    expect((await rebuildSearchIndex(env, c.id)).next).toBeNull();
    expect(hitIds(await search(c.slug, "pelican", c.owner))).toEqual([sent.id]);

    expect((await call(`/api/v1/spaces/${chat.id}`, { as: c.owner, method: "DELETE" })).status).toBeLessThan(300);
    expect(hitIds(await search(c.slug, "pelican", c.owner))).toEqual([]);
  });
});

describe("chat mentions and notifications", () => {
  it("tells a mentioned reader once, even when the event runs twice, and not a mentioned member who cannot read the channel", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c, { paidTier: "vip" });
    const carol = await addMember(c);
    const lounge = await makeChat(c, { minTier: "vip", name: "VIP lounge" });
    const sent = await send(lounge, c.owner, `Hey <@${bob.id}> and <@${carol.id}>, the plan is ready`);
    await settle(lounge);
    await redeliver("message.created", sent.id);

    const toBob = await notificationsOf(bob);
    expect(toBob.map((n) => [n.kind, n.subjectType, n.subjectId, n.actorId])).toEqual([["mention", "message", sent.id, c.owner.id]]);
    expect(await notificationsOf(carol)).toEqual([]);

    const listed = await call("/api/v1/me/notifications", { as: bob });
    expect(listed.status).toBe(200);
    expect(listed.body.unreadCount).toBe(1);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      kind: "mention",
      text: `${c.owner.name} mentioned you in VIP lounge`,
      url: `/c/${c.slug}/s/${lounge.id}?seq=${sent.seq}#msg-${sent.seq}`,
      title: "",
      spaceName: "VIP lounge",
      community: { slug: c.slug },
      actor: { id: c.owner.id, name: c.owner.name },
    });
    expect(listed.body.items[0].excerpt).toBe(`Hey @${bob.name} and @${carol.name}, the plan is ready`);
  });

  it("tells a member an edit newly mentions, and finds the message by a mentioned member's new name", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const chat = await makeChat(c);
    const sent = await send(chat, c.owner, "Who brings the projector?");
    await settle(chat);
    expect(await notificationsOf(bob)).toEqual([]);
    expect((await call(`/api/v1/messages/${sent.id}`, { as: c.owner, method: "PATCH", body: { body: `Who brings the projector? <@${bob.id}>` } })).status).toBe(200);
    await settle(chat);
    expect((await notificationsOf(bob)).map((n) => [n.kind, n.subjectId])).toEqual([["mention", sent.id]]);

    expect((await call("/api/v1/me", { as: bob, method: "PATCH", body: { name: "Quixotic Bartholomew" } })).status).toBe(200);
    expect(hitIds(await search(c.slug, "Bartholomew", c.owner))).toEqual([sent.id]);
  });

  it("writes the sentence in the reader's language", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const chat = await makeChat(c, { name: "茶水間" });
    await send(chat, c.owner, `<@${bob.id}> 看一下`);
    await settle(chat);
    await db().update(schema.users).set({ locale: "zh-Hant" }).where(eq(schema.users.id, bob.id));
    const listed = await call("/api/v1/me/notifications", { as: bob });
    expect(listed.body.items.map((n: { text: string }) => n.text)).toEqual([`${c.owner.name} 在「茶水間」中提到了你`]);
  });

  it("withdraws an unread mention when its message is deleted, and honours the mentions preference", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const quiet = await addMember(c);
    const chat = await makeChat(c);
    expect((await call("/api/v1/me", { method: "PATCH", as: quiet, body: { notificationPrefs: { mentions: false } } })).status).toBe(200);
    const sent = await send(chat, c.owner, `<@${bob.id}> <@${quiet.id}> look`);
    await settle(chat);
    expect(await notificationsOf(bob)).toHaveLength(1);
    expect(await notificationsOf(quiet)).toEqual([]);

    expect((await call(`/api/v1/messages/${sent.id}`, { as: c.owner, method: "DELETE" })).status).toBeLessThan(300);
    await settle(chat);
    expect(await notificationsOf(bob)).toEqual([]);
    expect((await call("/api/v1/me/notifications", { as: bob })).body.unreadCount).toBe(0);
  });

  it("follows each member's level: none hears nothing, mentions (the default) only mentions, all one notice per channel kept up to date", async () => {
    const c = await makeCommunity();
    const silent = await addMember(c);
    const usual = await addMember(c);
    const keen = await addMember(c);
    const talker = await addMember(c);
    const chat = await makeChat(c, { name: "Lounge" });
    await setLevel(chat, silent, "none");
    await setLevel(chat, keen, "all");

    await send(chat, c.owner, `<@${silent.id}> <@${usual.id}> first`);
    await settle(chat);
    expect(await notificationsOf(silent)).toEqual([]);
    expect((await notificationsOf(usual)).map((n) => n.kind)).toEqual(["mention"]);
    const [first] = await notificationsOf(keen);
    expect([first.kind, first.subjectType, first.subjectId, first.actorId]).toEqual(["new_message", "space", chat.id, c.owner.id]);

    // a second message updates the one notice: its author, its time, unread again
    await call("/api/v1/me/notifications/read", { as: keen, method: "POST", body: {} });
    const second = await send(chat, talker, "second");
    await settle(chat);
    expect((await notificationsOf(usual)).map((n) => n.kind)).toEqual(["mention"]);
    const [updated] = await notificationsOf(keen);
    expect(updated.id).toBe(first.id);
    expect(updated.actorId).toBe(talker.id);
    expect(updated.readAt).toBeNull();
    expect(updated.createdAt.getTime()).toBeGreaterThanOrEqual(first.createdAt.getTime());

    // the same event again changes nothing: read stays read
    await db().update(schema.notifications).set({ readAt: new Date() }).where(eq(schema.notifications.id, first.id));
    // (a space's plain message comes as the forward's chat.activity, subject the space)
    await redeliver("chat.activity", chat.id);
    const [again] = await notificationsOf(keen);
    expect(again.readAt).not.toBeNull();

    const listed = await call("/api/v1/me/notifications", { as: keen });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      kind: "new_message",
      text: `New messages in Lounge, the latest from ${talker.name}`,
      url: `/c/${c.slug}/s/${chat.id}`,
      excerpt: null,
      actor: { id: talker.id },
    });
  });
});

describe("chat events: one per consequence", () => {
  it("raises message.created for every mentioning message and one chat.activity per forward with each author's last plain one; notices, mentions and search follow as before", async () => {
    const c = await makeCommunity();
    const usual = await addMember(c);
    const keen = await addMember(c);
    const talker = await addMember(c);
    const chat = await makeChat(c, { name: "Lounge" });
    await setLevel(chat, keen, "all");
    await setLevel(chat, talker, "all");
    const ownerPlain = [await send(chat, c.owner, "zebrafish one"), await send(chat, c.owner, "plain two")];
    const talkerPlain = [await send(chat, talker, "talker one"), await send(chat, talker, "talker two")];
    const mentioning = await send(chat, c.owner, `<@${usual.id}> look`);
    const last = await send(chat, c.owner, "plain three");
    await settle(chat);
    const e = schema.domainEvents;
    const created = await db().select({ subjectId: e.subjectId }).from(e).where(and(eq(e.kind, "message.created"), eq(e.communityId, c.id)));
    expect(created.map((r) => r.subjectId)).toEqual([mentioning.id]);
    const activity = await db().select({ subjectId: e.subjectId, payload: e.payload }).from(e).where(and(eq(e.kind, "chat.activity"), eq(e.communityId, c.id)));
    expect(activity).toHaveLength(1);
    expect(activity[0].subjectId).toBe(chat.id);
    const payload = (typeof activity[0].payload === "string" ? JSON.parse(activity[0].payload) : activity[0].payload) as { latest: Array<{ seq: number; authorId: string }> };
    expect(payload.latest).toEqual([
      { seq: talkerPlain[1].seq, authorId: talker.id },
      { seq: last.seq, authorId: c.owner.id },
    ]);
    // keen heard the latest, talker heard the owner, the owner heard talker, usual was mentioned
    const [toKeen] = await notificationsOf(keen);
    expect([toKeen.kind, toKeen.actorId]).toEqual(["new_message", c.owner.id]);
    expect((await notificationsOf(talker)).map((n) => [n.kind, n.actorId])).toEqual([["new_message", c.owner.id]]);
    expect((await notificationsOf(usual)).map((n) => [n.kind, n.subjectId])).toEqual([["mention", mentioning.id]]);
    // search still has every message, the first plain one included
    expect(hitIds(await search(c.slug, "zebrafish", c.owner))).toEqual([ownerPlain[0].id]);
  });

  it("brings an 'all' notice up to the newest message still there that is not the reader's own, when the newest was deleted before the event ran", async () => {
    const c = await makeCommunity();
    const keen = await addMember(c);
    const talker = await addMember(c);
    const chat = await makeChat(c, { name: "Lounge" });
    await setLevel(chat, keen, "all");
    await setLevel(chat, talker, "all");
    await send(chat, talker, "from talker");
    await send(chat, keen, "keen's own");
    const gone = await send(chat, c.owner, "soon deleted");
    await runDurableObjectAlarm(channelStub(env, chat.id) as never);
    expect((await call(`/api/v1/messages/${gone.id}`, { method: "DELETE", as: c.owner })).status).toBeLessThan(300);
    await drainEvents();
    // keen: the owner's is gone and their own does not count, so talker's; talker: keen's
    expect((await notificationsOf(keen)).map((n) => [n.kind, n.actorId])).toEqual([["new_message", talker.id]]);
    expect((await notificationsOf(talker)).map((n) => [n.kind, n.actorId])).toEqual([["new_message", keen.id]]);
  });
});

describe("chat messages in export and erasure", () => {
  async function chatter(): Promise<{ c: TestCommunity; chat: TestSpace; person: TestUser; sent: Sent[] }> {
    const c = await makeCommunity();
    const person = await addMember(c);
    const chat = await makeChat(c);
    const sent = [await send(chat, person, "Secret salamander plans"), await send(chat, person, "Second thought")];
    await send(chat, c.owner, "Not theirs");
    await settle(chat);
    return { c, chat, person, sent };
  }

  it("exports the member's chat messages, in GET /me/export and in an export job alike", async () => {
    const { chat, person, sent } = await chatter();
    const inline = await call("/api/v1/me/export", { as: person });
    expect(inline.status).toBe(200);
    expect(inline.body.chatMessages.map((m: { id: string; spaceId: string; body: string }) => [m.id, m.spaceId, m.body])).toEqual(
      sent.map((m) => [m.id, chat.id, m.body]),
    );

    const started = await call("/api/v1/me/exports", { as: person, method: "POST" });
    expect(started.status).toBe(202);
    await drainEvents();
    const ready = await call(`/api/v1/me/exports/${started.body.export.id}`, { as: person });
    expect(ready.body.export.status).toBe("ready");
    const file = await SELF.fetch(`${ORIGIN}${ready.body.export.downloadUrl}`, { headers: { Cookie: person.cookie } });
    const archive = JSON.parse(await file.text());
    expect(archive.chatMessages).toEqual(inline.body.chatMessages);
  });

  it("anonymises an erased member's messages inside the channel object, takes them out of search and notices, and drops the chat_authors row", async () => {
    const { c, chat, person, sent } = await chatter();
    expect(hitIds(await search(c.slug, "salamander", c.owner))).toEqual([sent[0].id]);
    await send(chat, person, `<@${c.owner.id}> one more`);
    await settle(chat);
    expect((await call("/api/v1/me/notifications", { as: c.owner })).body.unreadCount).toBe(1);

    expect((await call("/api/v1/me", { as: person, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();

    const history = await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner });
    const theirs = history.body.items.filter((m: { id: string }) => sent.some((s) => s.id === m.id));
    expect(theirs.map((m: { author: { name: string }; body: string; html: string; deleted: boolean }) => [m.author.name, m.body, m.html, m.deleted])).toEqual([
      [DELETED_MEMBER_NAME, "", "", true],
      [DELETED_MEMBER_NAME, "", "", true],
    ]);
    expect(history.body.items.filter((m: { author: { name: string } }) => m.author.name === DELETED_MEMBER_NAME)).toHaveLength(3);
    expect(history.body.items.find((m: { body: string }) => m.body === "Not theirs")).toBeDefined();
    expect(hitIds(await search(c.slug, "salamander", c.owner))).toEqual([]);
    // gone from the index itself, not only hidden from results
    const docs = await env.SEARCH.prepare("SELECT count(*) AS n FROM search_docs WHERE doc_id IN (?, ?)").bind(sent[0].id, sent[1].id).first<{ n: number }>();
    expect(docs!.n).toBe(0);
    const notices = await call("/api/v1/me/notifications", { as: c.owner });
    expect([notices.body.items, notices.body.unreadCount]).toEqual([[], 0]);
    expect(await db().select().from(schema.chatAuthors).where(eq(schema.chatAuthors.userId, person.id))).toEqual([]);
  });

  it("retries the purge when the channel object cannot be reached, then anonymises", async () => {
    const { chat, person, c } = await chatter();
    expect((await call("/api/v1/me", { as: person, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    const [event] = await db()
      .select({ id: schema.domainEvents.id })
      .from(schema.domainEvents)
      .where(and(eq(schema.domainEvents.kind, "account.erased"), eq(schema.domainEvents.subjectId, person.id)));

    // the object refuses the first time (a network failure between the Worker and the object)
    let refusals = 0;
    const unreachable = new Proxy(env.CHAT_CHANNEL, {
      get(target, prop) {
        if (prop === "get") {
          return (...args: Parameters<typeof target.get>) =>
            new Proxy(target.get(...args), {
              get(stub, name) {
                if (name === "eraseAuthor") {
                  return async () => {
                    refusals += 1;
                    throw new Error("Durable Object unreachable");
                  };
                }
                const value = Reflect.get(stub, name);
                return typeof value === "function" ? value.bind(stub) : value;
              },
            });
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const first = await processEvent({ ...env, CHAT_CHANNEL: unreachable } as Env, event!.id);
    expect(first.outcome).toBe("retry");
    expect(refusals).toBe(1);
    const before = await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner });
    expect(before.body.items.map((m: { body: string }) => m.body)).toContain("Secret salamander plans");
    expect(await db().select().from(schema.chatAuthors).where(eq(schema.chatAuthors.userId, person.id))).toHaveLength(1);

    // after the backoff, with the object reachable again
    await drainEvents({ now: () => Date.now() + 60 * 60_000 });
    const after = await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner });
    expect(after.body.items.map((m: { body: string }) => m.body)).toEqual(["", "", "Not theirs"]);
    expect(await db().select().from(schema.chatAuthors).where(eq(schema.chatAuthors.userId, person.id))).toEqual([]);
  });
});
