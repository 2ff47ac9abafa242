// DM conversations, who may message me, and blocks (issue 13 part A, ADR 033), through the real
// routes, channel objects and spine: the same member set reaches the same conversation (also when
// creates race), only participants reach a conversation (404 for everyone else on every route),
// blocks and DM policies refuse with 403 dm_not_allowed, a blocker does not see the blocked
// member's messages, and DMs join export, erasure, search and private uploads.
import { runDurableObjectAlarm } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { channelStub } from "../../workers/domain/chat/channels";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";
import { DM_NOT_ALLOWED } from "../../workers/domain/chat/object-side";
import { makeChat } from "../chat-fixtures";
import { addMember, db, env, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace } from "../discussion-fixtures";
import { call, createUser, PASSWORD, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { search } from "../search-fixtures";
import type { SearchHit } from "../../workers/domain/search/query";
import { fetchUpload, png, postUpload } from "../upload-fixtures";

type Conversation = { id: string; kind: "direct" | "group"; name: string | null; members: Array<{ id: string; name: string; online: boolean }> };

const start = (c: TestCommunity, as: TestUser, memberIds: string[], name?: string) =>
  call(`/api/v1/communities/${c.slug}/conversations`, { as, body: { memberIds, ...(name !== undefined ? { name } : {}) } });

async function started(c: TestCommunity, as: TestUser, others: TestUser[], name?: string): Promise<Conversation> {
  const res = await start(c, as, others.map((u) => u.id), name);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation;
}

async function say(conversationId: string, as: TestUser, body: string): Promise<{ id: string; seq: number; body: string }> {
  const res = await call(`/api/v1/conversations/${conversationId}/messages`, { as, body: { body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
}

const bodies = (res: { body: { items: Array<{ body: string }> } }) => res.body.items.map((m) => m.body);
const history = (conversationId: string, as: TestUser) => call(`/api/v1/conversations/${conversationId}/messages`, { as });
const setPolicy = async (c: TestCommunity, as: TestUser, policy: string) =>
  expect((await call(`/api/v1/communities/${c.slug}/dm-settings`, { as, method: "PUT", body: { policy } })).status).toBe(200);
const block = async (c: TestCommunity, as: TestUser, who: TestUser) =>
  expect((await call(`/api/v1/communities/${c.slug}/blocks`, { as, body: { userId: who.id } })).status).toBe(201);

/** The conversation's outbox forwarded (its alarm), then the spine's events run. */
async function settle(conversationId: string) {
  await runDurableObjectAlarm(channelStub(env, conversationId) as never);
  await drainEvents();
}

describe("starting a conversation", () => {
  it("reaches the same conversation for the same member set, whoever starts it and in any order (201, then 200)", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const first = await start(c, c.owner, [ann.id, bob.id], "Planning");
    expect(first.status).toBe(201);
    expect(first.body.conversation).toMatchObject({ kind: "group", name: "Planning" });
    expect(first.body.conversation.members.map((m: { id: string }) => m.id).sort()).toEqual([c.owner.id, ann.id, bob.id].sort());
    const again = await start(c, bob, [c.owner.id, ann.id, bob.id]);
    expect([again.status, again.body.conversation.id]).toEqual([200, first.body.conversation.id]);
    const direct = await start(c, ann, [bob.id]);
    expect([direct.status, direct.body.conversation.kind, direct.body.conversation.name]).toEqual([201, "direct", null]);
    expect((await start(c, bob, [ann.id])).body.conversation.id).toBe(direct.body.conversation.id);
  });

  it("creates one conversation when the same set is started five times at once", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const results = await Promise.all([c.owner, ann, c.owner, ann, c.owner].map((as) => start(c, as, [c.owner.id, ann.id])));
    const ids = new Set(results.map((r) => r.body.conversation.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(4);
    const [id] = [...ids];
    const rows = await db().select().from(schema.conversations).where(eq(schema.conversations.communityId, c.id));
    expect(rows.map((r) => r.id)).toEqual([id]);
    const members = await db().select().from(schema.conversationMembers).where(eq(schema.conversationMembers.conversationId, id));
    expect(members.map((m) => m.userId).sort()).toEqual([c.owner.id, ann.id].sort());
  });

  it("answers 400 for 21 people (20 others and you), and starts a group of 20", async () => {
    const c = await makeCommunity();
    const others = await Promise.all(Array.from({ length: 20 }, () => addMember(c)));
    const tooMany = await start(c, c.owner, others.map((u) => u.id));
    expectError(tooMany, 400, "validation_failed");
    expect(tooMany.body.error.issues[0]).toMatchObject({ path: "memberIds", code: "too_big" });
    const twenty = await start(c, c.owner, others.slice(0, 19).map((u) => u.id));
    expect(twenty.status).toBe(201);
    expect(twenty.body.conversation.members).toHaveLength(20);
    // 21 ids in the body are refused by the schema alike
    expectError(await start(c, c.owner, [...others.map((u) => u.id), c.owner.id]), 400, "validation_failed");
  });

  it("answers 400 for nobody else, a non-member, a name on a 1:1 and a group name against the name rule", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const stranger = await createUser();
    expectError(await start(c, c.owner, [c.owner.id]), 400, "validation_failed");
    expectError(await start(c, c.owner, [stranger.id]), 400, "validation_failed");
    expectError(await start(c, c.owner, [ann.id], "Just us"), 400, "validation_failed");
    // a group's name follows the name rule of every name (schemas/common.ts NameField)
    const bob = await addMember(c);
    const invisible = await start(c, c.owner, [ann.id, bob.id], "\u200B");
    expectError(invisible, 400, "validation_failed");
    expect(invisible.body.error.issues[0]).toMatchObject({ path: "name", code: "name_invisible" });
    expect((await start(c, c.owner, [ann.id, bob.id], "  Tea   club ")).body.conversation.name).toBe("Tea club");
  });
});

describe("only participants reach a conversation", () => {
  it("answers 404 on every route and the socket to a non-member, a member not in it, a member of another community and one who left; 401 signed out", async () => {
    const c = await makeCommunity();
    const [ann, bob, carol, dave] = [await addMember(c), await addMember(c), await addMember(c), await addMember(c)];
    const other = await makeCommunity();
    const elsewhere = await addMember(other);
    const stranger = await createUser();
    const group = await started(c, ann, [bob, dave]);
    const message = await say(group.id, ann, "just between us");
    expect((await call(`/api/v1/conversations/${group.id}/leave`, { as: dave, method: "POST" })).status).toBe(204);

    const routes: Array<[string, string, unknown?]> = [
      ["GET", `/api/v1/conversations/${group.id}`],
      ["PATCH", `/api/v1/conversations/${group.id}`, { name: "Mine now" }],
      ["POST", `/api/v1/conversations/${group.id}/leave`],
      ["GET", `/api/v1/conversations/${group.id}/messages`],
      ["POST", `/api/v1/conversations/${group.id}/messages`, { body: "let me in" }],
      ["GET", `/api/v1/messages/${message.id}`],
      ["PATCH", `/api/v1/messages/${message.id}`, { body: "edited" }],
      ["DELETE", `/api/v1/messages/${message.id}`],
      ["PUT", `/api/v1/messages/${message.id}/reactions/${encodeURIComponent("👍")}`],
      ["DELETE", `/api/v1/messages/${message.id}/reactions/${encodeURIComponent("👍")}`],
      ["GET", `/api/v1/conversations/${group.id}/socket`],
    ];
    const answers: string[] = [];
    for (const who of [carol, elsewhere, stranger, dave]) {
      for (const [method, path, body] of routes) {
        const headers = path.endsWith("/socket") ? { Upgrade: "websocket" } : undefined;
        const res = await call(path, { method, as: who, body, headers });
        answers.push(`${method} ${path}: ${res.status} ${res.body?.error?.code}`);
      }
    }
    expect(answers.filter((a) => !a.endsWith("404 not_found"))).toEqual([]);
    for (const [method, path, body] of routes) expectError(await call(path, { method, as: null, body }), 401, "unauthenticated");
    // nothing they sent changed it
    expect(bodies(await history(group.id, ann))).toEqual(["just between us"]);
    expect((await call(`/api/v1/conversations/${group.id}`, { as: bob })).body.conversation.name).toBe(null);
  });

  it("lets participants edit, react to and pin messages; a community moderator has no power over others' DMs", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const group = await started(c, ann, [mod, c.owner]);
    const message = await say(group.id, ann, "original");
    expectError(await call(`/api/v1/messages/${message.id}`, { method: "PATCH", as: mod, body: { body: "moderated" } }), 403, "forbidden");
    expectError(await call(`/api/v1/messages/${message.id}`, { method: "DELETE", as: c.owner }), 403, "forbidden");
    const pinned = await call(`/api/v1/messages/${message.id}`, { method: "PATCH", as: ann, body: { body: "edited", pinned: true } });
    expect([pinned.status, pinned.body.message.body, pinned.body.message.pinned]).toEqual([200, "edited", true]);
    const reacted = await call(`/api/v1/messages/${message.id}/reactions/${encodeURIComponent("👍")}`, { method: "PUT", as: mod });
    expect(reacted.body.message.reactions).toEqual([{ emoji: "👍", count: 1, userIds: [mod.id] }]);
  });
});

describe("renaming and leaving", () => {
  it("lets any participant rename a group and leave it; a 1:1 cannot be renamed (400) or left (409)", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const group = await started(c, c.owner, [ann, bob]);
    const renamed = await call(`/api/v1/conversations/${group.id}`, { method: "PATCH", as: bob, body: { name: "Book club" } });
    expect([renamed.status, renamed.body.conversation.name]).toEqual([200, "Book club"]);
    expect((await call(`/api/v1/conversations/${group.id}/leave`, { method: "POST", as: bob })).status).toBe(204);
    const after = await call(`/api/v1/conversations/${group.id}`, { as: ann });
    expect(after.body.conversation.members.map((m: { id: string }) => m.id).sort()).toEqual([c.owner.id, ann.id].sort());
    expect((await call(`/api/v1/communities/${c.slug}/conversations`, { as: bob })).body.items).toEqual([]);
    // a group down to two keeps no key: "Message" between those two starts a fresh 1:1
    const [row] = await db().select().from(schema.conversations).where(eq(schema.conversations.id, group.id));
    expect(row.memberKey).toBeNull();
    const fresh = await call(`/api/v1/communities/${c.slug}/conversations`, { as: ann, body: { memberIds: [c.owner.id] } });
    expect([fresh.status, fresh.body.conversation.kind, fresh.body.conversation.id === group.id]).toEqual([201, "direct", false]);

    const direct = await started(c, ann, [bob]);
    expectError(await call(`/api/v1/conversations/${direct.id}`, { method: "PATCH", as: ann, body: { name: "Us" } }), 400, "validation_failed");
    expectError(await call(`/api/v1/conversations/${direct.id}/leave`, { method: "POST", as: ann }), 409, "conflict");
  });
});

describe("the conversation list", () => {
  it("reads each conversation's last message and unread count from chat_heads and chat_reads (unread never below 0), newest activity first", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const quiet = await started(c, c.owner, [bob]);
    const busy = await started(c, c.owner, [ann]);
    const at = new Date("2026-11-30T12:00:00Z");
    await db().insert(schema.chatHeads).values([
      { channelId: busy.id, communityId: c.id, lastSeq: 9, messageCount: 7, lastMessageAt: at, lastExcerpt: "see you", lastAuthorId: ann.id },
      { channelId: quiet.id, communityId: c.id, lastSeq: 2, messageCount: 2, lastMessageAt: new Date(at.getTime() - 60_000), lastExcerpt: "hi", lastAuthorId: bob.id },
    ]);
    await db().insert(schema.chatReads).values([
      { channelId: busy.id, userId: c.owner.id, readSeq: 4, readCount: 3 },
      // a read count past the head (a mirror that raced) counts as nothing unread
      { channelId: quiet.id, userId: c.owner.id, readSeq: 2, readCount: 5 },
    ]);
    const list = await call(`/api/v1/communities/${c.slug}/conversations`, { as: c.owner });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: string; unread: number }) => [i.id, i.unread])).toEqual([
      [busy.id, 4],
      [quiet.id, 0],
    ]);
    expect(list.body.items[0].lastMessage).toEqual({ excerpt: "see you", authorId: ann.id, at: at.toISOString(), seq: 9 });
    expect(list.body.unreadTotal).toBe(4);
    // ann has read nothing: all seven
    const anns = await call(`/api/v1/communities/${c.slug}/conversations`, { as: ann });
    expect([anns.body.items.map((i: { unread: number }) => i.unread), anns.body.unreadTotal]).toEqual([[7], 7]);
    // one a page: the cursor walks on
    const page = await call(`/api/v1/communities/${c.slug}/conversations?limit=1`, { as: c.owner });
    const next = await call(`/api/v1/communities/${c.slug}/conversations?limit=1&cursor=${page.body.nextCursor}`, { as: c.owner });
    expect([page.body.items[0].id, next.body.items[0].id, next.body.nextCursor]).toEqual([busy.id, quiet.id, null]);
  });
});

