import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { auditInsertIfChanged } from "../../workers/domain/audit";
import { addMember, auditActions, db, expectError, makeCommunity, membershipRow, type TestCommunity } from "../community-fixtures";
import { call, createUser, type TestUser } from "../helpers";

const members = (c: TestCommunity, as: TestUser | null, q = "") => call(`/api/v1/communities/${c.slug}/members${q}`, { as });
const patchMember = (c: TestCommunity, as: TestUser | null, userId: string, body: unknown) =>
  call(`/api/v1/communities/${c.slug}/members/${userId}`, { as, method: "PATCH", body });
const removeMember = (c: TestCommunity, as: TestUser | null, userId: string) =>
  call(`/api/v1/communities/${c.slug}/members/${userId}`, { as, method: "DELETE" });
const ban = (c: TestCommunity, as: TestUser | null, body: unknown) => call(`/api/v1/communities/${c.slug}/bans`, { as, method: "POST", body });
const join = (c: TestCommunity, as: TestUser | null) => call(`/api/v1/communities/${c.slug}/join`, { as, method: "POST" });
const leave = (c: TestCommunity, as: TestUser | null) => call(`/api/v1/communities/${c.slug}/leave`, { as, method: "POST" });

describe("the member list", () => {
  it("shows active members in join order with a stable cursor, and hides join details from non-admins", async () => {
    const c = await makeCommunity();
    const a = await addMember(c);
    const b = await addMember(c);
    await addMember(c, { status: "left" });
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: { status: number; body: { items: Array<Record<string, unknown> & { user: { id: string } }>; nextCursor: string | null } } =
        await members(c, a, `?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      for (const item of page.body.items) {
        expect(item).not.toHaveProperty("source");
        expect(item).not.toHaveProperty("paidTier");
        seen.push(item.user.id);
      }
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual([c.owner.id, a.id, b.id]);
  });

  it("shows admins source, comp tier and paid tier", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const res = await members(c, admin);
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toEqual({
      user: { id: c.owner.id, name: c.owner.name, avatarUrl: null },
      role: "owner",
      tier: "free",
      joinedAt: expect.any(String),
      // nobody manages the owner
      viewer: { permissions: [] },
      source: "owner",
      compTier: null,
      paidTier: "free",
      // no presence socket of the owner's is open (chat-presence.test.ts covers the dots)
      online: false,
    });
  });

  it("answers 401 signed out, 404 to outsiders of a private community, 400 for a bad cursor", async () => {
    const c = await makeCommunity();
    expectError(await members(c, null), 401, "unauthenticated");
    expectError(await members(c, await createUser()), 404, "not_found");
    expectError(await members(c, c.owner, "?cursor=%%%"), 400, "validation_failed");
  });

  it("answers 403 to a signed-in outsider of a public community", async () => {
    const c = await makeCommunity({ visibility: "public" });
    expectError(await members(c, await createUser()), 403, "forbidden");
  });
});

describe("finding members by name (the pickers search every member, not the first page)", () => {
  it("keeps members with a name word starting with `q`, any case, active members only, paged as the list is", async () => {
    const c = await makeCommunity();
    const daniel = await addMember(c, { user: await createUser({ name: "Daniel Chen" }) });
    const chen = await addMember(c, { user: await createUser({ name: "Chen Mei" }) });
    await addMember(c, { user: await createUser({ name: "Mei Lin" }) });
    await addMember(c, { user: await createUser({ name: "Chenoa Left" }), status: "left" });
    const chenYu = await addMember(c, { user: await createUser({ name: "陳 雨" }) });
    const names = async (q: string, extra = "") => {
      const res = await call(`/api/v1/communities/${c.slug}/members?q=${encodeURIComponent(q)}${extra}`, { as: c.owner });
      expect(res.status).toBe(200);
      return res.body.items.map((i: { user: { id: string } }) => i.user.id);
    };
    expect(await names("chen")).toEqual([daniel.id, chen.id]);
    expect(await names("CHEN")).toEqual([daniel.id, chen.id]);
    expect(await names("en")).toEqual([]);
    expect(await names("陳")).toEqual([chenYu.id]);
    const first = await call(`/api/v1/communities/${c.slug}/members?q=chen&limit=1`, { as: c.owner });
    expect(first.body.items.map((i: { user: { id: string } }) => i.user.id)).toEqual([daniel.id]);
    expect(await names("chen", `&limit=1&cursor=${first.body.nextCursor}`)).toEqual([chen.id]);
    expectError(await call(`/api/v1/communities/${c.slug}/members?q=${"x".repeat(101)}`, { as: c.owner }), 400, "validation_failed");
  });
});

describe("changing roles", () => {
  it("lets an admin make a member a moderator and back, with an audit row", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const m = await addMember(c);
    const res = await patchMember(c, admin, m.id, { role: "moderator" });
    expect(res.status).toBe(200);
    expect(res.body.membership).toMatchObject({ userId: m.id, role: "moderator", status: "active" });
    expect((await patchMember(c, admin, m.id, { role: "member" })).body.membership.role).toBe("member");
    expect((await auditActions(c.id)).filter((a) => a === "member.role_change")).toHaveLength(2);
  });

  it("writes an audit row only for a role change that happened, when two land at once", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const m = await addMember(c);
    // both were checked against role "member"; the batch's conditional update lets one through
    const results = await Promise.all([
      patchMember(c, admin, m.id, { role: "moderator" }),
      patchMember(c, c.owner, m.id, { role: "moderator" }),
      patchMember(c, admin, m.id, { role: "moderator" }),
    ]);
    // one request changes the role; the others find it changed (200, nothing to do) or lose the race (409)
    expect(results.map((r) => r.status).every((status) => status === 200 || status === 409)).toBe(true);
    expect((await auditActions(c.id)).filter((a) => a === "member.role_change")).toHaveLength(1);
  });

  it("leaves no audit row for a conditional change that lost its race (the statement before it changed nothing)", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const ms = schema.memberships;
    const stale = and(eq(ms.communityId, c.id), eq(ms.userId, m.id), eq(ms.role, "moderator")); // m is a member
    const fresh = and(eq(ms.communityId, c.id), eq(ms.userId, m.id), eq(ms.role, "member"));
    const entry = (action: string) => ({ communityId: c.id, actorId: c.owner.id, action, targetType: "user", targetId: m.id });
    await db().batch([db().update(ms).set({ role: "moderator" }).where(stale), auditInsertIfChanged(env, entry("test.lost"))]);
    await db().batch([
      db().update(ms).set({ role: "moderator" }).where(fresh),
      auditInsertIfChanged(env, entry("test.won")),
      auditInsertIfChanged(env, entry("test.won_too")),
    ]);
    const actions = await auditActions(c.id);
    expect(actions).not.toContain("test.lost");
    expect(actions).toContain("test.won");
    expect(actions).toContain("test.won_too");
  });

  it("lets only the owner make or unmake admins", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const otherAdmin = await addMember(c, { role: "admin" });
    const m = await addMember(c);
    expectError(await patchMember(c, admin, m.id, { role: "admin" }), 403, "forbidden");
    expectError(await patchMember(c, admin, otherAdmin.id, { role: "member" }), 403, "forbidden");
    expect((await patchMember(c, c.owner, m.id, { role: "admin" })).body.membership.role).toBe("admin");
    expect((await patchMember(c, c.owner, otherAdmin.id, { role: "moderator" })).body.membership.role).toBe("moderator");
  });

  it("never changes the owner's role here, and refuses 'owner' as a role", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const m = await addMember(c);
    expectError(await patchMember(c, admin, c.owner.id, { role: "member" }), 403, "forbidden");
    expectError(await patchMember(c, c.owner, c.owner.id, { role: "admin" }), 403, "forbidden");
    expectError(await patchMember(c, c.owner, m.id, { role: "owner" }), 400, "validation_failed");
    expect((await membershipRow(c.id, c.owner.id)).role).toBe("owner");
  });

  it("refuses wrong types and malformed JSON, and answers 404 for someone who is not a member", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    expectError(await patchMember(c, c.owner, m.id, { role: 3 }), 400, "validation_failed");
    expectError(await patchMember(c, c.owner, m.id, { compTier: "gold" }), 400, "validation_failed");
    expectError(await patchMember(c, c.owner, m.id, "{"), 400, "validation_failed");
    expectError(await patchMember(c, c.owner, (await createUser()).id, { role: "moderator" }), 404, "not_found");
  });

  it("answers 401 signed out, 404 outsider, 403 to a moderator", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    expectError(await patchMember(c, null, m.id, { role: "moderator" }), 401, "unauthenticated");
    expectError(await patchMember(c, await createUser(), m.id, { role: "moderator" }), 404, "not_found");
    expectError(await patchMember(c, await addMember(c, { role: "moderator" }), m.id, { role: "moderator" }), 403, "forbidden");
  });
});

describe("comp tiers", () => {
  it("keeps a hand grant apart from the paid tier: granting and clearing comp never touches paid_tier", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const payer = await addMember(c, { paidTier: "member" });

    const granted = await patchMember(c, admin, payer.id, { compTier: "vip" });
    expect(granted.status).toBe(200);
    expect(granted.body.membership).toMatchObject({ tier: "vip", paidTier: "member", compTier: "vip" });
    expect(await membershipRow(c.id, payer.id)).toMatchObject({ paidTier: "member", compTier: "vip" });

    const cleared = await patchMember(c, admin, payer.id, { compTier: null });
    expect(cleared.body.membership).toMatchObject({ tier: "member", paidTier: "member", compTier: null });
    const view = await call(`/api/v1/communities/${c.slug}`, { as: payer });
    expect(view.body.viewer).toEqual({ role: "member", tier: "member", permissions: ["community.search"] });
    expect(await auditActions(c.id)).toEqual(expect.arrayContaining(["member.comp_grant", "member.comp_revoke"]));
  });

  it("lets a comp grant below the paid tier leave the effective tier at what was paid", async () => {
    const c = await makeCommunity();
    const payer = await addMember(c, { paidTier: "vip" });
    const res = await patchMember(c, c.owner, payer.id, { compTier: "member" });
    expect(res.body.membership).toMatchObject({ tier: "vip", paidTier: "vip", compTier: "member" });
  });
});

describe("removing members", () => {
  it("lets a moderator remove a member, who loses access to the private community at once", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const m = await addMember(c);
    expect((await call(`/api/v1/communities/${c.slug}`, { as: m })).status).toBe(200);
    expect((await removeMember(c, mod, m.id)).status).toBe(204);
    expect((await membershipRow(c.id, m.id)).status).toBe("removed");
    expectError(await call(`/api/v1/communities/${c.slug}`, { as: m }), 404, "not_found");
    expectError(await members(c, m), 404, "not_found");
    expect(await auditActions(c.id)).toContain("member.remove");
  });

  it("requires the actor to outrank the target, and nobody removes the owner", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const mod2 = await addMember(c, { role: "moderator" });
    const admin = await addMember(c, { role: "admin" });
    const admin2 = await addMember(c, { role: "admin" });
    expectError(await removeMember(c, mod, mod2.id), 403, "forbidden");
    expectError(await removeMember(c, mod, admin.id), 403, "forbidden");
    expectError(await removeMember(c, admin, admin2.id), 403, "forbidden");
    expectError(await removeMember(c, admin, c.owner.id), 403, "forbidden");
    expect((await removeMember(c, admin, mod2.id)).status).toBe(204);
    expect((await removeMember(c, c.owner, admin2.id)).status).toBe(204);
  });

  it("answers 401 signed out, 404 outsider or non-member target, 403 to a plain member", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    expectError(await removeMember(c, null, m.id), 401, "unauthenticated");
    expectError(await removeMember(c, await createUser(), m.id), 404, "not_found");
    expectError(await removeMember(c, await addMember(c), m.id), 403, "forbidden");
    expectError(await removeMember(c, c.owner, (await createUser()).id), 404, "not_found");
  });
});

describe("bans", () => {
  it("bans a member: 201, access gone at once, listed, and audited", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const troll = await addMember(c);
    const res = await ban(c, mod, { userId: troll.id, reason: "spam" });
    expect(res.status).toBe(201);
    expect(res.body.ban).toEqual({
      user: { id: troll.id, name: troll.name, avatarUrl: null },
      reason: "spam",
      bannedBy: { id: mod.id, name: mod.name },
      createdAt: expect.any(String),
    });
    expect((await membershipRow(c.id, troll.id)).status).toBe("banned");
    expectError(await call(`/api/v1/communities/${c.slug}`, { as: troll }), 404, "not_found");
    const list = await call(`/api/v1/communities/${c.slug}/bans`, { as: mod });
    expect(list.status).toBe(200);
    expect(list.body.items.map((b: { user: { id: string } }) => b.user.id)).toEqual([troll.id]);
    expect(await auditActions(c.id)).toContain("member.ban");
    expectError(await ban(c, mod, { userId: troll.id, reason: "again" }), 409, "conflict");
  });

  it("keeps a banned person out of a public community until the ban is lifted", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const troll = await addMember(c);
    expect((await ban(c, c.owner, { userId: troll.id, reason: "" })).status).toBe(201);
    expectError(await join(c, troll), 403, "forbidden");

    const unban = await call(`/api/v1/communities/${c.slug}/bans/${troll.id}`, { as: c.owner, method: "DELETE" });
    expect(unban.status).toBe(204);
    expect((await membershipRow(c.id, troll.id)).status).not.toBe("active");
    expectError(await members(c, troll), 403, "forbidden");
    expect(await auditActions(c.id)).toContain("member.unban");

    const rejoined = await join(c, troll);
    expect(rejoined.status).toBe(200);
    expect(rejoined.body.membership).toMatchObject({ status: "active", role: "member", tier: "free" });
  });

  it("can ban someone who is not a member, so they cannot join later", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const outsider = await createUser();
    expect((await ban(c, c.owner, { userId: outsider.id, reason: "known spammer" })).status).toBe(201);
    expectError(await join(c, outsider), 403, "forbidden");
  });

  it("follows the outranking rule: moderators ban members only, nobody bans the owner", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const mod2 = await addMember(c, { role: "moderator" });
    const admin = await addMember(c, { role: "admin" });
    expectError(await ban(c, mod, { userId: mod2.id, reason: "x" }), 403, "forbidden");
    expectError(await ban(c, mod, { userId: admin.id, reason: "x" }), 403, "forbidden");
    expectError(await ban(c, admin, { userId: c.owner.id, reason: "x" }), 403, "forbidden");
    expect((await ban(c, admin, { userId: mod2.id, reason: "x" })).status).toBe(201);
  });

  it("validates the body and answers 401/404/403 by caller", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    expectError(await ban(c, c.owner, { userId: m.id }), 400, "validation_failed");
    expectError(await ban(c, c.owner, { reason: "x" }), 400, "validation_failed");
    expectError(await ban(c, c.owner, { userId: m.id, reason: 5 }), 400, "validation_failed");
    expectError(await ban(c, c.owner, "{]"), 400, "validation_failed");
    expectError(await ban(c, c.owner, { userId: "usr_nobody", reason: "x" }), 404, "not_found");
    expectError(await ban(c, null, { userId: m.id, reason: "x" }), 401, "unauthenticated");
    expectError(await ban(c, await createUser(), { userId: m.id, reason: "x" }), 404, "not_found");
    expectError(await ban(c, await addMember(c), { userId: m.id, reason: "x" }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/bans`, { as: m }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/bans/${m.id}`, { as: c.owner, method: "DELETE" }), 404, "not_found");
    expectError(await call(`/api/v1/communities/${c.slug}/bans/${m.id}`, { as: m, method: "DELETE" }), 403, "forbidden");
  });
});

describe("leaving and joining", () => {
  it("lets a member leave and lose access; the owner must transfer first", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    expect((await leave(c, m)).status).toBe(204);
    expect((await membershipRow(c.id, m.id)).status).toBe("left");
    expectError(await call(`/api/v1/communities/${c.slug}`, { as: m }), 404, "not_found");
    const ownerLeaves = await leave(c, c.owner);
    expectError(ownerLeaves, 409, "conflict");
    expect(ownerLeaves.body.error.message).toMatch(/transfer ownership first/i);
    expectError(await leave(c, null), 401, "unauthenticated");
    expectError(await leave(c, await createUser()), 404, "not_found");
  });

  it("joins a public community at the free tier with source 'direct' and essential consent", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const u = await createUser();
    const res = await join(c, u);
    expect(res.status).toBe(200);
    expect(res.body.membership).toEqual({
      communityId: c.id,
      userId: u.id,
      role: "member",
      tier: "free",
      paidTier: "free",
      compTier: null,
      status: "active",
      joinedAt: expect.any(String),
      source: "direct",
    });
    const consents = await db()
      .select()
      .from(schema.consents)
      .where(and(eq(schema.consents.communityId, c.id), eq(schema.consents.userId, u.id)));
    expect(consents).toEqual([expect.objectContaining({ purpose: "essential", granted: true })]);

    const again = await join(c, u);
    expect(again.status).toBe(200);
    expect(again.body.membership).toEqual(res.body.membership);
  });

  it("reactivates someone who left or was removed as a plain free member", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const mod = await addMember(c, { role: "moderator" });
    expect((await leave(c, mod)).status).toBe(204);
    const back = await join(c, mod);
    expect(back.body.membership).toMatchObject({ role: "member", tier: "free", status: "active", source: "direct" });
    expect((await removeMember(c, c.owner, mod.id)).status).toBe(204);
    expect((await join(c, mod)).body.membership.status).toBe("active");
  });

  it("answers 404 for a private community and 401 signed out", async () => {
    const c = await makeCommunity({ visibility: "private" });
    expectError(await join(c, await createUser()), 404, "not_found");
    const gone = await addMember(c, { status: "left" });
    expectError(await join(c, gone), 404, "not_found");
    expectError(await join(c, null), 401, "unauthenticated");
  });
});
