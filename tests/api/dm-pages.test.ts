// The DM pages (issue 13 part C): the inbox's loader reads the caller's conversations with names,
// last message and unread count; the conversation page renders its history on the server and is
// "no such page" to anyone not in it; the forms of the inbox, the conversation and the member list
// call the same use cases as the API (create, refuse, block, settings, rename, leave).
import { describe, expect, it } from "vitest";
import { action as inboxAction, loader as inboxLoader, conversationTitle } from "../../app/routes/community-messages";
import { action as conversationAction, loader as conversationLoader } from "../../app/routes/community-conversation";
import { action as membersAction } from "../../app/routes/community-members";
import { loader as memberSearchLoader } from "../../app/routes/community-member-search";
import { chatChannel } from "../../app/lib/chat-state";
import { addMember, db, makeCommunity } from "../community-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { loadPage, postForm, statusOf, type Action, type Loader } from "../page-fixtures";
import { schema } from "../../workers/db/client";

const started = async (slug: string, as: TestUser, memberIds: string[], name?: string) => {
  const res = await call(`/api/v1/communities/${slug}/conversations`, { as, body: { memberIds, ...(name ? { name } : {}) } });
  expect(res.status).toBe(201);
  return res.body.conversation as { id: string };
};
const location = (answer: unknown) => (answer instanceof Response ? answer.headers.get("Location") : null);