describe("who may message me", () => {
  it("keeps a member's DM policy, everyone by default", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    expect((await call(`/api/v1/communities/${c.slug}/dm-settings`, { as: ann })).body).toEqual({ policy: "everyone" });
    await setPolicy(c, ann, "shared_space");
    expect((await call(`/api/v1/communities/${c.slug}/dm-settings`, { as: ann })).body).toEqual({ policy: "shared_space" });
    expectError(await call(`/api/v1/communities/${c.slug}/dm-settings`, { as: ann, method: "PUT", body: { policy: "friends" } }), 400, "validation_failed");
  });

  it("refuses a new DM to a member at 'nobody' with 403 dm_not_allowed (the same answer in a group), and lets a moderator through", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const mod = await addMember(c, { role: "moderator" });
    await setPolicy(c, ann, "nobody");
    const refused = await start(c, bob, [ann.id]);
    expectError(refused, 403, "dm_not_allowed");
    expect(refused.body.error.message).toBe(DM_NOT_ALLOWED);
    const inGroup = await start(c, bob, [ann.id, mod.id]);
    // the same answer, naming neither the member nor the rule
    expect(inGroup.body).toEqual(refused.body);
    expect((await start(c, mod, [ann.id])).status).toBe(201);
  });

  it("lets 'shared_space' members be reached only by members of a space both may read", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    await setPolicy(c, ann, "shared_space");
    // the community has no open space yet: nothing is shared
    expectError(await start(c, bob, [ann.id]), 403, "dm_not_allowed");
    const backroom = await makeSpace(c, { private: true, name: "Backroom" });
    expect((await call(`/api/v1/spaces/${backroom.id}/members`, { as: c.owner, body: { userIds: [ann.id] } })).status).toBeLessThan(300);
    expectError(await start(c, bob, [ann.id]), 403, "dm_not_allowed");
    expect((await call(`/api/v1/spaces/${backroom.id}/members`, { as: c.owner, body: { userIds: [bob.id] } })).status).toBeLessThan(300);
    expect((await start(c, bob, [ann.id])).status).toBe(201);
    // an open space counts for everyone
    const carol = await addMember(c);
    await makeSpace(c, { name: "Lobby" });
    expect((await start(c, carol, [ann.id])).status).toBe(201);
  });
});

