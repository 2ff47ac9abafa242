// Presence and typing (ADR 033): the community's presence object (online = a socket open now or
// closed less than 60 s ago, the member list's dots, revocation, the inbox push) and, in a
// channel, who is here and who is typing — relayed, braked, never stored.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMember, env, expectError, makeCommunity } from "../community-fixtures";
import { call, createUser } from "../helpers";
import { connected, makeChat, openPresence, type TestSocket } from "../chat-fixtures";
import type { PresenceServerFrame, ServerFrame } from "../../durable-objects/protocol";
import { PRESENCE_GRACE_MS, type CommunityPresence } from "../../durable-objects/community-presence";
import { channelStub } from "../../workers/domain/chat/channels";
import { presenceStub } from "../../workers/domain/chat/inbox";
import type { TestUser } from "../helpers";

const presenceFrames = (socket: TestSocket) => socket.frames as unknown as PresenceServerFrame[];
const waitFor = async <T extends PresenceServerFrame>(socket: TestSocket, match: (f: PresenceServerFrame) => f is T) =>
  (await socket.next((f): f is ServerFrame => match(f as unknown as PresenceServerFrame))) as unknown as T;
const isOnline = (f: PresenceServerFrame): f is Extract<PresenceServerFrame, { type: "online" }> => f.type === "online";
const isPresence = (userId: string, online: boolean) => (f: PresenceServerFrame): f is Extract<PresenceServerFrame, { type: "presence" }> =>
  f.type === "presence" && f.userId === userId && f.online === online;

async function presenceOf(slug: string, as: TestUser): Promise<TestSocket> {
  const res = await openPresence(slug, as);
  expect(res.status, JSON.stringify(res.body)).toBe(101);
  return res.socket!;
}

const memberOnline = async (slug: string, as: TestUser) => {
  const res = await call(`/api/v1/communities/${slug}/members?limit=100`, { as });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.items.map((i: { user: { id: string }; online: boolean }) => [i.user.id, i.online]));
};

