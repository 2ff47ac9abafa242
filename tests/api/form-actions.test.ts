// Page forms call the same use cases as the API (ADR 023): a form and an API call with the same
// input are cleaned alike, refused with the same issues, and guarded by the same roles. The test
// Worker serves the API only, so each form is posted to the page's real `action`, with the
// context workers/app.ts builds (the request's one reader); the browser flows are in tests/e2e.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { action as communityAction } from "../../app/routes/community";
import { action as spaceAction } from "../../app/routes/community-space";
import { action as postAction } from "../../app/routes/community-post";
import { action as loginAction } from "../../app/routes/login";
import { addMember, makeCommunity } from "../community-fixtures";
import { feed, makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, ORIGIN, type TestUser } from "../helpers";
import { postForm, statusOf, type Action } from "../page-fixtures";
import { CreateSpaceBody } from "../../workers/domain/schemas/discussions";
import { DomainError } from "../../workers/lib/errors";
import { parseInput } from "../../workers/lib/validation";

describe("a page form and the API validate alike", () => {
  it("stores a post written in the space page's form cleaned exactly as the same post sent to the API", async () => {
    const community = await makeCommunity();
    const space = await makeSpace(community);
    const title = "Cafe\u0301 notes";
    const body = "line one\r\nline\u0007 two \u202Eevil";
    const viaApi = await call(`/api/v1/spaces/${space.id}/posts`, { as: community.owner, body: { title, body } });
    expect(viaApi.body.error ?? null).toBeNull();
    expect(viaApi.status).toBe(201);

    const res = (await postForm(spaceAction as unknown as Action, `/c/${community.slug}/s/${space.id}`, { slug: community.slug, spaceId: space.id }, community.owner, {
      intent: "post",
      title,
      body,
    })) as Response;
    expect(res.status).toBe(302);
    const postId = /\/posts\/([^/?#]+)/.exec(res.headers.get("Location") ?? "")?.[1];
    expect(postId).toBeTruthy();
    const viaForm = await call(`/api/v1/posts/${postId}`, { as: community.owner });
    const fromApi = await call(`/api/v1/posts/${viaApi.body.post.id}`, { as: community.owner });
    expect(viaForm.body.post.title).toBe("Café notes");
    expect(viaForm.body.post.title).toBe(fromApi.body.post.title);
    expect(viaForm.body.post.body).toBe(fromApi.body.post.body);
    expect(viaForm.body.post.body).not.toMatch(/[\u0000\u0007\u202E\r]/);
  });

  it("refuses a space name with nothing visible with the same 400 issues the API answers", async () => {
    const community = await makeCommunity();
    const input = { name: "\u200B\u3164", kind: "discussion", minTier: "free", private: false };
    const viaApi = await call(`/api/v1/communities/${community.slug}/spaces`, { as: community.owner, body: input });
    expect(viaApi.status).toBe(400);
    let refused: unknown;
    try {
      parseInput(CreateSpaceBody, input);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    const error = refused as DomainError;
    expect(error.status).toBe(400);
    expect(error.code).toBe(viaApi.body.error.code);
    expect(error.extra?.issues).toEqual(viaApi.body.error.issues);

    // and the page's form answers 400 with the field error, creating nothing
    const res = await postForm(communityAction as unknown as Action, `/c/${community.slug}`, { slug: community.slug }, community.owner, {
      intent: "create-space",
      name: input.name,
      description: "",
    });
    expect(statusOf(res)).toBe(400);
    expect((res as { data: { errors: { code: string; fields: Record<string, unknown> } } }).data.errors.code).toBe("validation_failed");
    expect(Object.keys((res as { data: { errors: { fields: Record<string, unknown> } } }).data.errors.fields)).toEqual(["name"]);
    const spaces = await call(`/api/v1/communities/${community.slug}/spaces`, { as: community.owner });
    expect(spaces.body.items).toEqual([]);
  });
});

describe("a page form is guarded as the API route is", () => {
  it("refuses a member's attempt to archive a space from the community page with 403, and leaves it listed", async () => {
    const community = await makeCommunity();
    const space = await makeSpace(community);
    const member = await addMember(community, { role: "member" });
    const viaApi = await call(`/api/v1/spaces/${space.id}`, { method: "DELETE", as: member });
    expect(viaApi.status).toBe(403);

    const res = await postForm(communityAction as unknown as Action, `/c/${community.slug}`, { slug: community.slug }, member, { intent: "archive", spaceId: space.id });
    expect(statusOf(res)).toBe(403);
    expect((res as { data: { errors: { code: string } } }).data.errors.code).toBe("forbidden");
    const spaces = await call(`/api/v1/communities/${community.slug}/spaces`, { as: community.owner });
    expect(spaces.body.items.map((e: { space: { id: string } }) => e.space.id)).toEqual([space.id]);
  });

  it("signs in through the login form with the same session cookie the API sets", async () => {
    const user = await createUser();
    const res = (await postForm(loginAction as unknown as Action, "/login", {}, null, { email: user.email, password: "correct horse battery", next: "/" })) as Response;
    expect(res.status).toBe(302);
    const cookie = res.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/^enclave_session=[^;]+; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    const me = await call("/api/v1/me", { as: { ...user, cookie: cookie.split(";")[0] } });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.id);
  });
});

describe("a create form sent twice with one idempotency key creates once", () => {
  const locationOf = (answer: unknown) => (answer as Response).headers.get("Location");

  it("publishes one post for the space composer sent twice, and answers both with the same post's page", async () => {
    const community = await makeCommunity();
    const space = await makeSpace(community);
    const path = `/c/${community.slug}/s/${space.id}`;
    const fields = { intent: "post", title: "Only once", body: "double click", idempotencyKey: "frm_composer-1" };
    const first = await postForm(spaceAction as unknown as Action, path, { slug: community.slug, spaceId: space.id }, community.owner, fields);
    const second = await postForm(spaceAction as unknown as Action, path, { slug: community.slug, spaceId: space.id }, community.owner, fields);
    expect(statusOf(first)).toBe(302);
    expect(statusOf(second)).toBe(302);
    expect(locationOf(first)).toMatch(new RegExp(`^/c/${community.slug}/posts/pst_[0-9a-z]{26}\\?created=1$`));
    expect(locationOf(second)).toBe(locationOf(first));
    const posts = await feed(space.id, community.owner);
    expect(posts.body.items.map((p: { title: string }) => p.title)).toEqual(["Only once"]);
  });

  it("posts one comment and one reply when both forms arrive twice at once (a double click), each answered with its own comment", async () => {
    const community = await makeCommunity();
    const space = await makeSpace(community);
    const post = await writePost(space, community.owner);
    const parent = await writeComment(post.id, community.owner, "first");
    const path = `/c/${community.slug}/posts/${post.id}`;
    const params = { slug: community.slug, postId: post.id };
    const comment = { intent: "comment", body: "me too", idempotencyKey: "frm_page-1" };
    const reply = { intent: "comment", body: "me too", parentId: parent.id, idempotencyKey: `frm_page-1.${parent.id}` };
    const answers = await Promise.all([comment, comment, reply, reply].map((fields) => postForm(postAction as unknown as Action, path, params, community.owner, fields)));
    expect(answers.map(statusOf)).toEqual([302, 302, 302, 302]);
    const [c1, c2, r1, r2] = answers.map(locationOf);
    expect(c1).toMatch(new RegExp(`^${path}#comment-cmt_[0-9a-z]{26}$`));
    expect(c2).toBe(c1);
    expect(r2).toBe(r1);
    expect(r1).not.toBe(c1);
    const comments = await call(`/api/v1/posts/${post.id}/comments`, { as: community.owner });
    const ids = comments.body.items.map((c: { id: string }) => `${path}#comment-${c.id}`);
    expect(ids.sort()).toEqual([`${path}#comment-${parent.id}`, c1, r1].sort());
  });

  it("refuses the same key with other text with 422 idempotency_key_reused and stores nothing more", async () => {
    const community = await makeCommunity();
    const space = await makeSpace(community);
    const post = await writePost(space, community.owner);
    const path = `/c/${community.slug}/posts/${post.id}`;
    const params = { slug: community.slug, postId: post.id };
    const first = await postForm(postAction as unknown as Action, path, params, community.owner, { intent: "comment", body: "one", idempotencyKey: "frm_reused" });
    expect(statusOf(first)).toBe(302);
    const other = await postForm(postAction as unknown as Action, path, params, community.owner, { intent: "comment", body: "two", idempotencyKey: "frm_reused" });
    expect(statusOf(other)).toBe(422);
    expect((other as { data: { errors: { code: string } } }).data.errors.code).toBe("idempotency_key_reused");
    const comments = await call(`/api/v1/posts/${post.id}/comments`, { as: community.owner });
    expect(comments.body.items.map((c: { body: string }) => c.body)).toEqual(["one"]);
  });

  it("frees the key after a refused submit, so the corrected form with the same key posts", async () => {
    const community = await makeCommunity();
    const space = await makeSpace(community);
    const path = `/c/${community.slug}/s/${space.id}`;
    const params = { slug: community.slug, spaceId: space.id };
    const refused = await postForm(spaceAction as unknown as Action, path, params, community.owner, { intent: "post", title: "", body: "x", idempotencyKey: "frm_fix" });
    expect(statusOf(refused)).toBe(400);
    const fixed = await postForm(spaceAction as unknown as Action, path, params, community.owner, { intent: "post", title: "Fixed", body: "x", idempotencyKey: "frm_fix" });
    expect(statusOf(fixed)).toBe(302);
    const posts = await feed(space.id, community.owner);
    expect(posts.body.items.map((p: { title: string }) => p.title)).toEqual(["Fixed"]);
  });
});
