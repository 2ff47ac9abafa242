// Page actions and loaders answer for the community the URL names (issue 11): an id from another
// community is "no such page" there, redirects come from the server's rows, a file where text
// belongs is a 400, and a page above the member's tier keeps its prompt with the API's 403.
import { describe, expect, it } from "vitest";
import { action as spaceAction, loader as spaceLoader } from "../../app/routes/community-space";
import { action as postAction, loader as postLoader } from "../../app/routes/community-post";
import { action as communityAction } from "../../app/routes/community";
import { action as membersAction, loader as membersLoader } from "../../app/routes/community-members";
import { action as invitesAction, loader as invitesLoader } from "../../app/routes/community-invites";
import { loader as searchLoader } from "../../app/routes/community-search";
import { loader as notificationsLoader } from "../../app/routes/notifications";
import { addMember, makeCommunity } from "../community-fixtures";
import { feed, makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, ORIGIN } from "../helpers";
import { loadPage, pageContext, postForm, statusOf, type Action, type Loader } from "../page-fixtures";

const asAction = (a: unknown) => a as Action;
const asLoader = (l: unknown) => l as Loader;

describe("page actions act only inside the community the URL names", () => {
  it("refuses a post sent to another community's URL with the outsider's own space (404) and creates nothing", async () => {
    const lab = await makeCommunity();
    const outlab = await makeCommunity();
    const theirs = await makeSpace(outlab);
    for (const slug of [lab.slug, "no-such-slug"]) {
      const res = await postForm(asAction(spaceAction), `/c/${slug}/s/${theirs.id}`, { slug, spaceId: theirs.id }, outlab.owner, { intent: "post", title: "Sneaky", body: "in the wrong place" });
      expect(statusOf(res)).toBe(404);
    }
    const items = await feed(theirs.id, outlab.owner);
    expect(items.body.items).toHaveLength(0);
  });

  it("refuses a comment and a delete on the outsider's own post under another community's URL (404), leaving the post as it was", async () => {
    const lab = await makeCommunity();
    const outlab = await makeCommunity();
    const theirs = await makeSpace(outlab);
    const post = await writePost(theirs, outlab.owner);
    const path = `/c/${lab.slug}/posts/${post.id}`;
    const params = { slug: lab.slug, postId: post.id };
    expect(statusOf(await postForm(asAction(postAction), path, params, outlab.owner, { intent: "comment", body: "hello" }))).toBe(404);
    expect(statusOf(await postForm(asAction(postAction), path, params, outlab.owner, { intent: "delete-post", spaceId: "spc_elsewhere" }))).toBe(404);
    const after = await call(`/api/v1/posts/${post.id}/comments`, { as: outlab.owner });
    expect(after.status).toBe(200);
    expect(after.body.items).toHaveLength(0);
    expect((await call(`/api/v1/posts/${post.id}`, { as: outlab.owner })).status).toBe(200);
  });

  it("refuses a comment edit or delete on the post page of a different post (404)", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const one = await writePost(space, c.owner, { title: "One" });
    const two = await writePost(space, c.owner, { title: "Two" });
    const comment = await writeComment(two.id, c.owner, "on two");
    const res = await postForm(asAction(postAction), `/c/${c.slug}/posts/${one.id}`, { slug: c.slug, postId: one.id }, c.owner, { intent: "delete-comment", commentId: comment.id });
    expect(statusOf(res)).toBe(404);
    expect((await call(`/api/v1/posts/${two.id}/comments`, { as: c.owner })).body.items).toHaveLength(1);
  });

  it("sends a deleted post's author back to the post's own space, whatever spaceId the form carries", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    const res = (await postForm(asAction(postAction), `/c/${c.slug}/posts/${post.id}`, { slug: c.slug, postId: post.id }, c.owner, { intent: "delete-post", spaceId: "spc_forged" })) as Response;
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`/c/${c.slug}/s/${space.id}?deleted=1`);
  });

  it("refuses to follow or archive a space of another community from this community's page (404)", async () => {
    const lab = await makeCommunity();
    const outlab = await makeCommunity({ owner: lab.owner });
    const theirs = await makeSpace(outlab);
    for (const intent of ["follow", "archive"]) {
      const res = await postForm(asAction(communityAction), `/c/${lab.slug}`, { slug: lab.slug }, lab.owner, { intent, spaceId: theirs.id });
      expect(statusOf(res)).toBe(404);
    }
    expect((await call(`/api/v1/spaces/${theirs.id}`, { as: lab.owner })).body.space.archivedAt ?? null).toBeNull();
  });

  it("refuses a reaction from this community's page on a post of another community (404)", async () => {
    const lab = await makeCommunity();
    const outlab = await makeCommunity();
    const space = await makeSpace(lab);
    const theirs = await makeSpace(outlab);
    const post = await writePost(theirs, outlab.owner);
    const res = await postForm(asAction(spaceAction), `/c/${lab.slug}/s/${space.id}`, { slug: lab.slug, spaceId: space.id }, outlab.owner, { intent: "react", target: "post", id: post.id, emoji: "👍" });
    expect(statusOf(res)).toBe(404);
  });
});

