// A newcomer starts a community's chat spaces read up to their newest message (a fresh tester's
// low, issue 12: a just-invited member saw "173 unread"), by joining or through an invite; what is
// said after they joined counts, and a member who comes back starts at the head again.
import { describe, expect, it } from "vitest";
import { makeChat, sayForwarded, unreadCounts } from "../chat-fixtures";
import { addMember, makeCommunity } from "../community-fixtures";
import { call, createUser } from "../helpers";


describe("a newcomer's chat spaces start read up to their newest message", () => {
  it("joining a public community: nothing said before counts unread, what is said after does; leaving and coming back starts at the head again", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const [lounge, help] = [await makeChat(c), await makeChat(c)];
    const old = await addMember(c);
    for (const n of [1, 2, 3]) await sayForwarded(lounge.id, old, `before ${n}`);
    await sayForwarded(help.id, old, "help before");
    const newcomer = await createUser();
    expect((await call(`/api/v1/communities/${c.slug}/join`, { as: newcomer, method: "POST" })).status).toBe(200);
    expect(await unreadCounts(c, newcomer)).toMatchObject({ [lounge.id]: 0, [help.id]: 0 });
    // a member who was there all along still counts everything
    expect(await unreadCounts(c, c.owner)).toMatchObject({ [lounge.id]: 3, [help.id]: 1 });
    await sayForwarded(lounge.id, old, "after joining");
    expect((await unreadCounts(c, newcomer))[lounge.id]).toBe(1);
    // opening the channel and reading goes through the object, which agrees
    const read = await call(`/api/v1/spaces/${lounge.id}/read`, { as: newcomer, body: { seq: 4 } });
    expect([read.status, read.body.unread]).toEqual([200, 0]);
    // leave, miss two messages, come back: the head again
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { as: newcomer, method: "POST" })).status).toBeLessThan(300);
    await sayForwarded(lounge.id, old, "while away 1");
    await sayForwarded(lounge.id, old, "while away 2");
    expect((await call(`/api/v1/communities/${c.slug}/join`, { as: newcomer, method: "POST" })).status).toBe(200);
    expect((await unreadCounts(c, newcomer))[lounge.id]).toBe(0);
  });

  it("accepting an invite to a private community starts at the head too; a join that changes nothing moves no position", async () => {
    const c = await makeCommunity();
    const lounge = await makeChat(c);
    const old = await addMember(c);
    await sayForwarded(lounge.id, old, "one");
    await sayForwarded(lounge.id, old, "two");
    const invite = await call(`/api/v1/communities/${c.slug}/invites`, { as: c.owner, method: "POST", body: { source: "instagram" } });
    expect(invite.status).toBe(201);
    const guest = await createUser();
    expect((await call(`/api/v1/invites/${invite.body.code}/accept`, { as: guest, method: "POST" })).status).toBeLessThan(300);
    expect((await unreadCounts(c, guest))[lounge.id]).toBe(0);
    // the owner (active all along) asking to join again is not a new start: their 2 stay unread
    await call(`/api/v1/communities/${c.slug}/join`, { as: c.owner, method: "POST" });
    expect((await unreadCounts(c, c.owner))[lounge.id]).toBe(2);
  });
});
