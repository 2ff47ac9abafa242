import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { addMember, auditActions, db, expectError, makeCommunity } from "../community-fixtures";
import { feed, makeSpace, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";

const listSpaces = (slug: string, as: TestUser | null) => call(`/api/v1/communities/${slug}/spaces`, { as });
type ListItem = { space: { id: string; name: string; newPosts: number; following: boolean; position: number }; locked: boolean };
const ids = (res: { body: { items: ListItem[] } }) => res.body.items.map((i) => i.space.id);

describe("creating and managing spaces", () => {
  it("lets an admin create a space and answers the full space shape", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const res = await call(`/api/v1/communities/${c.slug}/spaces`, {
      as: admin,
      body: { name: "  Announcements ", description: "News", kind: "discussion", minTier: "member" },
    });
    expect(res.status).toBe(201);
    expect(res.body.space).toEqual({
      id: expect.any(String),
      communityId: c.id,
      kind: "discussion",
      name: "Announcements",
      description: "News",
      minTier: "member",
      private: false,
      position: 0,
      archived: false,
      createdAt: expect.any(String),
      following: false,
      newPosts: 0,
    });
    expect(await auditActions(c.id)).toContain("space.create");
  });

  it("stores chat and events spaces too, placing each new space last", async () => {
    const c = await makeCommunity();
    const first = await makeSpace(c);
    const chat = await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { name: "Chat", kind: "chat", minTier: "free" } });
    expect(chat.status).toBe(201);
    expect(chat.body.space).toMatchObject({ kind: "chat", position: 1 });
    expect(ids(await listSpaces(c.slug, c.owner))).toEqual([first.id, chat.body.space.id]);
  });

  it("refuses moderators and members (403), signed-out callers (401), and bad input (400)", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const body = { name: "X", kind: "discussion", minTier: "free" };
    expectError(await call(`/api/v1/communities/${c.slug}/spaces`, { as: mod, body }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/spaces`, { as: null, body }), 401, "unauthenticated");
    expectError(await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { ...body, name: "  " } }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { ...body, name: "x".repeat(81) } }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { ...body, kind: "wiki" } }), 400, "validation_failed");
    const outsider = await createUser();
    expectError(
      await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { ...body, private: true, memberIds: [outsider.id] } }),
      400,
      "validation_failed",
    );
  });

  it("lets an admin edit a space (audited) but not a member", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const member = await addMember(c);
    expectError(await call(`/api/v1/spaces/${space.id}`, { as: member, method: "PATCH", body: { name: "Mine" } }), 403, "forbidden");
    const res = await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "PATCH", body: { name: "Renamed", minTier: "vip" } });
    expect(res.status).toBe(200);
    expect(res.body.space).toMatchObject({ name: "Renamed", minTier: "vip" });
    expect(await auditActions(c.id)).toContain("space.update");
    expectError(await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "PATCH", body: { communityId: "x" } }), 400, "validation_failed");
  });

  it("archives a space on DELETE: it leaves the list and its routes answer 404", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const member = await addMember(c);
    const post = await writePost(space, member);
    const del = await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "DELETE" });
    expect(del.status).toBe(204);
    expect(ids(await listSpaces(c.slug, c.owner))).not.toContain(space.id);
    expectError(await feed(space.id, c.owner), 404, "not_found");
    expectError(await call(`/api/v1/posts/${post.id}`, { as: member }), 404, "not_found");
    expectError(await call(`/api/v1/spaces/${space.id}/posts`, { as: member, body: { title: "t", body: "b" } }), 404, "not_found");
    expect(await auditActions(c.id)).toContain("space.archive");
  });

  it("reorders spaces; spaces left out keep their order after the listed ones; unknown ids are a 400", async () => {
    const c = await makeCommunity();
    const a = await makeSpace(c, { name: "A" });
    const b = await makeSpace(c, { name: "B" });
    const d = await makeSpace(c, { name: "D" });
    const res = await call(`/api/v1/communities/${c.slug}/spaces/reorder`, { as: c.owner, body: { spaceIds: [d.id, a.id] } });
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([d.id, a.id, b.id]);
    expect(ids(await listSpaces(c.slug, c.owner))).toEqual([d.id, a.id, b.id]);
    expectError(await call(`/api/v1/communities/${c.slug}/spaces/reorder`, { as: c.owner, body: { spaceIds: ["spc_nope"] } }), 400, "validation_failed");
    expectError(await call(`/api/v1/communities/${c.slug}/spaces/reorder`, { as: await addMember(c), body: { spaceIds: [a.id] } }), 403, "forbidden");
    expect(await auditActions(c.id)).toContain("space.reorder");
  });
});

describe("who sees which space", () => {
  it("lists spaces above the caller's tier as locked, and answers 403 tier_required inside them", async () => {
    const c = await makeCommunity();
    const open = await makeSpace(c, { name: "Open" });
    const vip = await makeSpace(c, { name: "VIP", minTier: "vip" });
    const free = await addMember(c);
    const list = await listSpaces(c.slug, free);
    expect(list.status).toBe(200);
    expect(list.body.nextCursor).toBeNull();
    expect(list.body.items.map((i: ListItem) => [i.space.id, i.locked])).toEqual([
      [open.id, false],
      [vip.id, true],
    ]);
    const locked = await call(`/api/v1/spaces/${vip.id}`, { as: free });
    expectError(locked, 403, "tier_required");
    expect(locked.body.error.requiredTier).toBe("vip");
    const follow = await call(`/api/v1/spaces/${vip.id}/follow`, { as: free, method: "POST" });
    expectError(follow, 403, "tier_required");

    const payer = await addMember(c, { paidTier: "vip" });
    expect((await listSpaces(c.slug, payer)).body.items.every((i: ListItem) => !i.locked)).toBe(true);
  });

  it("lets admins and the owner past the tier, but not moderators", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    const admin = await addMember(c, { role: "admin" });
    const mod = await addMember(c, { role: "moderator" });
    expect((await call(`/api/v1/spaces/${vip.id}`, { as: admin })).status).toBe(200);
    expect((await call(`/api/v1/spaces/${vip.id}`, { as: c.owner })).status).toBe(200);
    const res = await call(`/api/v1/spaces/${vip.id}`, { as: mod });
    expectError(res, 403, "tier_required");
    expect((await listSpaces(c.slug, mod)).body.items[0].locked).toBe(true);
  });

  it("shows a private space only to its listed members and admins; others get 404", async () => {
    const c = await makeCommunity();
    const insider = await addMember(c);
    const outsider = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const admin = await addMember(c, { role: "admin" });
    const secret = await makeSpace(c, { private: true, memberIds: [insider.id] });
    expect(ids(await listSpaces(c.slug, insider))).toContain(secret.id);
    expect(ids(await listSpaces(c.slug, admin))).toContain(secret.id);
    expect(ids(await listSpaces(c.slug, outsider))).not.toContain(secret.id);
    expect(ids(await listSpaces(c.slug, mod))).not.toContain(secret.id);
    expectError(await call(`/api/v1/spaces/${secret.id}`, { as: outsider }), 404, "not_found");
    expectError(await feed(secret.id, outsider), 404, "not_found");
    expectError(await call(`/api/v1/spaces/${secret.id}/posts`, { as: outsider, body: { title: "t", body: "b" } }), 404, "not_found");
    expectError(await call(`/api/v1/spaces/${secret.id}/follow`, { as: outsider, method: "POST" }), 404, "not_found");
    expect((await feed(secret.id, insider)).status).toBe(200);
    expect((await feed(secret.id, admin)).status).toBe(200);
  });

  it("a listing left from a lapsed membership opens nothing: not the feed, not the space list, not search", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const former = await addMember(c);
    const secret = await makeSpace(c, { private: true, memberIds: [former.id] });
    await writePost(secret, c.owner, { title: "Secret plans", body: "quarterly plans" });
    expect((await feed(secret.id, former)).status).toBe(200);
    // the membership lapses (status no longer active) while the space_members row stays
    await db()
      .update(schema.memberships)
      .set({ status: "left" })
      .where(and(eq(schema.memberships.communityId, c.id), eq(schema.memberships.userId, former.id)));
    expectError(await feed(secret.id, former), 404, "not_found");
    expect(ids(await listSpaces(c.slug, former))).not.toContain(secret.id);
    const found = await call(`/api/v1/communities/${c.slug}/search?q=quarterly`, { as: former });
    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([]);
  });

  it("shows a moderator the hidden posts of a feed, and members only their own", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const author = await addMember(c);
    const reader = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const post = await writePost(space, author);
    await db().update(schema.posts).set({ hiddenAt: new Date() }).where(eq(schema.posts.id, post.id));
    const shown = async (as: TestUser) => (await feed(space.id, as)).body.items.map((p: { id: string }) => p.id);
    expect(await shown(mod)).toEqual([post.id]);
    expect(await shown(author)).toEqual([post.id]);
    expect(await shown(reader)).toEqual([]);
  });

  it("adds and removes private space members (admin only, audited); the removed member loses access", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const secret = await makeSpace(c, { private: true });
    expectError(await feed(secret.id, m), 404, "not_found");
    expectError(await call(`/api/v1/spaces/${secret.id}/members`, { as: m, body: { userIds: [m.id] } }), 404, "not_found");
    const added = await call(`/api/v1/spaces/${secret.id}/members`, { as: c.owner, body: { userIds: [m.id] } });
    expect(added.status).toBe(200);
    expect(added.body.items.map((i: { user: { id: string } }) => i.user.id)).toEqual([m.id]);
    expect((await feed(secret.id, m)).status).toBe(200);
    expect((await call(`/api/v1/spaces/${secret.id}/follow`, { as: m, method: "POST" })).status).toBe(200);
    const removed = await call(`/api/v1/spaces/${secret.id}/members/${m.id}`, { as: c.owner, method: "DELETE" });
    expect(removed.status).toBe(204);
    expectError(await feed(secret.id, m), 404, "not_found");
    const follows = await db()
      .select()
      .from(schema.spaceFollows)
      .where(and(eq(schema.spaceFollows.spaceId, secret.id), eq(schema.spaceFollows.userId, m.id)));
    expect(follows).toHaveLength(0);
    const actions = await auditActions(c.id);
    expect(actions).toContain("space.members_add");
    expect(actions).toContain("space.member_remove");
  });

  it("refuses a member list on a space that is not private (409)", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const space = await makeSpace(c);
    expectError(await call(`/api/v1/spaces/${space.id}/members`, { as: c.owner, body: { userIds: [m.id] } }), 409, "conflict");
  });

  it("answers 404 to outsiders of a private community, for the list and for a space", async () => {
    const c = await makeCommunity({ visibility: "private" });
    const space = await makeSpace(c);
    const stranger = await createUser();
    expectError(await listSpaces(c.slug, stranger), 404, "not_found");
    expectError(await listSpaces(c.slug, null), 404, "not_found");
    expectError(await call(`/api/v1/spaces/${space.id}`, { as: stranger }), 404, "not_found");
    expectError(await call(`/api/v1/spaces/${space.id}/follow`, { as: stranger, method: "POST" }), 404, "not_found");
  });

  it("lets signed-out visitors of a public community read free spaces but not write (401)", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const open = await makeSpace(c);
    const paid = await makeSpace(c, { minTier: "member" });
    const list = await listSpaces(c.slug, null);
    expect(list.body.items.map((i: ListItem) => [i.space.id, i.locked])).toEqual([
      [open.id, false],
      [paid.id, true],
    ]);
    expect((await feed(open.id, null)).status).toBe(200);
    expectError(await feed(paid.id, null), 403, "tier_required");
    expectError(await call(`/api/v1/spaces/${open.id}/posts`, { as: null, body: { title: "t", body: "b" } }), 401, "unauthenticated");
    expectError(await call(`/api/v1/spaces/${open.id}/follow`, { as: null, method: "POST" }), 401, "unauthenticated");
    // signed in but not a member: reads, but joins before writing
    const visitor = await createUser();
    expect((await feed(open.id, visitor)).status).toBe(200);
    expectError(await call(`/api/v1/spaces/${open.id}/posts`, { as: visitor, body: { title: "t", body: "b" } }), 403, "forbidden");
  });
});

describe("following and new posts", () => {
  it("follows and unfollows a space, reflected in the space and the list", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const on = await call(`/api/v1/spaces/${space.id}/follow`, { as: m, method: "POST" });
    expect(on.status).toBe(200);
    expect(on.body.space.following).toBe(true);
    expect((await call(`/api/v1/spaces/${space.id}/follow`, { as: m, method: "POST" })).body.space.following).toBe(true);
    expect((await listSpaces(c.slug, m)).body.items[0].space.following).toBe(true);
    const off = await call(`/api/v1/spaces/${space.id}/follow`, { as: m, method: "DELETE" });
    expect(off.body.space.following).toBe(false);
  });

  it("counts posts written since the caller's last visit", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const reader = await addMember(c);
    const writer = await addMember(c);
    await writePost(space, writer);
    await writePost(space, writer);
    expect((await listSpaces(c.slug, reader)).body.items[0].space.newPosts).toBe(2);
    await feed(space.id, reader);
    expect((await listSpaces(c.slug, reader)).body.items[0].space.newPosts).toBe(0);
    await writePost(space, writer);
    expect((await listSpaces(c.slug, reader)).body.items[0].space.newPosts).toBe(1);
  });
});

describe("the OpenAPI document", () => {
  it("documents the discussion routes", async () => {
    const res = await call("/api/v1/openapi.json");
    const paths = Object.keys(res.body.paths);
    for (const path of [
      "/api/v1/communities/{slug}/spaces",
      "/api/v1/communities/{slug}/spaces/reorder",
      "/api/v1/spaces/{spaceId}",
      "/api/v1/spaces/{spaceId}/members",
      "/api/v1/spaces/{spaceId}/members/{userId}",
      "/api/v1/spaces/{spaceId}/follow",
      "/api/v1/spaces/{spaceId}/posts",
      "/api/v1/posts/{postId}",
      "/api/v1/posts/{postId}/pin",
      "/api/v1/posts/{postId}/lock",
      "/api/v1/posts/{postId}/hide",
      "/api/v1/posts/{postId}/comments",
      "/api/v1/comments/{commentId}",
      "/api/v1/comments/{commentId}/hide",
      "/api/v1/posts/{postId}/reactions/{emoji}",
      "/api/v1/comments/{commentId}/reactions/{emoji}",
    ]) {
      expect(paths).toContain(path);
    }
  });
});
