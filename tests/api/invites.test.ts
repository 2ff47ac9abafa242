import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { addMember, auditActions, db, expectError, makeCommunity, membershipRow, type TestCommunity } from "../community-fixtures";
import { call, createUser, unique, type TestUser } from "../helpers";

const createInvite = (c: TestCommunity, as: TestUser | null, body: unknown = {}) =>
  call(`/api/v1/communities/${c.slug}/invites`, { as, method: "POST", body });
const accept = (code: string, as: TestUser | null) => call(`/api/v1/invites/${code}/accept`, { as, method: "POST" });
const inviteRow = (code: string) =>
  db()
    .select()
    .from(schema.invites)
    .where(eq(schema.invites.code, code))
    .then((rows) => rows[0]);

describe("creating invites", () => {
  it("lets a moderator create a free invite with attribution and a link to the app", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const res = await createInvite(c, mod, { maxUses: 50, expiresAt, source: "instagram" });
    expect(res.status).toBe(201);
    expect(res.body.code).toMatch(/^[a-z2-7]{8,}$/);
    expect(res.body.url).toBe(`http://localhost/invite/${res.body.code}`);
    expect(res.body.invite).toEqual({
      code: res.body.code,
      url: res.body.url,
      tier: "free",
      maxUses: 50,
      uses: 0,
      expiresAt,
      source: "instagram",
      revoked: false,
      revokedAt: null,
      status: "valid",
      createdBy: { id: mod.id, name: mod.name },
      createdAt: expect.any(String),
    });
    expect(await auditActions(c.id)).toContain("invite.create");
  });

  it("needs an admin for member and vip invites", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const admin = await addMember(c, { role: "admin" });
    expectError(await createInvite(c, mod, { tier: "member" }), 403, "forbidden");
    expectError(await createInvite(c, mod, { tier: "vip" }), 403, "forbidden");
    const res = await createInvite(c, admin, { tier: "vip" });
    expect(res.status).toBe(201);
    expect(res.body.invite.tier).toBe("vip");
  });

  it("refuses bad tiers, uses, expiry and sources with 400", async () => {
    const c = await makeCommunity();
    for (const body of [
      { tier: "gold" },
      { maxUses: 0 },
      { maxUses: 10_001 },
      { maxUses: "3" },
      { expiresAt: "tomorrow" },
      { expiresAt: new Date(Date.now() - 60_000).toISOString() },
      { source: "Instagram" },
      { source: "a".repeat(33) },
      { source: "ig!" },
    ]) {
      expectError(await createInvite(c, c.owner, body), 400, "validation_failed");
    }
    expectError(await createInvite(c, c.owner, "{nope"), 400, "validation_failed");
  });

  it("answers 401 signed out, 404 outsider, 403 plain member", async () => {
    const c = await makeCommunity();
    expectError(await createInvite(c, null), 401, "unauthenticated");
    expectError(await createInvite(c, await createUser()), 404, "not_found");
    expectError(await createInvite(c, await addMember(c)), 403, "forbidden");
  });
});

