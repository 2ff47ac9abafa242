// Read positions and unread counts (ADR 033): the channel object holds each member's position,
// syncs it across the member's sockets at once, never moves it back, and mirrors heads and
// positions into D1 in the outbox forward's batch, where the spaces list and the unread route read them.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { addMember, db, env, expectError, makeCommunity } from "../community-fixtures";
import { call } from "../helpers";
import { clientId, connected, isAck, makeChat } from "../chat-fixtures";
import type { ServerFrame } from "../../durable-objects/protocol";
import { channelStub } from "../../workers/domain/chat/channels";
import { schema } from "../../workers/db/client";
import type { TestSpace } from "../discussion-fixtures";
import type { TestUser } from "../helpers";

type ReadFrame = Extract<ServerFrame, { type: "read" }>;
const isRead = (seq: number) => (f: ServerFrame): f is ReadFrame => f.type === "read" && f.seq === seq;

const post = async (space: TestSpace, as: TestUser, body: string) => {
  const res = await call(`/api/v1/spaces/${space.id}/messages`, { as, body: { body } });
  expect(res.status).toBe(201);
  return res.body.message as { id: string; seq: number };
};
const markRead = (space: TestSpace, as: TestUser, seq: unknown) => call(`/api/v1/spaces/${space.id}/read`, { as, body: { seq } });
/** Run the channel's alarm: the outbox forward and its D1 mirror. */
const forward = (space: TestSpace) => runDurableObjectAlarm(channelStub(env, space.id) as never);

async function mirrored(space: TestSpace, userId: string) {
  const [head] = await db().select().from(schema.chatHeads).where(eq(schema.chatHeads.channelId, space.id));
  const [read] = await db()
    .select()
    .from(schema.chatReads)
    .where(and(eq(schema.chatReads.channelId, space.id), eq(schema.chatReads.userId, userId)));
  return { head, read };
}

describe("read positions", () => {
  it("syncs a read position across two sockets of one member at once, with the unread count left", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const sent = [await post(space, c.owner, "one"), await post(space, c.owner, "two"), await post(space, c.owner, "three")];
    const phone = await connected(space, bob);
    const laptop = await connected(space, bob);
    phone.send({ type: "read", seq: sent[1].seq });
    const heard = await laptop.next(isRead(sent[1].seq));
    expect(heard).toEqual({ type: "read", seq: sent[1].seq, unread: 1 });
    // the socket that read does not hear its own position back
    await new Promise((r) => setTimeout(r, 50));
    expect(phone.frames.filter((f) => f.type === "read")).toEqual([]);
    const api = await markRead(space, bob, sent[2].seq);
    expect(api.status).toBe(200);
    expect(api.body).toEqual({ readSeq: sent[2].seq, unread: 0 });
    expect(await phone.next(isRead(sent[2].seq))).toEqual({ type: "read", seq: sent[2].seq, unread: 0 });
    expect(await laptop.next(isRead(sent[2].seq))).toEqual({ type: "read", seq: sent[2].seq, unread: 0 });
  });

  it("never moves a read position backwards, and a seq past the newest message reads up to it", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const first = await post(space, c.owner, "one");
    const second = await post(space, c.owner, "two");
    expect((await markRead(space, bob, second.seq)).body).toEqual({ readSeq: second.seq, unread: 0 });
    expect((await markRead(space, bob, first.seq)).body).toEqual({ readSeq: second.seq, unread: 0 });
    const tab = await connected(space, bob);
    tab.send({ type: "read", seq: 0 });
    await post(space, c.owner, "three");
    expect((await markRead(space, bob, 0)).body).toEqual({ readSeq: second.seq, unread: 1 });
    expect((await markRead(space, bob, 1_000_000)).body).toEqual({ readSeq: second.seq + 1, unread: 0 });
    await forward(space);
    const { read } = await mirrored(space, bob.id);
    expect(read.readSeq).toBe(second.seq + 1);
  });

  it("counts what the member sent as read: sending moves the sender's position", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    await post(space, c.owner, "from the owner");
    const tab = await connected(space, bob);
    const id = clientId();
    tab.send({ type: "send", clientId: id, body: "my answer" });
    const ack = await tab.next(isAck(id));
    expect(await tab.next(isRead(ack.message.seq))).toEqual({ type: "read", seq: ack.message.seq, unread: 0 });
  });

  it("refuses a bad read position with 400 and a channel the caller may not read with 404", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const hidden = await makeChat(c, { private: true, name: "Staff" });
    const bob = await addMember(c);
    expectError(await markRead(space, bob, -1), 400, "validation_failed");
    expectError(await markRead(space, bob, "7"), 400, "validation_failed");
    expectError(await markRead(hidden, bob, 1), 404, "not_found");
  });
});

describe("unread counts in D1", () => {
  it("mirrors the head and the moved positions after a forward, and the spaces list and unread route show message_count − read_count", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const carol = await addMember(c);
    for (const body of ["a", "b", "c", "d"]) await post(space, c.owner, body);
    const second = (await call(`/api/v1/spaces/${space.id}/messages`, { as: bob })).body.items[1];
    await markRead(space, bob, second.seq);
    await forward(space);

    const { head, read } = await mirrored(space, bob.id);
    expect(head).toMatchObject({ communityId: c.id, messageCount: 4, lastExcerpt: "d", lastAuthorId: c.owner.id });
    expect(read).toMatchObject({ readSeq: second.seq, readCount: 2 });
    // the owner sent all four: read up to the last
    expect((await mirrored(space, c.owner.id)).read).toMatchObject({ readSeq: head.lastSeq, readCount: 4 });

    const list = await call(`/api/v1/communities/${c.slug}/spaces`, { as: bob });
    expect(list.body.items.find((i: { space: { id: string } }) => i.space.id === space.id).unread).toBe(2);
    const unread = await call(`/api/v1/communities/${c.slug}/unread`, { as: carol });
    expect(unread.status).toBe(200);
    expect(unread.body).toEqual({ items: [{ channelId: space.id, unread: 4 }], total: 4 });
    expect((await call(`/api/v1/communities/${c.slug}/unread`, { as: bob })).body.total).toBe(2);
  });

  it("writes one chat_heads row per channel however many messages a forward carries, and clears a member's count when they read", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const tab = await connected(space, c.owner);
    const ids = Array.from({ length: 6 }, () => clientId());
    for (const id of ids) tab.send({ type: "send", clientId: id, body: `m ${id}` });
    const last = await tab.next(isAck(ids[5]));
    await forward(space);
    const heads = await db().select().from(schema.chatHeads).where(eq(schema.chatHeads.channelId, space.id));
    expect(heads).toHaveLength(1);
    expect(heads[0]).toMatchObject({ messageCount: 6, lastSeq: last.message.seq });
    expect((await call(`/api/v1/communities/${c.slug}/unread`, { as: bob })).body.total).toBe(6);
    await markRead(space, bob, last.message.seq);
    await forward(space);
    expect((await call(`/api/v1/communities/${c.slug}/unread`, { as: bob })).body.total).toBe(0);
  });
});