describe("presence", () => {
  it("shows a member online while a socket is open and for 60 s after it closed, then offline (clock moved, no sleep)", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const owner = await presenceOf(c.slug, c.owner);
    expect((await waitFor(owner, isOnline)).userIds).toEqual([c.owner.id]);
    const bobs = await presenceOf(c.slug, bob);
    expect((await waitFor(bobs, isOnline)).userIds).toEqual([c.owner.id, bob.id].sort());
    await waitFor(owner, isPresence(bob.id, true));
    expect(await memberOnline(c.slug, c.owner)).toEqual({ [c.owner.id]: true, [bob.id]: true });

    bobs.ws.close(1000, "bye");
    await bobs.closed;
    await new Promise((r) => setTimeout(r, 50));
    // closed, but within the grace: still online
    expect(await memberOnline(c.slug, c.owner)).toEqual({ [c.owner.id]: true, [bob.id]: true });
    const stub = presenceStub(env, c.id);
    await runInDurableObject(stub, (instance: CommunityPresence) => {
      const start = Date.now();
      instance.now = () => start + PRESENCE_GRACE_MS + 1;
    });
    await runDurableObjectAlarm(stub as never);
    await waitFor(owner, isPresence(bob.id, false));
    expect(await memberOnline(c.slug, c.owner)).toEqual({ [c.owner.id]: true, [bob.id]: false });
  });

  it("answers the member list's online dots with one object call per page, false for those never seen", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const carol = await addMember(c);
    await presenceOf(c.slug, carol);
    expect(await memberOnline(c.slug, bob)).toEqual({ [c.owner.id]: false, [bob.id]: false, [carol.id]: true });
  });

  it("refuses the presence socket to non-members (404), the signed-out (401) and another Origin (403)", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const stranger = await createUser();
    expect((await openPresence(c.slug, stranger)).status).toBe(404);
    expect((await openPresence(c.slug, null)).status).toBe(401);
    expect((await openPresence(c.slug, c.owner, { origin: "https://evil.example" })).status).toBe(403);
    expectError(await call(`/api/v1/communities/${c.slug}/unread`, { as: stranger }), 403, "forbidden");
  });

  it("closes a removed member's presence sockets (4403) and refuses them afterwards", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const bobs = await presenceOf(c.slug, bob);
    await waitFor(bobs, isOnline);
    expect((await call(`/api/v1/communities/${c.slug}/members/${bob.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await bobs.closed).code).toBe(4403);
    expect((await openPresence(c.slug, bob)).status).toBe(404);
  });

  it("pushes {type:inbox} to readers online after a forward with new messages, and to a member whose position moved", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const staff = await makeChat(c, { private: true, name: "Staff" });
    const bob = await addMember(c);
    const bobs = await presenceOf(c.slug, bob);
    const owners = await presenceOf(c.slug, c.owner);
    await call(`/api/v1/spaces/${staff.id}/messages`, { as: c.owner, body: { body: "staff only" } });
    await runDurableObjectAlarm(channelStub(env, staff.id) as never);
    await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "for all" } });
    await runDurableObjectAlarm(channelStub(env, space.id) as never);
    const isInbox = (channelId: string) => (f: PresenceServerFrame): f is Extract<PresenceServerFrame, { type: "inbox" }> => f.type === "inbox" && f.channelId === channelId;
    await waitFor(bobs, isInbox(space.id));
    await waitFor(owners, isInbox(staff.id));
    // bob may not read the private space: he heard nothing of it
    expect(presenceFrames(bobs).filter((f) => f.type === "inbox").map((f) => (f as { channelId: string }).channelId)).toEqual([space.id]);
  });

  it("announces a space's new messages to every reader online at most once per 5 s, and what a busy spell owes goes out when it ends", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const bobs = await presenceOf(c.slug, bob);
    const inboxes = () => presenceFrames(bobs).filter((f) => f.type === "inbox").length;
    const forward = async (body: string) => {
      await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body } });
      await runDurableObjectAlarm(channelStub(env, space.id) as never);
    };
    await forward("one");
    await waitFor(bobs, (f): f is Extract<PresenceServerFrame, { type: "inbox" }> => f.type === "inbox");
    await forward("two");
    await forward("three");
    await new Promise((r) => setTimeout(r, 500));
    expect(inboxes()).toBe(1);
    // the owed announcement, within the interval
    const deadline = Date.now() + 6_000;
    while (inboxes() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(inboxes()).toBe(2);
  });
});

describe("who is here and who is typing", () => {
  it("tells a new socket who is here, and the others when the set changes", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const owner = await connected(space, c.owner);
    const isHere = (ids: string[]) => (f: ServerFrame): f is Extract<ServerFrame, { type: "here" }> => f.type === "here" && f.userIds.join() === [...ids].sort().join();
    await owner.next(isHere([c.owner.id]));
    const bobs = await connected(space, bob);
    await bobs.next(isHere([c.owner.id, bob.id]));
    await owner.next(isHere([c.owner.id, bob.id]));
    const before = owner.frames.length;
    bobs.ws.close(1000, "bye");
    await bobs.closed;
    const after = await frameAfter(owner, before, (f) => f.type === "here");
    expect(after).toEqual({ type: "here", count: 1, userIds: [c.owner.id], names: [c.owner.name] });
  });

  it("names at most 20 of a busy channel with the count of all, and a burst of arrivals costs a few frames, not one per socket", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const owner = await connected(space, c.owner);
    const before = owner.frames.length;
    const members = await Promise.all(Array.from({ length: 25 }, () => addMember(c)));
    await Promise.all(members.map((m) => connected(space, m)));
    const all = await owner.next((f): f is Extract<ServerFrame, { type: "here" }> => f.type === "here" && f.count === 26, 6_000);
    expect(all.userIds).toHaveLength(20);
    expect(all.names).toHaveLength(20);
    expect(all.userIds).toEqual([...all.userIds].sort());
    // one frame per two seconds at most while they arrive
    expect(owner.frames.slice(before).filter((f) => f.type === "here").length).toBeLessThanOrEqual(4);
  });

  it("relays typing to the channel's other members with the typer's name, and stores nothing", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const owner = await connected(space, c.owner);
    const bobs = await connected(space, bob);
    bobs.send({ type: "typing" });
    const typing = await owner.next((f): f is Extract<ServerFrame, { type: "typing" }> => f.type === "typing");
    expect(typing).toEqual({ type: "typing", userId: bob.id, name: bob.name });
    await new Promise((r) => setTimeout(r, 50));
    expect(bobs.frames.filter((f) => f.type === "typing")).toEqual([]);
    const history = await call(`/api/v1/spaces/${space.id}/messages`, { as: bob });
    expect(history.body).toMatchObject({ items: [], head: 0 });
    const outbox = await runInDurableObject(channelStub(env, space.id), (_i, state) => state.storage.sql.exec(`SELECT count(*) AS n FROM outbox`).one().n);
    expect(outbox).toBe(0);
  });

  it("drops a socket's typing frames beyond one per 2 s", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const owner = await connected(space, c.owner);
    const bobs = await connected(space, bob);
    for (let i = 0; i < 20; i++) bobs.send({ type: "typing" });
    await owner.next((f): f is ServerFrame => f.type === "typing");
    await new Promise((r) => setTimeout(r, 200));
    expect(owner.frames.filter((f) => f.type === "typing")).toHaveLength(1);
    expect(bobs.frames.filter((f) => f.type === "error")).toEqual([]);
  });
});

describe("a block in a channel (ADR 033)", () => {
  it("keeps the blocked member out of the blocker's `here`, typing and reaction counts, live and in history", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [bob, carol] = [await addMember(c), await addMember(c)];
    expect((await call(`/api/v1/communities/${c.slug}/blocks`, { as: c.owner, body: { userId: bob.id } })).status).toBe(201);
    const owner = await connected(space, c.owner);
    const carols = await connected(space, carol);
    const bobs = await connected(space, bob);
    const hereOf = (count: number) => (f: ServerFrame): f is Extract<ServerFrame, { type: "here" }> => f.type === "here" && f.count === count;
    // carol sees all three; the owner sees carol and themself only
    await carols.next(hereOf(3));
    await new Promise((r) => setTimeout(r, 2_200));
    const ownerHere = owner.frames.filter((f) => f.type === "here");
    expect(ownerHere.at(-1)).toEqual({ type: "here", count: 2, userIds: [c.owner.id, carol.id].sort(), names: [c.owner.id, carol.id].sort().map((id) => (id === carol.id ? carol.name : c.owner.name)) });
    expect(ownerHere.some((f) => f.type === "here" && f.userIds.includes(bob.id))).toBe(false);

    bobs.send({ type: "typing" });
    await carols.next((f): f is ServerFrame => f.type === "typing" && f.userId === bob.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(owner.frames.filter((f) => f.type === "typing")).toEqual([]);

    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: carol, body: { body: "hello all" } });
    expect(sent.status).toBe(201);
    const id = sent.body.message.id;
    expect((await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("👍")}`, { as: bob, method: "PUT" })).status).toBe(200);
    expect((await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("🎉")}`, { as: bob, method: "PUT" })).status).toBe(200);
    expect((await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("👍")}`, { as: carol, method: "PUT" })).status).toBe(200);
    const reacted = (n: number) => (f: ServerFrame): f is Extract<ServerFrame, { type: "messages" }> =>
      f.type === "messages" && f.messages.some((m) => m.id === id && m.reactions.reduce((sum, r) => sum + r.count, 0) === n);
    // carol's socket counts all three reactions; the owner's counts carol's 👍 only, and no 🎉
    await carols.next(reacted(3));
    const seenByOwner = await owner.next(reacted(1));
    // a coalesced frame may carry the message more than once (one per rev): the last is the latest
    expect(seenByOwner.messages.findLast((m) => m.id === id)!.reactions).toEqual([{ emoji: "👍", count: 1, userIds: [carol.id] }]);
    const history = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner });
    expect(history.body.items.find((m: { id: string }) => m.id === id).reactions).toEqual([{ emoji: "👍", count: 1, userIds: [carol.id] }]);
    const carolsHistory = await call(`/api/v1/spaces/${space.id}/messages`, { as: carol });
    expect(carolsHistory.body.items.find((m: { id: string }) => m.id === id).reactions).toHaveLength(2);
  });

  it("tells a new socket who is here once, not the old set and then the new one", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const owner = await connected(space, c.owner);
    await new Promise((r) => setTimeout(r, 2_200));
    const bobs = await connected(space, bob);
    const second = await connected(space, c.owner);
    await new Promise((r) => setTimeout(r, 2_500));
    const both = { type: "here", count: 2, userIds: [c.owner.id, bob.id].sort(), names: [c.owner.id, bob.id].sort().map((id) => (id === bob.id ? bob.name : c.owner.name)) };
    expect(bobs.frames.filter((f) => f.type === "here")).toEqual([both]);
    expect(second.frames.filter((f) => f.type === "here")).toEqual([both]);
    expect(owner.frames.filter((f) => f.type === "here").at(-1)).toEqual(both);
  });
});

/** The first frame after the first `from` frames that `match` accepts (a bounded wait). */
async function frameAfter(socket: TestSocket, from: number, match: (f: ServerFrame) => boolean): Promise<ServerFrame> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const found = socket.frames.slice(from).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such frame after ${from}: ${JSON.stringify(socket.frames.slice(from))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("presence and sessions", () => {
  it("closes the presence socket a signed-out session opened (4403) and refuses it afterwards", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const bobs = await presenceOf(c.slug, bob);
    await waitFor(bobs, isOnline);
    expect((await call("/api/v1/auth/logout", { as: bob, method: "POST" })).status).toBe(204);
    expect(await bobs.closed).toEqual({ code: 4403, reason: "session_ended" });
  });
});
