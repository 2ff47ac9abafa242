// Faults a fresh tester found in DMs and blocks (issue 13): a block hid the blocked member's
// messages in history and on sockets but not in search, mention notices, the inbox's last line, a
// single message's quote or the missed-message mail; a group shrunk to two ignored a block; a third
// person could start a DM holding both; banned members were mailed DMs; POST
// /conversations/:id/read did not exist.
import { runDurableObjectAlarm } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { channelStub } from "../../workers/domain/chat/channels";
import { DM_NOT_ALLOWED } from "../../workers/domain/chat/object-side";
import { makeChat, sayForwarded, unreadCounts } from "../chat-fixtures";
import { addMember, db, env, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, PASSWORD, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { search } from "../search-fixtures";

const start = (c: TestCommunity, as: TestUser, others: TestUser[]) => call(`/api/v1/communities/${c.slug}/conversations`, { as, body: { memberIds: others.map((u) => u.id) } });
const block = async (c: TestCommunity, as: TestUser, who: TestUser) => expect((await call(`/api/v1/communities/${c.slug}/blocks`, { as, body: { userId: who.id } })).status).toBeLessThan(300);
const say = sayForwarded;
const later = (minutes: number) => drainEvents({ now: () => Date.now() + minutes * 60_000 });
const missedMail = (user: TestUser) => db().select().from(schema.outbox).where(and(eq(schema.outbox.userId, user.id), eq(schema.outbox.kind, "missed_messages")));

describe("a block hides the blocked member everywhere the blocker reads", () => {
  it("in search, mention notices, the inbox's last line, a single message's quote and the missed-message mail", async () => {
    const c = await makeCommunity();
    const lounge = await makeChat(c);
    const nina = await addMember(c);
    const otto = await addMember(c);
    const group = await start(c, nina, [otto, c.owner]);
    expect(group.status).toBe(201);
    const dm = group.body.conversation.id as string;
    await block(c, nina, otto);
    await say(lounge.id, otto, `zebraquokka in the lounge, <@${nina.id}>`);
    const inDm = await say(dm, otto, "zebraquokka in the group");
    // search: none of his chat messages
    expect((await search(c.slug, "zebraquokka", nina)).items).toEqual([]);
    expect((await search(c.slug, "zebraquokka", c.owner)).items).toHaveLength(2);
    // his mention of her told her nothing
    const notices = await call("/api/v1/me/notifications", { as: nina });
    expect(notices.body.items.filter((n: { actor: { id: string } | null }) => n.actor?.id === otto.id)).toEqual([]);
    // the inbox shows no last line of his: neither his words nor that he just wrote
    const list = await call(`/api/v1/communities/${c.slug}/conversations`, { as: nina });
    expect(list.body.items[0].lastMessage).toBeNull();
    // the owner replies to him: read alone, the reply quotes nothing of his
    const reply = await say(dm, c.owner, "noted", { replyTo: inDm.id });
    const read = await call(`/api/v1/messages/${reply.id}`, { as: nina });
    expect(read.status).toBe(200);
    expect(read.body.message.replyTo.excerpt).toBe("");
    // the mail of what she missed lists the owner's reply, not his messages
    await later(31);
    const [mail] = await missedMail(nina);
    expect(mail.text).toContain("noted");
    expect(mail.text).not.toContain("zebraquokka");
  });
});

describe("a block stands between two people however the DM comes about", () => {
  it("a group down to the two refuses sends either way, and a third person cannot start a DM holding both", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const bob = await addMember(c);
    const cat = await addMember(c);
    const group = await start(c, ann, [bob, cat]);
    const id = group.body.conversation.id as string;
    expect((await call(`/api/v1/conversations/${id}/leave`, { method: "POST", as: cat })).status).toBeLessThan(300);
    await block(c, ann, bob);
    const refused = await call(`/api/v1/conversations/${id}/messages`, { as: bob, body: { body: "still here?" } });
    expectError(refused, 403, "dm_not_allowed");
    expect(refused.body.error.message).toBe(DM_NOT_ALLOWED);
    expectError(await call(`/api/v1/conversations/${id}/messages`, { as: ann, body: { body: "bye" } }), 403, "dm_not_allowed");
    // cat starts a new group with both: refused, with the one message that names no one
    const third = await start(c, cat, [ann, bob]);
    expectError(third, 403, "dm_not_allowed");
    expect(third.body.error.message).toBe(DM_NOT_ALLOWED);
    // with either of them alone it is fine
    expect((await start(c, cat, [ann])).status).toBe(201);
  });
});