describe("blocks", () => {
  it("lists, adds and removes blocks; refuses blocking yourself (400) and a non-member (404)", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const stranger = await createUser();
    await block(c, c.owner, ann);
    await block(c, c.owner, ann);
    const list = await call(`/api/v1/communities/${c.slug}/blocks`, { as: c.owner });
    expect(list.body.items.map((b: { user: { id: string; name: string } }) => b.user)).toEqual([{ id: ann.id, name: ann.name }]);
    expectError(await call(`/api/v1/communities/${c.slug}/blocks`, { as: c.owner, body: { userId: c.owner.id } }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/blocks`, { as: c.owner, body: { userId: stranger.id } }), 404, "not_found");
    expect((await call(`/api/v1/communities/${c.slug}/blocks/${ann.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/communities/${c.slug}/blocks`, { as: c.owner })).body.items).toEqual([]);
  });

  it("refuses a new DM either way with 403 dm_not_allowed, moderators included, and new sends in an existing 1:1", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const direct = await started(c, ann, [mod]);
    await say(direct.id, mod, "before the block");
    await block(c, ann, mod);
    expectError(await start(c, mod, [ann.id, c.owner.id]), 403, "dm_not_allowed");
    expectError(await start(c, ann, [mod.id, c.owner.id]), 403, "dm_not_allowed");
    for (const as of [ann, mod]) {
      const refused = await call(`/api/v1/conversations/${direct.id}/messages`, { as, body: { body: "after the block" } });
      expectError(refused, 403, "dm_not_allowed");
      expect(refused.body.error.message).toBe(DM_NOT_ALLOWED);
    }
    // the history stays readable; an unblock opens it again
    expect(bodies(await history(direct.id, mod))).toEqual(["before the block"]);
    expect((await call(`/api/v1/communities/${c.slug}/blocks/${mod.id}`, { as: ann, method: "DELETE" })).status).toBe(204);
    await say(direct.id, ann, "talking again");
  });

  it("leaves the blocked member's messages out of the blocker's history, in chat spaces and group DMs, and only theirs", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const chat = await makeChat(c);
    const group = await started(c, c.owner, [ann, bob]);
    for (const [as, body] of [
      [ann, "ann in the lounge"],
      [bob, "bob in the lounge"],
    ] as const) {
      expect((await call(`/api/v1/spaces/${chat.id}/messages`, { as, body: { body } })).status).toBe(201);
      await say(group.id, as, body.replace("lounge", "group"));
    }
    const bobs = await say(group.id, bob, "bob pins this");
    await call(`/api/v1/messages/${bobs.id}`, { method: "PATCH", as: ann, body: { pinned: true } });
    const bobsLounge = (await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner })).body.items[1];
    const reply = await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner, body: { body: "replying to bob", replyTo: bobsLounge.id } });
    expect(reply.body.message.replyTo.excerpt).toBe("bob in the lounge");
    await block(c, ann, bob);
    const lounge = await call(`/api/v1/spaces/${chat.id}/messages`, { as: ann });
    expect(bodies(lounge)).toEqual(["ann in the lounge", "replying to bob"]);
    // a reply to the blocked member quotes nothing of theirs
    expect(lounge.body.items[1].replyTo).toMatchObject({ id: bobsLounge.id, excerpt: "" });
    const annGroup = await history(group.id, ann);
    expect([bodies(annGroup), annGroup.body.pinned]).toEqual([["ann in the group"], []]);
    expectError(await call(`/api/v1/messages/${bobs.id}`, { as: ann }), 404, "not_found");
    // a page of nothing but hidden messages still leads on to the older ones
    const newest = await call(`/api/v1/conversations/${group.id}/messages?limit=2`, { as: ann });
    expect(newest.body.items).toEqual([]);
    const older = await call(`/api/v1/conversations/${group.id}/messages?limit=2&before=${newest.body.nextCursor}`, { as: ann });
    expect([bodies(older), older.body.nextCursor]).toEqual([["ann in the group"], null]);
    // everyone else sees everything
    expect(bodies(await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner }))).toEqual(["ann in the lounge", "bob in the lounge", "replying to bob"]);
    expect(bodies(await history(group.id, bob))).toEqual(["ann in the group", "bob in the group", "bob pins this"]);
  });
});

describe("DMs in data rights, search and uploads", () => {
  it("exports a member's DM messages under their conversation, and anonymises them on erasure", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const direct = await started(c, ann, [bob]);
    const mine = await say(direct.id, ann, "my secret recipe");
    await say(direct.id, bob, "not ann's");
    await block(c, ann, c.owner);
    await settle(direct.id);
    const exported = await call("/api/v1/me/export", { as: ann });
    expect(exported.body.chatMessages.map((m: { id: string; conversationId: string; body: string }) => [m.id, m.conversationId, m.body])).toEqual([
      [mine.id, direct.id, "my secret recipe"],
    ]);
    // the rows around them: whom they blocked, the conversations they are in, who may message them
    expect(exported.body.blocks).toEqual([{ community: { id: c.id, slug: c.slug, name: expect.any(String) }, blocked: { id: c.owner.id, name: c.owner.name }, createdAt: expect.any(String) }]);
    expect(exported.body.conversations).toEqual([{ community: { id: c.id, slug: c.slug, name: expect.any(String) }, id: direct.id, kind: "direct", name: null, joinedAt: expect.any(String), leftAt: null }]);
    expect(exported.body.memberships.map((m: { dmPolicy: string }) => m.dmPolicy)).toEqual(["everyone"]);
    // being blocked is the blocker's record: the owner's archive does not say ann blocked them
    expect((await call("/api/v1/me/export", { as: c.owner })).body.blocks).toEqual([]);

    expect((await call("/api/v1/me", { as: ann, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    const seen = await history(direct.id, bob);
    expect(seen.body.items.map((m: { author: { name: string }; body: string }) => [m.author.name, m.body])).toEqual([
      [DELETED_MEMBER_NAME, ""],
      [bob.name, "not ann's"],
    ]);
    // the rows around the messages: blocks gone, the conversation left
    expect(await db().select().from(schema.blocks).where(eq(schema.blocks.blockerId, ann.id))).toEqual([]);
    const [membership] = await db()
      .select()
      .from(schema.conversationMembers)
      .where(and(eq(schema.conversationMembers.conversationId, direct.id), eq(schema.conversationMembers.userId, ann.id)));
    expect(membership.leftAt).not.toBeNull();
  });

  it("finds a DM message for its conversation's active participants only", async () => {
    const c = await makeCommunity();
    const [ann, bob, carol] = [await addMember(c), await addMember(c), await addMember(c)];
    const group = await started(c, ann, [bob, carol]);
    // a private space bob is not listed in: his search filters by the spaces he may read, and
    // his conversations are listed with them
    await makeSpace(c, { private: true, name: "Staff" });
    const sent = await say(group.id, ann, "the quokka itinerary");
    await settle(group.id);
    const found = await search(c.slug, "quokka", bob);
    expect(found.items.map((h) => [h.id, h.type, h.spaceId])).toEqual([[sent.id, "message", group.id]]);
    // the answer carries each hit's page (search-posts.ts hitUrl)
    expect((found.items[0] as SearchHit & { url: string }).url).toBe(`/c/${c.slug}/messages/${group.id}?seq=${sent.seq}#msg-${sent.seq}`);
    expect((await search(c.slug, "quokka", c.owner)).items).toEqual([]);
    expect((await call(`/api/v1/conversations/${group.id}/leave`, { method: "POST", as: carol })).status).toBe(204);
    expect((await search(c.slug, "quokka", carol)).items).toEqual([]);
    expect((await search(c.slug, "quokka", ann)).items.map((h) => h.id)).toEqual([sent.id]);
  });

  it("keeps a DM image private to the conversation's participants", async () => {
    const c = await makeCommunity();
    const [ann, bob, carol] = [await addMember(c), await addMember(c), await addMember(c)];
    const direct = await started(c, ann, [bob]);
    expectError(await postUpload(carol, png(), { conversationId: direct.id }), 404, "not_found");
    const upload = await postUpload(ann, png(), { conversationId: direct.id });
    expect(upload.status).toBe(201);
    const sent = await call(`/api/v1/conversations/${direct.id}/messages`, { as: ann, body: { body: "look", imageIds: [upload.body.id] } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.message.images.map((i: { url: string }) => i.url)).toEqual([upload.body.url]);
    expect((await fetchUpload(upload.body.url, bob)).status).toBe(200);
    expect((await fetchUpload(upload.body.url, carol)).status).toBe(404);
    expect((await fetchUpload(upload.body.url, null)).status).toBe(404);
    // an image for this conversation cannot go into a chat space
    const chat = await makeChat(c);
    expectError(await call(`/api/v1/spaces/${chat.id}/messages`, { as: ann, body: { body: "here too", imageIds: [upload.body.id] } }), 400, "validation_failed");
  });
});