describe("form fields that must be text", () => {
  it("refuses a comment whose body part is a file with 400 validation_failed, and stores no \"[object File]\"", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    const form = new FormData();
    form.set("intent", "comment");
    form.set("body", new File(["hello"], "body.txt", { type: "text/plain" }));
    const request = new Request(`${ORIGIN}/c/${c.slug}/posts/${post.id}`, { method: "POST", headers: { Origin: ORIGIN }, body: form });
    let answer: unknown;
    try {
      answer = await postAction({ request, params: { slug: c.slug, postId: post.id }, context: await pageContext(c.owner) } as never);
    } catch (thrown) {
      answer = thrown;
    }
    expect(statusOf(answer)).toBe(400);
    expect((answer as { data: { errors: { code: string; fields: Record<string, unknown> } } }).data.errors.code).toBe("validation_failed");
    expect((answer as { data: { errors: { fields: Record<string, unknown> } } }).data.errors.fields.body).toBeTruthy();
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner })).body.items).toHaveLength(0);
  });
});

describe("pages above the member's tier", () => {
  it("answers the space page and a post page above a free member's tier with 403 and the upgrade prompt", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const post = await writePost(vip, c.owner);
    const member = await addMember(c);
    const space = await loadPage(asLoader(spaceLoader), `/c/${c.slug}/s/${vip.id}`, { slug: c.slug, spaceId: vip.id }, member);
    expect(statusOf(space)).toBe(403);
    expect((space as { data: { locked: boolean; tierName: string | null } }).data.locked).toBe(true);
    const page = await loadPage(asLoader(postLoader), `/c/${c.slug}/posts/${post.id}`, { slug: c.slug, postId: post.id }, member);
    expect(statusOf(page)).toBe(403);
    expect((page as { data: { locked: boolean } }).data.locked).toBe(true);
    // the owner, who has every tier, reads both as 200
    expect(statusOf(await loadPage(asLoader(postLoader), `/c/${c.slug}/posts/${post.id}`, { slug: c.slug, postId: post.id }, c.owner))).toBe(200);
  });
});

describe("hiding a comment from the post page", () => {
  it("lets a moderator hide a comment and show it again, and refuses a member with 403", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    const member = await addMember(c);
    const moderator = await addMember(c, { role: "moderator" });
    const comment = await writeComment(post.id, member, "a remark");
    const path = `/c/${c.slug}/posts/${post.id}`;
    const params = { slug: c.slug, postId: post.id };
    const page = (await loadPage(asLoader(postLoader), path, params, moderator)) as { comments: { id: string; viewer: { permissions: string[] } }[] };
    expect(page.comments.find((x) => x.id === comment.id)?.viewer.permissions).toContain("comment.hide");

    expect(statusOf(await postForm(asAction(postAction), path, params, member, { intent: "hide-comment", commentId: comment.id, value: "1" }))).toBe(403);
    const hidden = (await postForm(asAction(postAction), path, params, moderator, { intent: "hide-comment", commentId: comment.id, value: "1" })) as Response;
    expect(hidden.status).toBe(302);
    expect(hidden.headers.get("Location")).toBe(`${path}?done=comment-hidden#comment-${comment.id}`);
    const asModerator = await call(`/api/v1/posts/${post.id}/comments`, { as: moderator });
    expect(asModerator.body.items.find((x: { id: string }) => x.id === comment.id)?.hidden).toBe(true);

    const shown = (await postForm(asAction(postAction), path, params, moderator, { intent: "hide-comment", commentId: comment.id, value: "0" })) as Response;
    expect(shown.status).toBe(302);
    const again = await call(`/api/v1/posts/${post.id}/comments`, { as: member });
    expect(again.body.items.map((x: { id: string }) => x.id)).toContain(comment.id);
  });
});