describe("DM read positions and who is mailed", () => {
  it("POST /conversations/:id/read moves the reader's position (unread 0) and answers 404 to anyone not in it", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const bob = await addMember(c);
    const eve = await addMember(c);
    const id = (await start(c, ann, [bob])).body.conversation.id as string;
    const sent = await say(id, ann, "one");
    await say(id, ann, "two");
    const before = await call(`/api/v1/communities/${c.slug}/conversations`, { as: bob });
    expect(before.body.items[0].unread).toBe(2);
    const res = await call(`/api/v1/conversations/${id}/read`, { as: bob, body: { seq: sent.seq + 100 } });
    expect(res.status).toBe(200);
    expect(res.body.unread).toBe(0);
    expectError(await call(`/api/v1/conversations/${id}/read`, { as: eve, body: { seq: 1 } }), 404, "not_found");
    expectError(await call(`/api/v1/conversations/${id}/read`, { as: bob, body: { seq: -1 } }), 400, "validation_failed");
  });

  it("mails nothing of a DM to a member banned from the community since", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const bob = await addMember(c);
    const id = (await start(c, ann, [bob])).body.conversation.id as string;
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: bob.id, reason: "spam" } })).status).toBeLessThan(300);
    // ann is alone in it now: her send is refused, and nothing reaches bob either way
    expectError(await call(`/api/v1/conversations/${id}/messages`, { as: ann, body: { body: "after the ban" } }), 403, "dm_not_allowed");
    await runDurableObjectAlarm(channelStub(env, id) as never);
    await drainEvents();
    await later(31);
    expect(await missedMail(bob)).toEqual([]);
  });

  it("lists a participant banned or removed from the community in none of the conversation's views, and a group down to two with a block refuses sends", async () => {
    const c = await makeCommunity();
    const [ann, bob, cat, dan] = [await addMember(c), await addMember(c), await addMember(c), await addMember(c)];
    const group = (await start(c, ann, [bob, cat, dan])).body.conversation.id as string;
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: bob.id, reason: "spam" } })).status).toBeLessThan(300);
    expect((await call(`/api/v1/communities/${c.slug}/members/${dan.id}`, { as: c.owner, method: "DELETE" })).status).toBeLessThan(300);
    const ids = (members: Array<{ id: string }>) => members.map((p) => p.id).sort();
    const one = await call(`/api/v1/conversations/${group}`, { as: ann });
    expect(ids(one.body.conversation.members)).toEqual([ann.id, cat.id].sort());
    const list = await call(`/api/v1/communities/${c.slug}/conversations`, { as: ann });
    expect(ids(list.body.items.find((i: { id: string }) => i.id === group).members)).toEqual([ann.id, cat.id].sort());
    await block(c, cat, ann);
    expectError(await call(`/api/v1/conversations/${group}/messages`, { as: ann, body: { body: "anyone?" } }), 403, "dm_not_allowed");
  });

  it("unread counts leave out the messages of members the reader blocked, in spaces and DMs, and count them again after unblocking", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [bob, cat, dan] = [await addMember(c), await addMember(c), await addMember(c)];
    const group = (await start(c, c.owner, [bob, cat, dan])).body.conversation.id as string;
    await block(c, c.owner, bob);
    await say(space.id, bob, "bob one");
    await say(space.id, bob, "bob two");
    await say(space.id, cat, "cat one");
    await say(group, bob, "bob in the group");
    await say(group, cat, "cat in the group");
    const unread = (as: TestUser) => unreadCounts(c, as);
    expect(await unread(c.owner)).toMatchObject({ [space.id]: 1, [group]: 1 });
    // dan, who blocked no one, counts everything
    expect(await unread(dan)).toMatchObject({ [space.id]: 3, [group]: 2 });
    const inbox = await call(`/api/v1/communities/${c.slug}/conversations`, { as: c.owner });
    expect([inbox.body.items[0].unread, inbox.body.unreadTotal]).toEqual([1, 1]);
    // read to the end, then the blocked member writes again: still nothing unread
    const head = (await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner })).body.head as number;
    expect((await call(`/api/v1/spaces/${space.id}/read`, { as: c.owner, body: { seq: head } })).status).toBe(200);
    await say(space.id, bob, "bob three");
    expect((await unread(c.owner))[space.id]).toBe(0);
    // unblocked: what they write counts again
    expect((await call(`/api/v1/communities/${c.slug}/blocks/${bob.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    await say(space.id, bob, "bob four");
    expect((await unread(c.owner))[space.id]).toBe(2);
    // blocked again, then erased: nothing of the pair stays behind
    await block(c, c.owner, bob);
    await say(space.id, bob, "bob five");
    const hiddenOf = (authorId: string) => db().select().from(schema.chatHidden).where(eq(schema.chatHidden.authorId, authorId));
    expect(await hiddenOf(bob.id)).toHaveLength(1);
    expect((await call("/api/v1/me", { as: bob, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    expect(await hiddenOf(bob.id)).toEqual([]);
  });

  it("a block hides the blocked member's notices raised before it, from the list and the count, until an unblock", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const dm = (await start(c, bob, [c.owner])).body.conversation.id as string;
    await say(dm, bob, "hello owner");
    const mine = async () => {
      const [list, count] = [await call("/api/v1/me/notifications", { as: c.owner }), await call("/api/v1/me/notifications/unread-count", { as: c.owner })];
      return [list.body.items.filter((n: { actor: { id: string } | null }) => n.actor?.id === bob.id).length, count.body.count ?? count.body.unreadCount];
    };
    expect(await mine()).toEqual([1, 1]);
    await block(c, c.owner, bob);
    expect(await mine()).toEqual([0, 0]);
    expect((await call(`/api/v1/communities/${c.slug}/blocks/${bob.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect(await mine()).toEqual([1, 1]);
  });
});