describe("listing and revoking invites", () => {
  it("lists invites with uses, limits, expiry, source, revocation and creator for moderators", async () => {
    const c = await makeCommunity();
    const mod = await addMember(c, { role: "moderator" });
    const first = await createInvite(c, c.owner, { tier: "member", maxUses: 2, source: "youtube" });
    const second = await createInvite(c, mod, {});
    await accept(first.body.code, await createUser());
    const list = await call(`/api/v1/communities/${c.slug}/invites`, { as: mod });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { code: string }) => i.code)).toEqual([second.body.code, first.body.code]);
    expect(list.body.items[1]).toMatchObject({
      tier: "member",
      uses: 1,
      maxUses: 2,
      source: "youtube",
      revoked: false,
      createdBy: { id: c.owner.id, name: c.owner.name },
    });
    const paged = await call(`/api/v1/communities/${c.slug}/invites?limit=1`, { as: mod });
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.nextCursor).toEqual(expect.any(String));
    expectError(await call(`/api/v1/communities/${c.slug}/invites`, { as: await addMember(c) }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/invites`, { as: null }), 401, "unauthenticated");
    expectError(await call(`/api/v1/communities/${c.slug}/invites`, { as: await createUser() }), 404, "not_found");
  });

  it("revokes an invite: 204, audited, previewed as revoked and refused on accept with reason", async () => {
    const c = await makeCommunity();
    const { code } = (await createInvite(c, c.owner)).body;
    const del = (as: TestUser | null) => call(`/api/v1/communities/${c.slug}/invites/${code}`, { as, method: "DELETE" });
    expectError(await del(null), 401, "unauthenticated");
    expectError(await del(await createUser()), 404, "not_found");
    expectError(await del(await addMember(c)), 403, "forbidden");
    expect((await del(c.owner)).status).toBe(204);
    expect(await auditActions(c.id)).toContain("invite.revoke");
    expect((await call(`/api/v1/invites/${code}`)).body.status).toBe("revoked");
    const res = await accept(code, await createUser());
    expectError(res, 409, "conflict");
    expect(res.body.error.reason).toBe("revoked");
    expect((await inviteRow(code)).uses).toBe(0);
  });

  it("answers 404 when revoking a code from another community", async () => {
    const c = await makeCommunity();
    const other = await makeCommunity();
    const { code } = (await createInvite(other, other.owner)).body;
    expectError(await call(`/api/v1/communities/${c.slug}/invites/${code}`, { as: c.owner, method: "DELETE" }), 404, "not_found");
  });
});

describe("previewing invites", () => {
  it("shows anyone the community and tier of a valid invite, even for a private community", async () => {
    const c = await makeCommunity({ visibility: "private" });
    const { code } = (await createInvite(c, c.owner, { tier: "vip" })).body;
    const res = await call(`/api/v1/invites/${code}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      community: { name: `Club ${c.slug}`, description: "", slug: c.slug, visibility: "private" },
      tier: "vip",
      status: "valid",
    });
  });

  it("answers 404 for an unknown code and for a deleted community's invite", async () => {
    expectError(await call("/api/v1/invites/nosuchcode"), 404, "not_found");
    const c = await makeCommunity();
    const { code } = (await createInvite(c, c.owner)).body;
    expect((await call(`/api/v1/communities/${c.slug}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expectError(await call(`/api/v1/invites/${code}`), 404, "not_found");
    expectError(await accept(code, await createUser()), 404, "not_found");
  });
});

describe("accepting invites", () => {
  it("joins a private community with attribution; a paid-tier invite becomes a comp grant, never a payment", async () => {
    const c = await makeCommunity({ visibility: "private" });
    const { code } = (await createInvite(c, c.owner, { tier: "vip", source: "tiktok" })).body;
    const u = await createUser();
    const res = await accept(code, u);
    expect(res.status).toBe(200);
    expect(res.body.membership).toEqual({
      communityId: c.id,
      userId: u.id,
      role: "member",
      tier: "vip",
      paidTier: "free",
      compTier: "vip",
      status: "active",
      joinedAt: expect.any(String),
      source: "tiktok",
    });
    expect((await membershipRow(c.id, u.id)).inviteCode).toBe(code);
    expect((await inviteRow(code)).uses).toBe(1);
    expect((await call(`/api/v1/communities/${c.slug}`, { as: u })).body.viewer).toEqual({ role: "member", tier: "vip", permissions: ["community.search"] });
    expect(await auditActions(c.id)).toContain("invite.accept");
    const consents = await db().select().from(schema.consents).where(eq(schema.consents.userId, u.id));
    expect(consents).toEqual([expect.objectContaining({ communityId: c.id, purpose: "essential", granted: true })]);
  });

  it("records source 'invite' and no comp tier for a free invite without a source", async () => {
    const c = await makeCommunity();
    const { code } = (await createInvite(c, c.owner)).body;
    const res = await accept(code, await createUser());
    expect(res.body.membership).toMatchObject({ source: "invite", compTier: null, tier: "free" });
  });

  it("answers an active member 200 without consuming a use", async () => {
    const c = await makeCommunity();
    const m = await addMember(c, { role: "moderator" });
    const { code } = (await createInvite(c, c.owner, { maxUses: 1 })).body;
    const res = await accept(code, m);
    expect(res.status).toBe(200);
    expect(res.body.membership).toMatchObject({ userId: m.id, role: "moderator", status: "active" });
    expect((await inviteRow(code)).uses).toBe(0);
  });

  it("refuses an expired invite with 409 reason expired", async () => {
    const c = await makeCommunity();
    const code = unique("expired");
    await db().insert(schema.invites).values({ code, communityId: c.id, tier: "free", expiresAt: new Date(Date.now() - 1000), createdBy: c.owner.id });
    expect((await call(`/api/v1/invites/${code}`)).body.status).toBe("expired");
    const u = await createUser();
    const res = await accept(code, u);
    expectError(res, 409, "conflict");
    expect(res.body.error.reason).toBe("expired");
    expect(await membershipRow(c.id, u.id)).toBeUndefined();
  });

  it("lets exactly maxUses people in when many accept at once", async () => {
    const c = await makeCommunity();
    const { code } = (await createInvite(c, c.owner, { maxUses: 3 })).body;
    const people = await Promise.all(Array.from({ length: 10 }, () => createUser()));
    const results = await Promise.all(people.map((p) => accept(code, p)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.reason).toBe("used_up");
    expect((await inviteRow(code)).uses).toBe(3);
    expect((await call(`/api/v1/invites/${code}`)).body.status).toBe("used_up");
    const listed = await call(`/api/v1/communities/${c.slug}/members?limit=100`, { as: c.owner });
    expect(listed.body.items).toHaveLength(4);
  });

  it("keeps a banned person out: 403, and the invite's use is not consumed", async () => {
    const c = await makeCommunity();
    const troll = await addMember(c);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, method: "POST", body: { userId: troll.id, reason: "abuse" } })).status).toBe(201);
    const { code } = (await createInvite(c, c.owner, { maxUses: 5 })).body;
    expectError(await accept(code, troll), 403, "forbidden");
    expect((await inviteRow(code)).uses).toBe(0);
    expect((await membershipRow(c.id, troll.id)).status).toBe("banned");
  });

  it("brings back someone who was removed, as an active member", async () => {
    const c = await makeCommunity();
    const m = await addMember(c, { role: "moderator" });
    expect((await call(`/api/v1/communities/${c.slug}/members/${m.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    const { code } = (await createInvite(c, c.owner, { source: "newsletter" })).body;
    const res = await accept(code, m);
    expect(res.body.membership).toMatchObject({ status: "active", role: "member", source: "newsletter" });
  });

  it("asks a signed-out caller to sign in and answers 404 for an unknown code", async () => {
    const c = await makeCommunity();
    const { code } = (await createInvite(c, c.owner)).body;
    expectError(await accept(code, null), 401, "unauthenticated");
    expectError(await accept("nosuchcode", await createUser()), 404, "not_found");
  });
});
