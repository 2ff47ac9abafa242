// Deleted chat messages are nothing to read (issue 12, a fresh tester's low): a message deleted by
// its author or a moderator, or an erased member's tombstone, no longer counts unread — in the
// community's unread counts (D1, mirrored by the forward into chat_deleted), the DM inbox, and the
// channel object's own answer to a read.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { channelStub } from "../../workers/domain/chat/channels";
import { makeChat } from "../chat-fixtures";
import { addMember, env, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, PASSWORD, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const settle = async (channel: string) => {
  await runDurableObjectAlarm(channelStub(env, channel) as never);
  await drainEvents();
};
async function say(channel: string, as: TestUser, body: string) {
  const route = channel.startsWith("dm_") ? "conversations" : "spaces";
  const res = await call(`/api/v1/${route}/${channel}/messages`, { as, body: { body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await settle(channel);
  return res.body.message as { id: string; seq: number };
}
async function unread(c: TestCommunity, as: TestUser): Promise<Record<string, number>> {
  const res = await call(`/api/v1/communities/${c.slug}/unread`, { as });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.items.map((i: { channelId: string; unread: number }) => [i.channelId, i.unread]));
}

describe("deleted chat messages do not count unread", () => {
  it("a message its author deletes stops counting for those who had not read it, in a space and a DM, and the object's read answer agrees", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [cat, dan] = [await addMember(c), await addMember(c)];
    const dm = (await call(`/api/v1/communities/${c.slug}/conversations`, { as: cat, body: { memberIds: [dan.id] } })).body.conversation.id as string;
    const first = await say(space.id, cat, "one");
    const second = await say(space.id, cat, "two");
    await say(space.id, cat, "three");
    const inDm = await say(dm, cat, "psst");
    await say(dm, cat, "still there?");
    expect(await unread(c, dan)).toMatchObject({ [space.id]: 3, [dm]: 2 });

    expect((await call(`/api/v1/messages/${second.id}`, { as: cat, method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/messages/${inDm.id}`, { as: cat, method: "DELETE" })).status).toBe(204);
    await settle(space.id);
    await settle(dm);
    expect(await unread(c, dan)).toMatchObject({ [space.id]: 2, [dm]: 1 });
    const inbox = await call(`/api/v1/communities/${c.slug}/conversations`, { as: dan });
    expect([inbox.body.items[0].unread, inbox.body.unreadTotal]).toEqual([1, 1]);

    // read up to the first: the object counts only "three" after it, not the tombstone of "two"
    const read = await call(`/api/v1/spaces/${space.id}/read`, { as: dan, body: { seq: first.seq } });
    expect(read.status).toBe(200);
    expect(read.body.unread).toBe(1);
    await settle(space.id);
    expect((await unread(c, dan))[space.id]).toBe(1);
  });

  it("a deletion of what the reader already read changes nothing (never below 0), and a moderator's deletion counts like the author's", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [cat, dan] = [await addMember(c), await addMember(c)];
    const old = await say(space.id, cat, "read already");
    const head = (await call(`/api/v1/spaces/${space.id}/messages`, { as: dan })).body.head as number;
    expect((await call(`/api/v1/spaces/${space.id}/read`, { as: dan, body: { seq: head } })).status).toBe(200);
    const fresh = await say(space.id, cat, "not read yet");
    await say(space.id, cat, "nor this");
    expect((await unread(c, dan))[space.id]).toBe(2);
    expect((await call(`/api/v1/messages/${old.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    await settle(space.id);
    expect((await unread(c, dan))[space.id]).toBe(2);
    expect((await call(`/api/v1/messages/${fresh.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    await settle(space.id);
    expect((await unread(c, dan))[space.id]).toBe(1);
  });

  it("an erased member's messages (tombstones) stop counting once the channel forwards", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [cat, dan] = [await addMember(c), await addMember(c)];
    await say(space.id, cat, "from cat");
    await say(space.id, cat, "more from cat");
    await say(space.id, c.owner, "from the owner");
    expect((await unread(c, dan))[space.id]).toBe(3);
    expect((await call("/api/v1/me", { as: cat, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    await settle(space.id);
    expect((await unread(c, dan))[space.id]).toBe(1);
  });
});