describe("DM pages", () => {
  it("the chat view's channel comes from its id: a space's or a conversation's API base, upload field and mention scope", () => {
    expect(chatChannel("spc_abc")).toEqual({ apiBase: "/api/v1/spaces/spc_abc", uploadField: "spaceId", mentionSpaceId: "spc_abc" });
    expect(chatChannel("dm_xyz")).toEqual({ apiBase: "/api/v1/conversations/dm_xyz", uploadField: "conversationId", mentionSpaceId: null });
  });

  it("the inbox lists the caller's conversations newest first with their names, last message and unread count; a group shows its name", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c, { user: await createUser({ name: "Ann" }) }), await addMember(c, { user: await createUser({ name: "Bob" }) })];
    const direct = await started(c.slug, c.owner, [ann.id]);
    const group = await started(c.slug, c.owner, [ann.id, bob.id], "Tea club");
    const at = new Date("2026-11-30T12:00:00Z");
    await db().insert(schema.chatHeads).values([
      { channelId: direct.id, communityId: c.id, lastSeq: 3, messageCount: 3, lastMessageAt: at, lastExcerpt: "see you", lastAuthorId: ann.id },
      { channelId: group.id, communityId: c.id, lastSeq: 1, messageCount: 1, lastMessageAt: new Date(at.getTime() - 60_000), lastExcerpt: "hi all", lastAuthorId: c.owner.id },
    ]);
    // what one writes one has read: the owner's own message in the group is not unread
    await db().insert(schema.chatReads).values([
      { channelId: direct.id, userId: c.owner.id, readSeq: 1, readCount: 1 },
      { channelId: group.id, userId: c.owner.id, readSeq: 1, readCount: 1 },
    ]);
    const page = (await loadPage(inboxLoader as unknown as Loader, `/c/${c.slug}/messages`, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof inboxLoader>>;
    expect(page.conversations.map((i) => [conversationTitle(i, c.owner.id, "nobody left"), i.lastMessage?.excerpt, i.unread])).toEqual([
      ["Ann", "see you", 2],
      ["Tea club", "hi all", 0],
    ]);
    expect(page.people.map((p) => p.name).sort()).toEqual(["Ann", "Bob"]);
    expect(page.policy).toBe("everyone");

    const bobsPage = (await loadPage(inboxLoader as unknown as Loader, `/c/${c.slug}/messages`, { slug: c.slug }, bob)) as Awaited<ReturnType<typeof inboxLoader>>;
    expect(bobsPage.conversations.map((i) => i.id)).toEqual([group.id]);
  });

  it("the conversation page renders its history on the server; someone not in it gets a 404 page, a signed-out reader the sign-in redirect", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c, { user: await createUser({ name: "Ann" }) }), await addMember(c)];
    const dm = await started(c.slug, ann, [c.owner.id]);
    for (const body of ["one", "two"]) expect((await call(`/api/v1/conversations/${dm.id}/messages`, { as: ann, body: { body } })).status).toBe(201);
    const path = `/c/${c.slug}/messages/${dm.id}`;
    const params = { slug: c.slug, conversationId: dm.id };
    const page = (await loadPage(conversationLoader as unknown as Loader, path, params, c.owner)) as Awaited<ReturnType<typeof conversationLoader>>;
    expect(page.history.items.map((m) => m.body)).toEqual(["one", "two"]);
    expect(page.conversation.members.map((m) => m.id).sort()).toEqual([ann.id, c.owner.id].sort());
    expect(page.chatViewer).toEqual({ userId: c.owner.id, name: c.owner.name, canWrite: true, canModerate: false, notifyLevel: null });

    expect(statusOf(await loadPage(conversationLoader as unknown as Loader, path, params, bob))).toBe(404);
    // another community's slug in the URL is no such page either
    const other = await makeCommunity({ owner: c.owner });
    expect(statusOf(await loadPage(conversationLoader as unknown as Loader, `/c/${other.slug}/messages/${dm.id}`, { slug: other.slug, conversationId: dm.id }, c.owner))).toBe(404);
    expect(statusOf(await loadPage(conversationLoader as unknown as Loader, path, params, null))).toBe(302);
  });

  it("Message on a member row opens the 1:1 (the same one twice); a member who lets nobody message them refuses with 403 dm_not_allowed in the form", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const path = `/c/${c.slug}/members`;
    const first = await postForm(membersAction as unknown as Action, path, { slug: c.slug }, ann, { intent: "dmStart", memberIds: bob.id, userId: bob.id });
    expect(location(first)).toMatch(new RegExp(`^/c/${c.slug}/messages/dm_`));
    const again = await postForm(membersAction as unknown as Action, path, { slug: c.slug }, ann, { intent: "dmStart", memberIds: bob.id, userId: bob.id });
    expect(location(again)).toBe(location(first));

    // Bob lets nobody message him, from his inbox's settings: the API shows it, and a new conversation is refused
    expect(await postForm(inboxAction as unknown as Action, `/c/${c.slug}/messages`, { slug: c.slug }, bob, { intent: "dmPolicy", policy: "nobody" })).toEqual({ ok: true, intent: "dmPolicy" });
    expect((await call(`/api/v1/communities/${c.slug}/dm-settings`, { as: bob })).body).toEqual({ policy: "nobody" });
    const refused = await postForm(membersAction as unknown as Action, path, { slug: c.slug }, ann, { intent: "dmStart", memberIds: `${bob.id}`, userId: bob.id });
    // the existing 1:1 stays reachable (policies judge new conversations only, ADR 034); a new group is refused
    expect(location(refused)).toBe(location(first));
    const carol = await addMember(c);
    const group = await postForm(inboxAction as unknown as Action, `/c/${c.slug}/messages`, { slug: c.slug }, carol, { intent: "dmStart", memberIds: bob.id, userId: bob.id });
    expect(statusOf(group)).toBe(403);
    expect((group as { data: { errors: { code: string } } }).data.errors.code).toBe("dm_not_allowed");
    expect(statusOf(await postForm(inboxAction as unknown as Action, `/c/${c.slug}/messages`, { slug: c.slug }, bob, { intent: "dmPolicy", policy: "friends" }))).toBe(400);
  });

  it("Block on a member row lists them under Blocked members; Unblock in the inbox takes them off", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c, { user: await createUser({ name: "Bob" }) })];
    const blocked = await postForm(membersAction as unknown as Action, `/c/${c.slug}/members`, { slug: c.slug }, ann, { intent: "dmBlock", userId: bob.id });
    expect(location(blocked)).toBe(`/c/${c.slug}/members?done=dmBlock`);
    const page = (await loadPage(inboxLoader as unknown as Loader, `/c/${c.slug}/messages`, { slug: c.slug }, ann)) as Awaited<ReturnType<typeof inboxLoader>>;
    expect(page.blocks.map((b) => b.user.name)).toEqual(["Bob"]);
    expect(await postForm(inboxAction as unknown as Action, `/c/${c.slug}/messages`, { slug: c.slug }, ann, { intent: "dmUnblock", userId: bob.id })).toEqual({ ok: true, intent: "dmUnblock" });
    expect((await call(`/api/v1/communities/${c.slug}/blocks`, { as: ann })).body.items).toEqual([]);
  });

  it("a group is renamed and left from its page (leaving goes back to the inbox); a 1:1 cannot be left (409 in the form)", async () => {
    const c = await makeCommunity();
    const [ann, bob] = [await addMember(c), await addMember(c)];
    const group = await started(c.slug, c.owner, [ann.id, bob.id]);
    const direct = await started(c.slug, c.owner, [ann.id]);
    const post = (id: string, as: typeof ann, fields: Record<string, string>) =>
      postForm(conversationAction as unknown as Action, `/c/${c.slug}/messages/${id}`, { slug: c.slug, conversationId: id }, as, fields);
    expect(await post(group.id, ann, { intent: "dmRename", name: "Weekend" })).toEqual({ ok: true, intent: "dmRename" });
    expect((await call(`/api/v1/conversations/${group.id}`, { as: bob })).body.conversation.name).toBe("Weekend");
    expect(location(await post(group.id, ann, { intent: "dmLeave" }))).toBe(`/c/${c.slug}/messages`);
    expect((await call(`/api/v1/conversations/${group.id}`, { as: ann })).status).toBe(404);
    expect(statusOf(await post(direct.id, ann, { intent: "dmLeave" }))).toBe(409);
    expect(statusOf(await post(group.id, ann, { intent: "dmRename", name: "Back" }))).toBe(404);
  });

  it("a member picker's search finds a member past the first hundred, for members only", async () => {
    const c = await makeCommunity();
    await Promise.all(Array.from({ length: 100 }, () => addMember(c)));
    const late = await addMember(c, { user: await createUser({ name: "Zhou Late" }) });
    const found = (await loadPage(memberSearchLoader as unknown as Loader, `/c/${c.slug}/member-search?q=zhou`, { slug: c.slug }, c.owner)) as { people: Array<{ id: string }> };
    expect(found.people.map((p) => p.id)).toEqual([late.id]);
    const outsider = await createUser();
    const refused = (await loadPage(memberSearchLoader as unknown as Loader, `/c/${c.slug}/member-search?q=zhou`, { slug: c.slug }, outsider)) as { people: unknown[] };
    expect(refused.people).toEqual([]);
  });
});