describe("staff pages answer as the API does", () => {
  it("shows an ordinary member the member list without management controls, and refuses their management POST with 403", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const other = await addMember(c);
    const path = `/c/${c.slug}/members`;
    const params = { slug: c.slug };
    const api = await call(`/api/v1/communities/${c.slug}/members`, { as: member });
    expect(api.status).toBe(200);
    const page = (await loadPage(asLoader(membersLoader), path, params, member)) as { members: { user: { id: string }; viewer: { permissions: string[] } }[] };
    expect(statusOf(page)).toBe(200);
    expect(page.members.map((m) => m.user.id).sort()).toEqual(api.body.items.map((m: { user: { id: string } }) => m.user.id).sort());
    expect(page.members.every((m) => !m.viewer.permissions.includes("member.remove"))).toBe(true);
    expect(statusOf(await postForm(asAction(membersAction), path, params, member, { intent: "remove", userId: other.id }))).toBe(403);
    // a stranger to a private community does not learn the page exists
    const privateOne = await makeCommunity({ visibility: "private" });
    expect(statusOf(await loadPage(asLoader(membersLoader), `/c/${privateOne.slug}/members`, { slug: privateOne.slug }, member))).toBe(404);
  });

  it("opens the invites page to a moderator (invite.create) and lets them create a free invite, but not a paid one; a member gets 403, as GET /communities/:slug/invites answers them", async () => {
    const c = await makeCommunity();
    const moderator = await addMember(c, { role: "moderator" });
    const member = await addMember(c);
    const path = `/c/${c.slug}/invites`;
    const params = { slug: c.slug };
    const page = await loadPage(asLoader(invitesLoader), path, params, moderator);
    expect(statusOf(page)).toBe(200);
    expect(statusOf(await loadPage(asLoader(invitesLoader), path, params, member))).toBe(403);
    expect((await call(`/api/v1/communities/${c.slug}/invites`, { as: member })).status).toBe(403);
    const free = (await postForm(asAction(invitesAction), path, params, moderator, { intent: "create", tier: "free" })) as Response;
    expect(free.status).toBe(302);
    expect(free.headers.get("Location")).toMatch(new RegExp(`^/c/${c.slug}/invites\\?created=`));
    const paid = await postForm(asAction(invitesAction), path, params, moderator, { intent: "create", tier: "vip" });
    expect(statusOf(paid)).toBe(403);
    expect(statusOf(await postForm(asAction(invitesAction), path, params, member, { intent: "create", tier: "free" }))).toBe(403);
  });
});

describe("a malformed ?cursor= on a page", () => {
  it("answers the space page and the post page with 400, as the API answers it", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    expect((await feed(space.id, c.owner, "?cursor=nope")).status).toBe(400);
    const spacePage = await loadPage(asLoader(spaceLoader), `/c/${c.slug}/s/${space.id}?cursor=nope`, { slug: c.slug, spaceId: space.id }, c.owner);
    expect(statusOf(spacePage)).toBe(400);
    const postPage = await loadPage(asLoader(postLoader), `/c/${c.slug}/posts/${post.id}?cursor=nope`, { slug: c.slug, postId: post.id }, c.owner);
    expect(statusOf(postPage)).toBe(400);
  });

  it("answers the members, search and notifications pages with 400 too (not a 'could not be loaded' that blames the network); a query's own field error stays on the search page", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const at = async (loader: unknown, path: string, params: Record<string, string>) => statusOf(await loadPage(asLoader(loader), path, params, member));
    expect(await at(membersLoader, `/c/${c.slug}/members?cursor=nope`, { slug: c.slug })).toBe(400);
    expect(await at(searchLoader, `/c/${c.slug}/search?q=tea&cursor=nope`, { slug: c.slug })).toBe(400);
    expect(await at(notificationsLoader, `/notifications?cursor=nope`, {})).toBe(400);
    // the first pages themselves answer
    expect(await at(membersLoader, `/c/${c.slug}/members`, { slug: c.slug })).toBe(200);
    expect(await at(searchLoader, `/c/${c.slug}/search?q=tea`, { slug: c.slug })).toBe(200);
    expect(await at(notificationsLoader, `/notifications`, {})).toBe(200);
  });

  it("shows a space above the reader's tier as its upgrade prompt (403), whatever the link's cursor", async () => {
    const c = await makeCommunity();
    const free = await addMember(c);
    const vip = await makeSpace(c, { minTier: "vip" });
    const page = await loadPage(asLoader(spaceLoader), `/c/${c.slug}/s/${vip.id}?cursor=nope`, { slug: c.slug, spaceId: vip.id }, free);
    expect(statusOf(page)).toBe(403);
  });
});

describe("a page form with an intent the page does not know", () => {
  it("answers 400, never a 200 that looks like success", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    const forms: Array<[unknown, string, Record<string, string>]> = [
      [postAction, `/c/${c.slug}/posts/${post.id}`, { slug: c.slug, postId: post.id }],
      [spaceAction, `/c/${c.slug}/s/${space.id}`, { slug: c.slug, spaceId: space.id }],
      [communityAction, `/c/${c.slug}`, { slug: c.slug }],
      [membersAction, `/c/${c.slug}/members`, { slug: c.slug }],
    ];
    for (const [action, path, params] of forms) {
      for (const intent of ["nonsense", ""]) {
        expect(statusOf(await postForm(asAction(action), path, params, c.owner, { intent })), `${path} ${JSON.stringify(intent)}`).toBe(400);
      }
    }
  });
});
