// viewer.permissions (API.md "Conventions"): every viewer-dependent answer says what the caller may
// do, and each role sees exactly its own list, so clients never re-derive role rules.
import { describe, expect, it } from "vitest";
import { addMember, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";

async function setting() {
  const c = await makeCommunity({ visibility: "public" });
  const admin = await addMember(c, { role: "admin" });
  const moderator = await addMember(c, { role: "moderator" });
  const member = await addMember(c);
  const stranger = await createUser();
  const space = await makeSpace(c);
  // written by a plain member, so only the member is its author
  const post = await writePost(space, member);
  const comment = await writeComment(post.id, member, "first");
  const roles: Record<"owner" | "admin" | "moderator" | "member", TestUser> = { owner: c.owner, admin, moderator, member };
  return { c, roles, stranger, space, post, comment };
}

const sorted = (list: unknown) => [...(list as string[])].sort();

describe("viewer.permissions", () => {
  it("the community answer lists exactly the role's community actions; a non-member has no viewer", async () => {
    const { c, roles, stranger } = await setting();
    const expected = {
      member: ["community.search"],
      moderator: ["community.search", "content.moderate", "members.manage", "invite.create"],
      admin: [
        "community.search", "content.moderate", "community.update", "space.create", "spaces.reorder", "members.manage", "members.roles",
        "invite.create", "invite.create.paid", "audit.view", "background-work.view",
      ],
      owner: [
        "community.search", "content.moderate", "community.update", "community.delete", "community.transfer", "tiers.update", "space.create",
        "spaces.reorder", "members.manage", "members.roles", "members.roles.admin", "invite.create", "invite.create.paid",
        "export.members", "audit.view", "background-work.view",
      ],
    };
    for (const [role, user] of Object.entries(roles)) {
      const res = await call(`/api/v1/communities/${c.slug}`, { as: user });
      expect(res.status).toBe(200);
      expect(res.body.viewer.role).toBe(role);
      expect(sorted(res.body.viewer.permissions), role).toEqual(sorted(expected[role as keyof typeof expected]));
    }
    expect((await call(`/api/v1/communities/${c.slug}`, { as: stranger })).body.viewer).toBeNull();
    expect((await call(`/api/v1/communities/${c.slug}`, { as: null })).body.viewer).toBeNull();
  });

  it("a space answer: admins update it, members follow and post, a signed-out reader may do nothing", async () => {
    const { roles, space } = await setting();
    const expected = {
      member: ["space.follow", "post.create"],
      moderator: ["space.follow", "post.create"],
      admin: ["space.update", "space.follow", "post.create"],
      owner: ["space.update", "space.follow", "post.create"],
    };
    for (const [role, user] of Object.entries(roles)) {
      const res = await call(`/api/v1/spaces/${space.id}`, { as: user });
      expect(res.status).toBe(200);
      expect(sorted(res.body.viewer.permissions), role).toEqual(sorted(expected[role as keyof typeof expected]));
    }
    expect((await call(`/api/v1/spaces/${space.id}`, { as: null })).body.viewer.permissions).toEqual([]);
  });

  it("a post answer: the author edits, moderators and up pin, lock, hide and delete, members react and comment", async () => {
    const { roles, stranger, post } = await setting();
    const moderation = ["post.delete", "post.pin", "post.lock", "post.hide", "post.react", "comment.create"];
    const expected = {
      member: ["post.edit", "post.delete", "post.react", "comment.create"],
      moderator: moderation,
      admin: moderation,
      owner: moderation,
    };
    for (const [role, user] of Object.entries(roles)) {
      const res = await call(`/api/v1/posts/${post.id}`, { as: user });
      expect(res.status).toBe(200);
      expect(sorted(res.body.viewer.permissions), role).toEqual(sorted(expected[role as keyof typeof expected]));
    }
    // a signed-in non-member of a public community reads, and may do nothing
    expect((await call(`/api/v1/posts/${post.id}`, { as: stranger })).body.viewer.permissions).toEqual([]);
  });

  it("a locked post takes no comments from anyone, so no one is offered comment.create", async () => {
    const { roles, post } = await setting();
    expect((await call(`/api/v1/posts/${post.id}/lock`, { as: roles.moderator, body: {} })).status).toBe(200);
    for (const user of Object.values(roles)) {
      const res = await call(`/api/v1/posts/${post.id}`, { as: user });
      expect(res.body.viewer.permissions).not.toContain("comment.create");
      expect(res.body.viewer.permissions).toContain("post.react");
    }
  });

  it("each comment in a list: the author edits, moderators and up hide and delete, members react", async () => {
    const { roles, stranger, post, comment } = await setting();
    const moderation = ["comment.delete", "comment.hide", "comment.react"];
    const expected = { member: ["comment.edit", "comment.delete", "comment.react"], moderator: moderation, admin: moderation, owner: moderation };
    for (const [role, user] of Object.entries(roles)) {
      const res = await call(`/api/v1/posts/${post.id}/comments`, { as: user });
      expect(res.status).toBe(200);
      const item = res.body.items.find((i: { id: string }) => i.id === comment.id);
      expect(sorted(item.viewer.permissions), role).toEqual(sorted(expected[role as keyof typeof expected]));
    }
    const res = await call(`/api/v1/posts/${post.id}/comments`, { as: stranger });
    expect(res.body.items[0].viewer.permissions).toEqual([]);
  });

  it("each member in the list: people strictly below the caller may be removed and banned; admins and up also change their role", async () => {
    const { c, roles } = await setting();
    const permissionsOf = async (as: TestUser) => {
      const res = await call(`/api/v1/communities/${c.slug}/members?limit=100`, { as });
      expect(res.status).toBe(200);
      return Object.fromEntries(
        res.body.items.map((m: { user: { id: string }; viewer: { permissions: string[] } }) => [m.user.id, sorted(m.viewer.permissions)]),
      );
    };
    const all = ["member.ban", "member.remove", "member.role"];
    const owner = await permissionsOf(roles.owner);
    expect(owner).toEqual({ [roles.owner.id]: [], [roles.admin.id]: all, [roles.moderator.id]: all, [roles.member.id]: all });
    const admin = await permissionsOf(roles.admin);
    expect(admin).toEqual({ [roles.owner.id]: [], [roles.admin.id]: [], [roles.moderator.id]: all, [roles.member.id]: all });
    const moderator = await permissionsOf(roles.moderator);
    expect(moderator).toEqual({ [roles.owner.id]: [], [roles.admin.id]: [], [roles.moderator.id]: [], [roles.member.id]: ["member.ban", "member.remove"] });
    const member = await permissionsOf(roles.member);
    expect(Object.values(member).every((list) => (list as string[]).length === 0)).toBe(true);
  });

  it("the OpenAPI document describes the permissions as an enum of action names", async () => {
    const res = await call("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const permission = res.body.components.schemas.Permission;
    expect(permission.type).toBe("string");
    expect(permission.enum).toEqual(expect.arrayContaining(["community.update", "members.manage", "space.create", "post.edit", "post.pin", "comment.delete", "invite.create", "export.members"]));
    expect(res.body.components.schemas.Viewer.properties.permissions.items.$ref).toBe("#/components/schemas/Permission");
  });
});
