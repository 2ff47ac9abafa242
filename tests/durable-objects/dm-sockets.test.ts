// DM conversations and blocks on real WebSockets (issue 13 part A, ADR 033): a conversation's
// object speaks the chat protocol to its participants only; a blocker's sockets leave the blocked
// member's messages out (live and in a resume), and close with 4409 when a block changes; a 1:1
// under a block refuses sends; leaving, removal and bans close a member's DM sockets (4403).
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMember, env, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { clientId, connected, isAck, isError, makeChat, openSocket } from "../chat-fixtures";
import { channelStub } from "../../workers/domain/chat/channels";
import { CloseCode, IdentityHeader, MAX_HIDDEN_AUTHORS, type ServerFrame } from "../../durable-objects/protocol";
import { newId } from "../../workers/lib/ids";

async function started(c: TestCommunity, as: TestUser, others: TestUser[]): Promise<string> {
  const res = await call(`/api/v1/communities/${c.slug}/conversations`, { as, body: { memberIds: others.map((u) => u.id) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id;
}

const block = async (c: TestCommunity, as: TestUser, who: TestUser) =>
  expect((await call(`/api/v1/communities/${c.slug}/blocks`, { as, body: { userId: who.id } })).status).toBe(201);
const unblock = async (c: TestCommunity, as: TestUser, who: TestUser) =>
  expect((await call(`/api/v1/communities/${c.slug}/blocks/${who.id}`, { as, method: "DELETE" })).status).toBe(204);

const bodiesOf = (messages: Array<{ body: string }>) => messages.map((m) => m.body);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a conversation's socket", () => {
  it("carries the conversation's messages live to its participants, and is 404 to everyone else", async () => {
    const c = await makeCommunity();
    const [ann, bob, carol] = [await addMember(c), await addMember(c), await addMember(c)];
    const id = await started(c, ann, [bob]);
    const a = await connected(id, ann);
    const b = await connected(id, bob);
    const cid = clientId();
    a.send({ type: "send", clientId: cid, body: "hello bob" });
    await a.next(isAck(cid));
    expect(bodiesOf(await b.waitForMessages(1))).toEqual(["hello bob"]);
    for (const who of [carol, await createUser()]) expect((await openSocket(id, who)).status).toBe(404);
    expect((await openSocket(id, null)).status).toBe(401);
    // a made-up conversation answers the same
    expect((await openSocket(newId("dm"), carol)).status).toBe(404);
  });

  it("closes a member's DM sockets when they leave the group, are removed or are banned (4403), and refuses them afterwards", async () => {
    const c = await makeCommunity();
    const [ann, bob, carol, dave, eve] = [await addMember(c), await addMember(c), await addMember(c), await addMember(c), await addMember(c)];
    const group = await started(c, ann, [bob, carol, dave, eve]);
    const direct = await started(c, carol, [dave]);
    const leaving = await connected(group, bob);
    expect((await call(`/api/v1/conversations/${group}/leave`, { as: bob, method: "POST" })).status).toBe(204);
    expect((await leaving.closed).code).toBe(CloseCode.accessRevoked);
    expect((await openSocket(group, bob)).status).toBe(404);

    const removedInGroup = await connected(group, carol);
    const removedInDirect = await connected(direct, carol);
    expect((await call(`/api/v1/communities/${c.slug}/members/${carol.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await removedInGroup.closed).code).toBe(CloseCode.accessRevoked);
    expect((await removedInDirect.closed).code).toBe(CloseCode.accessRevoked);
    expect((await openSocket(direct, carol)).status).toBe(404);

    const banned = await connected(group, dave);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: dave.id, reason: "spam" } })).status).toBe(201);
    expect((await banned.closed).code).toBe(CloseCode.accessRevoked);
    // those who stayed keep their sockets and write to each other
    const stays = await connected(group, ann);
    stays.send({ type: "send", clientId: clientId(), body: "still here" });
    expect(bodiesOf(await stays.waitForMessages(1))).toEqual(["still here"]);
    // with eve gone from the community too, no one would read what ann sends: refused
    expect((await call(`/api/v1/communities/${c.slug}/members/${eve.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    // ann's socket reconnects as the new facts (4409), and her sends are refused
    expect((await stays.closed).code).toBe(CloseCode.refresh);
    expectError(await call(`/api/v1/conversations/${group}/messages`, { as: ann, body: { body: "anyone?" } }), 403, "dm_not_allowed");
  });

  it("refuses a socket's send in a 1:1 where a block stands (error frame dm_not_allowed), for both members", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const id = await started(c, ann, [bob]);
    await block(c, bob, ann);
    for (const as of [ann, bob]) {
      const s = await connected(id, as);
      const cid = clientId();
      s.send({ type: "send", clientId: cid, body: "can you hear me" });
      const refused = await s.next((f): f is Extract<ServerFrame, { type: "error" }> => isError(f) && f.clientId === cid);
      expect([refused.code, refused.message]).toEqual(["dm_not_allowed", "You cannot message one of these members."]);
    }
    expect((await call(`/api/v1/conversations/${id}/messages`, { as: ann })).body.items).toEqual([]);
  });
});

describe("a blocker's sockets", () => {
  it("leave the blocked member's messages out, live and in a resume, in a chat space and a group DM; other sockets get everything", async () => {
    const c = await makeCommunity();
    const [ann, bob, carol] = [await addMember(c), await addMember(c), await addMember(c)];
    const chat = await makeChat(c);
    const group = await started(c, ann, [bob, carol]);
    await block(c, ann, bob);
    for (const channel of [chat.id, group]) {
      const blockers = [await connected(channel, ann), await connected(channel, ann)];
      const other = await connected(channel, carol);
      for (const [as, body] of [
        [bob, "from bob"],
        [carol, "from carol"],
        [bob, "bob again"],
      ] as const) {
        const res = await call(`/api/v1/${channel === group ? "conversations" : "spaces"}/${channel}/messages`, { as, body: { body } });
        expect(res.status).toBe(201);
      }
      expect(bodiesOf(await other.waitForMessages(3))).toEqual(["from bob", "from carol", "bob again"]);
      for (const s of blockers) expect(bodiesOf(await s.waitForMessages(1))).toEqual(["from carol"]);
      // nothing of bob's arrives late either
      await pause(100);
      for (const s of blockers) expect(bodiesOf(s.messages())).toEqual(["from carol"]);
      // a resume from the start replays only what the blocker may see
      const resumed = await connected(channel, ann, { after: 0 });
      expect(bodiesOf(await resumed.waitForMessages(1))).toEqual(["from carol"]);
      await pause(50);
      expect(bodiesOf(resumed.messages())).toEqual(["from carol"]);
    }
  });

  it("close with 4409 on a block and an unblock; the reconnect (?after=) carries the new set", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const chat = await makeChat(c);
    const group = await started(c, ann, [bob, c.owner]);
    const before = [await connected(chat, ann), await connected(group, ann)];
    const bobs = await connected(chat, bob);
    await block(c, ann, bob);
    for (const s of before) expect(await s.closed).toEqual({ code: CloseCode.refresh, reason: "refresh" });
    // the blocked member's own sockets stay open: nothing changed for them
    const still = await Promise.race([bobs.closed.then(() => "closed"), pause(200).then(() => "open")]);
    expect(still).toBe("open");

    const sent = await call(`/api/v1/spaces/${chat.id}/messages`, { as: bob, body: { body: "while blocked" } });
    const head = sent.body.message.rev - 1;
    const blocked = await connected(chat, ann, { after: head });
    await unblock(c, ann, bob);
    expect((await blocked.closed).code).toBe(CloseCode.refresh);
    expect(blocked.messages()).toEqual([]);
    const after = await connected(chat, ann, { after: head });
    expect(bodiesOf(await after.waitForMessages(1))).toEqual(["while blocked"]);
  });

  it("accept a hidden set of MAX_HIDDEN_AUTHORS ids in the identity header and filter by it, also after hibernation", async () => {
    const c = await makeCommunity();
    const chat = await makeChat(c);
    const bob = await addMember(c);
    // the Worker's header, built as openSocket builds it, straight to the object
    const hidden = [bob.id, ...Array.from({ length: MAX_HIDDEN_AUTHORS - 1 }, () => newId("usr"))];
    const headers = new Headers({ Upgrade: "websocket" });
    headers.set(IdentityHeader.userId, c.owner.id);
    headers.set(IdentityHeader.userName, encodeURIComponent(c.owner.name));
    headers.set(IdentityHeader.role, "owner");
    headers.set(IdentityHeader.epoch, "1000000");
    headers.set(IdentityHeader.communityId, c.id);
    headers.set(IdentityHeader.channelId, chat.id);
    headers.set(IdentityHeader.hiddenAuthors, hidden.join(","));
    const res = await channelStub(env, chat.id).fetch(new Request("https://chat.internal/socket", { headers }));
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const got: string[] = [];
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as ServerFrame;
      if (frame.type === "messages") got.push(...frame.messages.map((m) => m.body));
    });
    expect((await call(`/api/v1/spaces/${chat.id}/messages`, { as: bob, body: { body: "hidden" } })).status).toBe(201);
    expect((await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner, body: { body: "shown" } })).status).toBe(201);
    for (let i = 0; i < 40 && got.length === 0; i++) await pause(25);
    await pause(50);
    expect(got).toEqual(["shown"]);
    // the set lives in the socket's attachment: an object rebuilt after eviction still filters
    await evictDurableObject(channelStub(env, chat.id) as never);
    expect((await call(`/api/v1/spaces/${chat.id}/messages`, { as: bob, body: { body: "hidden after eviction" } })).status).toBe(201);
    expect((await call(`/api/v1/spaces/${chat.id}/messages`, { as: c.owner, body: { body: "shown after eviction" } })).status).toBe(201);
    for (let i = 0; i < 40 && got.length < 2; i++) await pause(25);
    await pause(50);
    expect(got).toEqual(["shown", "shown after eviction"]);
    ws.close(1000, "done");
  });
});
