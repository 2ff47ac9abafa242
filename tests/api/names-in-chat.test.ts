// Names in chat follow the member (a fresh tester's medium, issue 12): a chat message's HTML is
// rendered when written and kept in its channel's object, so an erased member's name stayed in
// messages that mentioned them, and a renamed member's old name stayed on their own messages and
// in mentions of them. The spine's user.renamed now renders mentions again inside the objects and
// renames the author on what they wrote.
import { describe, expect, it } from "vitest";
import { forwarded, makeChat, sayForwarded } from "../chat-fixtures";
import { addMember, makeCommunity } from "../community-fixtures";
import { call, createUser, PASSWORD, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const messages = async (channel: string, as: TestUser) =>
  (await call(`/api/v1/spaces/${channel}/messages`, { as })).body.items as Array<{ id: string; html: string; author: { id: string; name: string } }>;

describe("names in chat messages follow the member", () => {
  it("an erased member mentioned in a message reads as Deleted member in its HTML, for every reader", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const dave = await addMember(c, { user: await createUser({ name: "Tdave Quokkason" }) });
    const cat = await addMember(c);
    const sent = await sayForwarded(space.id, cat, `hello <@${dave.id}>, see you`);
    expect(sent.html).toContain("@Tdave Quokkason");
    expect((await call("/api/v1/me", { as: dave, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    const [shown] = (await messages(space.id, c.owner)).filter((m) => m.id === sent.id);
    expect(shown.html).not.toContain("Quokkason");
    expect(shown.html).toContain(`data-user-id="${dave.id}">@Deleted member</span>`);
    const single = await call(`/api/v1/messages/${sent.id}`, { as: c.owner });
    expect(single.body.message.html).not.toContain("Quokkason");
  });

  it("a renamed member's own messages and the mentions of them show the new name", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const erin = await addMember(c, { user: await createUser({ name: "Erin Before" }) });
    const own = await sayForwarded(space.id, erin, "my first words");
    const mention = await sayForwarded(space.id, c.owner, `welcome <@${erin.id}>`);
    expect((await call("/api/v1/me", { as: erin, method: "PATCH", body: { name: "Erin After" } })).status).toBe(200);
    await drainEvents();
    const shown = new Map((await messages(space.id, c.owner)).map((m) => [m.id, m]));
    expect(shown.get(own.id)!.author.name).toBe("Erin After");
    expect(shown.get(mention.id)!.html).toContain("@Erin After");
    expect(shown.get(mention.id)!.html).not.toContain("Erin Before");
  });

  it("an erasure right after the mention (before the message reached the spine) still reaches the mention's HTML", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const gone = await addMember(c, { user: await createUser({ name: "Moana Quickgone" }) });
    const cat = await addMember(c);
    // sent, but its outbox not forwarded yet: no mentions row exists when the erasure's event runs
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: cat, body: { body: `ping <@${gone.id}>` } });
    expect(res.status).toBe(201);
    expect((await call("/api/v1/me", { as: gone, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    await forwarded(space.id);
    const [shown] = (await messages(space.id, c.owner)).filter((m) => m.id === res.body.message.id);
    expect(shown.html).not.toContain("Quickgone");
    expect(shown.html).toContain("@Deleted member");
  });

  it("a member's mention of themselves, and a mention in a DM, take their new name", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const lee = await addMember(c, { user: await createUser({ name: "Lee Before" }) });
    const cat = await addMember(c);
    const self = await sayForwarded(space.id, lee, `note to self <@${lee.id}>`);
    const dm = (await call(`/api/v1/communities/${c.slug}/conversations`, { as: cat, body: { memberIds: [lee.id] } })).body.conversation.id as string;
    const inDm = await sayForwarded(dm, cat, `hey <@${lee.id}>`);
    expect((await call("/api/v1/me", { as: lee, method: "PATCH", body: { name: "Lee After" } })).status).toBe(200);
    await drainEvents();
    const [mine] = (await messages(space.id, c.owner)).filter((m) => m.id === self.id);
    expect(mine.html).toContain("@Lee After");
    const dmItems = (await call(`/api/v1/conversations/${dm}/messages`, { as: cat })).body.items as Array<{ id: string; html: string }>;
    const shownDm = dmItems.find((m) => m.id === inDm.id)!;
    expect(shownDm.html).toContain("@Lee After");
    expect(shownDm.html).not.toContain("Lee Before");
  });

  it("a rename right after sending (before the channel's forward named it as theirs) still reaches the author's name", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const xav = await addMember(c, { user: await createUser({ name: "Xavier Before" }) });
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: xav, body: { body: `own note <@${xav.id}>` } });
    expect(res.status).toBe(201);
    expect((await call("/api/v1/me", { as: xav, method: "PATCH", body: { name: "Xavier After" } })).status).toBe(200);
    await drainEvents();
    await forwarded(space.id);
    const [shown] = (await messages(space.id, c.owner)).filter((m) => m.id === res.body.message.id);
    expect(shown.author.name).toBe("Xavier After");
    expect(shown.html).toContain("@Xavier After");
  });
});

