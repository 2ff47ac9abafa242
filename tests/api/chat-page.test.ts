// The chat space's page (issue 12): its loader renders the newest history through the domain with
// what the viewer may do, and its forms (for a browser without JavaScript, and the settings panel)
// call the chat use cases with the API's validation and roles.
import { describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/community-space";
import { action as communityAction } from "../../app/routes/community";
import { addMember, makeCommunity } from "../community-fixtures";
import { makeChat } from "../chat-fixtures";
import { call } from "../helpers";
import { loadPage, postForm, statusOf, type Action, type Loader } from "../page-fixtures";
import type { ChatPage } from "../../app/lib/chat.server";

const pageOf = (answer: unknown) => (answer as { chat: ChatPage | null }).chat;

describe("chat space page", () => {
  it("renders the newest messages oldest first with the head to resume from, and each viewer's flags from the server", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const space = await makeChat(c);
    const member = await addMember(c);
    const moderator = await addMember(c, { role: "moderator" });
    for (const body of ["one", "two", "three"]) await call(`/api/v1/spaces/${space.id}/messages`, { as: member, body: { body } });
    const path = `/c/${c.slug}/s/${space.id}`;
    const params = { slug: c.slug, spaceId: space.id };

    const asMember = pageOf(await loadPage(loader as unknown as Loader, path, params, member))!;
    expect(asMember.history.items.map((m) => m.body)).toEqual(["one", "two", "three"]);
    expect(asMember.history.head).toBe(3);
    expect(asMember.history.nextCursor).toBeNull();
    expect(asMember.viewer).toEqual({ userId: member.id, name: member.name, canWrite: true, canModerate: false, notifyLevel: "mentions" });

    const asModerator = pageOf(await loadPage(loader as unknown as Loader, path, params, moderator))!;
    expect(asModerator.viewer).toMatchObject({ canWrite: true, canModerate: true });

    // a signed-out reader of a public community reads the history and gets no socket
    const asGuest = pageOf(await loadPage(loader as unknown as Loader, path, params, null))!;
    expect(asGuest.history.items).toHaveLength(3);
    expect(asGuest.viewer).toMatchObject({ userId: "", canWrite: false, canModerate: false, notifyLevel: null });
  });

  it("the notification level, slow mode and no-script send forms change what the API shows; a member's slow-mode form is refused like the API", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const path = `/c/${c.slug}/s/${space.id}`;
    const params = { slug: c.slug, spaceId: space.id };
    const post = (as: typeof member, fields: Record<string, string>) => postForm(action as unknown as Action, path, params, as, fields);

    expect(await post(member, { intent: "chatNotify", level: "all" })).toEqual({ ok: true, intent: "chatNotify" });
    expect((await call(`/api/v1/spaces/${space.id}/chat/notifications`, { as: member })).body).toEqual({ level: "all" });
    const badLevel = await post(member, { intent: "chatNotify", level: "loud" });
    expect(statusOf(badLevel)).toBe(400);

    const refused = await post(member, { intent: "chatSlowMode", slowModeSeconds: "30" });
    expect(statusOf(refused)).toBe(403);
    const viaApi = await call(`/api/v1/spaces/${space.id}/chat`, { as: member, method: "PATCH", body: { slowModeSeconds: 30 } });
    expect(viaApi.status).toBe(403);
    expect(await post(c.owner, { intent: "chatSlowMode", slowModeSeconds: "30" })).toEqual({ ok: true, intent: "chatSlowMode" });
    expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: member })).body.slowModeSeconds).toBe(30);

    expect(await post(member, { intent: "chatSend", body: "sent without JavaScript" })).toEqual({ ok: true, intent: "chatSend" });
    const history = (await call(`/api/v1/spaces/${space.id}/messages`, { as: member })).body;
    expect(history.items.map((m: { body: string; author: { id: string } }) => [m.body, m.author.id])).toEqual([["sent without JavaScript", member.id]]);
  });

  it("an admin creates a chat space from the community page's new-space form", async () => {
    const c = await makeCommunity();
    const answer = await postForm(communityAction as unknown as Action, `/c/${c.slug}`, { slug: c.slug }, c.owner, { intent: "create-space", name: "Lounge", kind: "chat", minTier: "free" });
    expect(statusOf(answer)).toBe(302);
    const spaces = (await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner })).body.items;
    expect(spaces.map((e: { space: { name: string; kind: string } }) => [e.space.name, e.space.kind])).toEqual([["Lounge", "chat"]]);
  });
});
