// Deleted chat messages are nothing to read (issue 12, a fresh tester's low): a message deleted by
// its author or a moderator, or an erased member's tombstone, no longer counts unread — in the
// community's unread counts (D1, mirrored by the forward into chat_deleted), the DM inbox, and the
// channel object's own answer to a read.
import { describe, expect, it } from "vitest";
import { forwarded, makeChat, sayForwarded, unreadCounts } from "../chat-fixtures";
import { addMember, makeCommunity } from "../community-fixtures";
import { call, PASSWORD } from "../helpers";
import { drainEvents } from "../queue-fixtures";


describe("deleted chat messages do not count unread", () => {
  it("a message its author deletes stops counting for those who had not read it, in a space and a DM, and the object's read answer agrees", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [cat, dan] = [await addMember(c), await addMember(c)];
    const dm = (await call(`/api/v1/communities/${c.slug}/conversations`, { as: cat, body: { memberIds: [dan.id] } })).body.conversation.id as string;
    const first = await sayForwarded(space.id, cat, "one");
    const second = await sayForwarded(space.id, cat, "two");
    await sayForwarded(space.id, cat, "three");
    const inDm = await sayForwarded(dm, cat, "psst");
    await sayForwarded(dm, cat, "still there?");
    expect(await unreadCounts(c, dan)).toMatchObject({ [space.id]: 3, [dm]: 2 });

    expect((await call(`/api/v1/messages/${second.id}`, { as: cat, method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/messages/${inDm.id}`, { as: cat, method: "DELETE" })).status).toBe(204);
    await forwarded(space.id);
    await forwarded(dm);
    expect(await unreadCounts(c, dan)).toMatchObject({ [space.id]: 2, [dm]: 1 });
    const inbox = await call(`/api/v1/communities/${c.slug}/conversations`, { as: dan });
    expect([inbox.body.items[0].unread, inbox.body.unreadTotal]).toEqual([1, 1]);

    // read up to the first: the object counts only "three" after it, not the tombstone of "two"
    const read = await call(`/api/v1/spaces/${space.id}/read`, { as: dan, body: { seq: first.seq } });
    expect(read.status).toBe(200);
    expect(read.body.unread).toBe(1);
    await forwarded(space.id);
    expect((await unreadCounts(c, dan))[space.id]).toBe(1);
  });

  it("a deletion of what the reader already read changes nothing (never below 0), and a moderator's deletion counts like the author's", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [cat, dan] = [await addMember(c), await addMember(c)];
    const old = await sayForwarded(space.id, cat, "read already");
    const head = (await call(`/api/v1/spaces/${space.id}/messages`, { as: dan })).body.head as number;
    expect((await call(`/api/v1/spaces/${space.id}/read`, { as: dan, body: { seq: head } })).status).toBe(200);
    const fresh = await sayForwarded(space.id, cat, "not read yet");
    await sayForwarded(space.id, cat, "nor this");
    expect((await unreadCounts(c, dan))[space.id]).toBe(2);
    expect((await call(`/api/v1/messages/${old.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    await forwarded(space.id);
    expect((await unreadCounts(c, dan))[space.id]).toBe(2);
    expect((await call(`/api/v1/messages/${fresh.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    await forwarded(space.id);
    expect((await unreadCounts(c, dan))[space.id]).toBe(1);
  });

  it("an erased member's messages (tombstones) stop counting once the channel forwards", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const [cat, dan] = [await addMember(c), await addMember(c)];
    await sayForwarded(space.id, cat, "from cat");
    await sayForwarded(space.id, cat, "more from cat");
    await sayForwarded(space.id, c.owner, "from the owner");
    expect((await unreadCounts(c, dan))[space.id]).toBe(3);
    expect((await call("/api/v1/me", { as: cat, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    await forwarded(space.id);
    expect((await unreadCounts(c, dan))[space.id]).toBe(1);
  });
});
