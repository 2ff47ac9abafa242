// Every change of membership or access writes exactly one `access.changed` event in its batch
// (ADR 015), a change that did not happen writes none — and no audit or consent row either — and
// the interested parties hear of a committed change at once. Until the spine's consumer lands,
// the events are read as the rows domain_events holds.
import { and, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import {
  commitAccessWrite,
  onAccessChanged,
  writeMembershipActivation,
  writeMembershipEnd,
  writeOwnershipTransfer,
  writeBan,
  writeSpaceUpdate,
  writeMemberUpdate,
  writeSpaceCreation,
  writeSpaceMembersAddition,
  type AccessChange,
  type AccessWrite,
  type PendingAccessChange,
} from "../../workers/domain/access-changes";
import { addMember, auditActions, db, env, expectError, makeCommunity, membershipRow, type TestCommunity } from "../community-fixtures";
import { makeSpace } from "../discussion-fixtures";
import { call, createUser, PASSWORD, type TestUser } from "../helpers";
import { EVENT_BACKOFF_BASE_MS, processEvent } from "../../workers/domain/events/process";

/** The access.changed payloads written for a community, oldest first. */
async function accessEvents(communityId: string): Promise<AccessChange[]> {
  const e = schema.domainEvents;
  const rows = await db()
    .select()
    .from(e)
    .where(and(eq(e.kind, "access.changed"), eq(e.communityId, communityId)))
    // insertion order: two changes may share a millisecond
    .orderBy(sql`rowid`);
  return rows.map((row) => row.payload as AccessChange);
}

/** The events written since `before` was taken (the community's creation wrote one already). */
async function eventsAfter(communityId: string, before: AccessChange[]) {
  return (await accessEvents(communityId)).slice(before.length);
}

const change = (communityId: string, reason: AccessChange["reason"], who: { userId?: string; spaceId?: string } = {}): AccessChange => ({
  communityId,
  userId: who.userId ?? null,
  spaceId: who.spaceId ?? null,
  reason,
});

const consentCount = async (communityId: string, userId: string) =>
  (await db().select().from(schema.consents).where(and(eq(schema.consents.communityId, communityId), eq(schema.consents.userId, userId)))).length;

/** Nobody was admitted: no membership row, no consent and no event since `before`. */
async function expectNoAdmission(c: TestCommunity, userId: string, before: AccessChange[]) {
  expect(await membershipRow(c.id, userId)).toBeUndefined();
  expect(await consentCount(c.id, userId)).toBe(0);
  expect(await eventsAfter(c.id, before)).toEqual([]);
}

const inviteUses = async (code: string) => (await db().select().from(schema.invites).where(eq(schema.invites.code, code)))[0].uses;

const createInvite = async (c: TestCommunity, body: Record<string, unknown> = {}) => {
  const res = await call(`/api/v1/communities/${c.slug}/invites`, { as: c.owner, body });
  expect(res.status).toBe(201);
  return res.body.code as string;
};
const accept = (code: string, as: TestUser) => call(`/api/v1/invites/${code}/accept`, { as, method: "POST" });
const ban = (c: TestCommunity, userId: string) => call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, method: "POST", body: { userId, reason: "spam" } });

describe("every writer of access emits exactly one access.changed", () => {
  it("creating a community: the owner's membership", async () => {
    const c = await makeCommunity();
    expect(await accessEvents(c.id)).toEqual([change(c.id, "community_created", { userId: c.owner.id })]);
  });

  it("deleting a community: everyone's access, once", async () => {
    const c = await makeCommunity();
    const before = await accessEvents(c.id);
    expect((await call(`/api/v1/communities/${c.slug}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "community_deleted")]);
  });

  it("transferring ownership: two people's roles, one event that names nobody", async () => {
    const c = await makeCommunity();
    const heir = await addMember(c);
    const before = await accessEvents(c.id);
    expect((await call(`/api/v1/communities/${c.slug}/transfer`, { as: c.owner, body: { userId: heir.id } })).status).toBe(200);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "ownership_transferred")]);
  });

  it("changing a role, and changing only a comp tier", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const patch = (body: unknown) => call(`/api/v1/communities/${c.slug}/members/${m.id}`, { as: c.owner, method: "PATCH", body });
    const before = await accessEvents(c.id);
    expect((await patch({ role: "moderator", compTier: "vip" })).status).toBe(200);
    expect((await patch({ compTier: null })).status).toBe(200);
    // nothing to change: no write at all
    expect((await patch({ compTier: null })).status).toBe(200);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "role_changed", { userId: m.id }), change(c.id, "tier_changed", { userId: m.id })]);
  });

  it("removing a member and leaving", async () => {
    const c = await makeCommunity();
    const [removed, leaver] = [await addMember(c), await addMember(c)];
    const before = await accessEvents(c.id);
    expect((await call(`/api/v1/communities/${c.slug}/members/${removed.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { as: leaver, method: "POST" })).status).toBe(204);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_removed", { userId: removed.id }), change(c.id, "member_left", { userId: leaver.id })]);
  });

  it("joining an open community", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const u = await createUser();
    const before = await accessEvents(c.id);
    expect((await call(`/api/v1/communities/${c.slug}/join`, { as: u, method: "POST" })).status).toBe(200);
    // already a member: nothing written
    expect((await call(`/api/v1/communities/${c.slug}/join`, { as: u, method: "POST" })).status).toBe(200);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_joined", { userId: u.id })]);
  });

  it("rejoining after leaving: the same row reactivated, with a fresh consent", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const u = await addMember(c, { status: "left" });
    const before = await accessEvents(c.id);
    expect((await call(`/api/v1/communities/${c.slug}/join`, { as: u, method: "POST" })).status).toBe(200);
    expect((await membershipRow(c.id, u.id)).status).toBe("active");
    expect(await consentCount(c.id, u.id)).toBe(1);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_joined", { userId: u.id })]);
  });

  it("accepting an invite", async () => {
    const c = await makeCommunity();
    const code = await createInvite(c, { tier: "member" });
    const u = await createUser();
    const before = await accessEvents(c.id);
    expect((await accept(code, u)).status).toBe(200);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_joined", { userId: u.id })]);
  });

  it("banning and lifting a ban", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const before = await accessEvents(c.id);
    expect((await ban(c, m.id)).status).toBe(201);
    expect((await call(`/api/v1/communities/${c.slug}/bans/${m.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_banned", { userId: m.id }), change(c.id, "member_unbanned", { userId: m.id })]);
  });

  it("creating a space with members", async () => {
    const c = await makeCommunity();
    const [a, b] = [await addMember(c), await addMember(c)];
    const before = await accessEvents(c.id);
    const space = await makeSpace(c, { private: true, memberIds: [a.id, b.id] });
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "space_created", { spaceId: space.id })]);
    const listed = await call(`/api/v1/spaces/${space.id}/members`, { as: c.owner });
    expect(listed.body.items.map((i: { user: { id: string } }) => i.user.id).sort()).toEqual([a.id, b.id].sort());
  });

  it("changing a space's tier or listing, and not its name", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const patch = (body: unknown) => call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "PATCH", body });
    const before = await accessEvents(c.id);
    expect((await patch({ name: "Lounge" })).status).toBe(200);
    expect((await patch({ minTier: "vip" })).status).toBe(200);
    expect((await patch({ private: true })).status).toBe(200);
    expect(await eventsAfter(c.id, before)).toEqual([
      change(c.id, "space_access_changed", { spaceId: space.id }),
      change(c.id, "space_access_changed", { spaceId: space.id }),
    ]);
    expect((await auditActions(c.id)).filter((a) => a === "space.update")).toHaveLength(3);
  });

  it("adding and removing a space member; repeating either changes nothing and records nothing", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const space = await makeSpace(c, { private: true });
    const add = () => call(`/api/v1/spaces/${space.id}/members`, { as: c.owner, body: { userIds: [m.id] } });
    const remove = () => call(`/api/v1/spaces/${space.id}/members/${m.id}`, { as: c.owner, method: "DELETE" });
    const before = await accessEvents(c.id);
    expect((await add()).status).toBe(200);
    expect((await add()).status).toBe(200);
    expect((await remove()).status).toBe(204);
    expect((await remove()).status).toBe(204);
    expect(await eventsAfter(c.id, before)).toEqual([
      change(c.id, "space_member_added", { spaceId: space.id, userId: m.id }),
      change(c.id, "space_member_removed", { spaceId: space.id, userId: m.id }),
    ]);
    const actions = await auditActions(c.id);
    expect(actions.filter((a) => a === "space.members_add")).toHaveLength(1);
    expect(actions.filter((a) => a === "space.member_remove")).toHaveLength(1);
  });

  it("adding several space members at once names nobody", async () => {
    const c = await makeCommunity();
    const people = [await addMember(c), await addMember(c), await addMember(c)];
    const space = await makeSpace(c, { private: true });
    const before = await accessEvents(c.id);
    expect((await call(`/api/v1/spaces/${space.id}/members`, { as: c.owner, body: { userIds: people.map((p) => p.id) } })).status).toBe(200);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "space_member_added", { spaceId: space.id })]);
  });

  it("erasing an account: one event in each community where they were an active member", async () => {
    const [active, other, left] = [await makeCommunity(), await makeCommunity(), await makeCommunity()];
    const u = await addMember(active);
    await addMember(other, { user: u });
    await addMember(left, { user: u, status: "left" });
    const space = await makeSpace(active, { private: true, memberIds: [u.id] });
    const before = await Promise.all([active, other, left].map((c) => accessEvents(c.id)));
    expect((await call("/api/v1/me", { as: u, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    expect(await eventsAfter(active.id, before[0])).toEqual([change(active.id, "account_erased", { userId: u.id })]);
    expect(await eventsAfter(other.id, before[1])).toEqual([change(other.id, "account_erased", { userId: u.id })]);
    expect(await eventsAfter(left.id, before[2])).toEqual([]);
    expect(await membershipRow(left.id, u.id)).toBeUndefined();
    const listed = await db().select().from(schema.spaceMembers).where(eq(schema.spaceMembers.spaceId, space.id));
    expect(listed).toEqual([]);
  });
});

describe("a change that did not happen writes no event, audit or consent", () => {
  it("a transfer that answers 409 (the heir left meanwhile) leaves the roles, and records nothing", async () => {
    const c = await makeCommunity();
    const heir = await addMember(c, { status: "left" });
    const before = await accessEvents(c.id);
    const audit = { communityId: c.id, actorId: c.owner.id, action: "community.transfer", targetType: "user", targetId: heir.id };
    const moved = await commitAccessWrite(env, writeOwnershipTransfer(env, c.id, c.owner.id, heir.id, audit));
    expect(moved).toEqual([]);
    expect(await auditActions(c.id)).not.toContain("community.transfer");
    expect(await eventsAfter(c.id, before)).toEqual([]);
    expect((await membershipRow(c.id, c.owner.id)).role).toBe("owner");
    expect((await membershipRow(c.id, heir.id)).role).toBe("member");
  });

  it("a join that loses the race with a ban admits nobody and writes no audit, consent or event", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const u = await createUser();
    // the ban lands after the join checked for one, before its batch runs
    await db().insert(schema.bans).values({ communityId: c.id, userId: u.id, reason: "spam", bannedBy: c.owner.id });
    const before = await accessEvents(c.id);
    const audit = { communityId: c.id, actorId: u.id, action: "member.join", targetType: "user", targetId: u.id };
    const joined = await commitAccessWrite(env, writeMembershipActivation(env, c.id, u.id, { source: "direct", inviteCode: null, compTier: null }, audit));
    expect(joined).toEqual([]);
    expect(await auditActions(c.id)).not.toContain("member.join");
    await expectNoAdmission(c, u.id, before);
  });

  it("a rejoin that loses the race with a ban leaves the row banned", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const u = await addMember(c, { status: "left" });
    await db().insert(schema.bans).values({ communityId: c.id, userId: u.id, reason: "spam", bannedBy: c.owner.id });
    const audit = { communityId: c.id, actorId: u.id, action: "member.join", targetType: "user", targetId: u.id };
    expect(await commitAccessWrite(env, writeMembershipActivation(env, c.id, u.id, { source: "direct", inviteCode: null, compTier: null }, audit))).toEqual([]);
    expect((await membershipRow(c.id, u.id)).status).toBe("left");
    expect(await consentCount(c.id, u.id)).toBe(0);
  });

  it("an invite revoked after the accept checked it: no membership, no audit, no event, no use spent", async () => {
    const c = await makeCommunity();
    const code = await createInvite(c, { maxUses: 5 });
    const u = await createUser();
    await db().update(schema.invites).set({ revokedAt: new Date() }).where(eq(schema.invites.code, code));
    const before = await accessEvents(c.id);
    const audit = { communityId: c.id, actorId: u.id, action: "invite.accept", targetType: "user", targetId: u.id };
    expect(await commitAccessWrite(env, writeMembershipActivation(env, c.id, u.id, { source: "invite", inviteCode: code, compTier: null }, audit))).toEqual([]);
    expect(await auditActions(c.id)).not.toContain("invite.accept");
    await expectNoAdmission(c, u.id, before);
    expect(await inviteUses(code)).toBe(0);
  });

  it("a used-up invite answers 409 used_up and spends nothing more", async () => {
    const c = await makeCommunity();
    const code = await createInvite(c, { maxUses: 1 });
    expect((await accept(code, await createUser())).status).toBe(200);
    const late = await createUser();
    const before = await accessEvents(c.id);
    const res = await accept(code, late);
    expectError(res, 409, "conflict");
    expect(res.body.error.reason).toBe("used_up");
    await expectNoAdmission(c, late.id, before);
    expect(await inviteUses(code)).toBe(1);
  });

  it("two people racing for a one-use invite: one member, one use, one audit row, one event", async () => {
    const c = await makeCommunity();
    const code = await createInvite(c, { maxUses: 1 });
    const [a, b] = [await createUser(), await createUser()];
    const before = await accessEvents(c.id);
    const results = await Promise.all([accept(code, a), accept(code, b)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const members = [await membershipRow(c.id, a.id), await membershipRow(c.id, b.id)].filter(Boolean);
    expect(members).toHaveLength(1);
    expect(await inviteUses(code)).toBe(1);
    expect((await auditActions(c.id)).filter((x) => x === "invite.accept")).toHaveLength(1);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_joined", { userId: members[0]!.userId })]);
  });

  it("two bans of one person at once: one ban, one audit row, one event", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const before = await accessEvents(c.id);
    const results = await Promise.all([ban(c, m.id), ban(c, m.id)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await auditActions(c.id)).filter((a) => a === "member.ban")).toHaveLength(1);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "member_banned", { userId: m.id })]);
  });

  it("a ban whose target was promoted meanwhile writes no ban, audit or event, and leaves them active", async () => {
    const c = await makeCommunity();
    const m = await addMember(c, { role: "moderator" });
    const before = await accessEvents(c.id);
    const audit = { communityId: c.id, actorId: c.owner.id, action: "member.ban", targetType: "user", targetId: m.id };
    // checked as a member; a moderator now
    const banned = await commitAccessWrite(env, writeBan(env, { communityId: c.id, userId: m.id, reason: "spam", bannedBy: c.owner.id, createdAt: new Date() }, "member", audit));
    expect(banned).toEqual([]);
    expect((await membershipRow(c.id, m.id)).status).toBe("active");
    expect(await db().select().from(schema.bans).where(eq(schema.bans.userId, m.id))).toEqual([]);
    expect(await auditActions(c.id)).not.toContain("member.ban");
    expect(await eventsAfter(c.id, before)).toEqual([]);
  });

  it("a ban of someone who joined after it was checked bans their new membership too", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const u = await createUser();
    // checked as a non-member, then they joined before the ban's batch ran
    const write = writeBan(env, { communityId: c.id, userId: u.id, reason: "spam", bannedBy: c.owner.id, createdAt: new Date() }, "member", {
      communityId: c.id,
      actorId: c.owner.id,
      action: "member.ban",
      targetType: "user",
      targetId: u.id,
    });
    expect((await call(`/api/v1/communities/${c.slug}/join`, { as: u, method: "POST" })).status).toBe(200);
    expect(await commitAccessWrite(env, write)).toEqual([{ userId: u.id }]);
    expect((await membershipRow(c.id, u.id)).status).toBe("banned");
  });

  it("two role changes racing: one event, like the one audit row", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const before = await accessEvents(c.id);
    const patch = () => call(`/api/v1/communities/${c.slug}/members/${m.id}`, { as: c.owner, method: "PATCH", body: { role: "moderator" } });
    await Promise.all([patch(), patch(), patch()]);
    expect(await eventsAfter(c.id, before)).toEqual([change(c.id, "role_changed", { userId: m.id })]);
  });

  it("a space archived before its tier change: 409-worthy, no audit, no event", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    expect((await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    const before = await accessEvents(c.id);
    const audit = { communityId: c.id, actorId: c.owner.id, action: "space.update", targetType: "space", targetId: space.id };
    expect(await commitAccessWrite(env, writeSpaceUpdate(env, { id: space.id, communityId: c.id }, { minTier: "vip" }, audit))).toEqual([]);
    expect(await auditActions(c.id)).not.toContain("space.update");
    expect(await eventsAfter(c.id, before)).toEqual([]);
  });
});

describe("a write that races the community's deletion writes nothing", () => {
  it("no join, invite use, role change, ban, space or listing lands in a community deleted after the checks", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const member = await addMember(c);
    const joiner = await createUser();
    const space = await makeSpace(c);
    const code = await createInvite(c, { maxUses: 5 });
    // the checks passed; then the owner deleted the community; then each write ran
    await db().update(schema.communities).set({ deletedAt: new Date() }).where(eq(schema.communities.id, c.id));
    const before = await accessEvents(c.id);
    const auditsBefore = await auditActions(c.id);
    const audit = (action: string, targetId: string) => ({ communityId: c.id, actorId: c.owner.id, action, targetType: "user", targetId });
    const writes: AccessWrite[] = [
      writeMembershipActivation(env, c.id, joiner.id, { source: "direct", inviteCode: null, compTier: null }, audit("member.join", joiner.id)),
      writeMembershipActivation(env, c.id, joiner.id, { source: "invite", inviteCode: code, compTier: null }, audit("invite.accept", joiner.id)),
      writeMemberUpdate(env, { communityId: c.id, userId: member.id, role: "member" }, { role: "moderator" }, [audit("member.role_change", member.id)]),
      writeBan(env, { communityId: c.id, userId: member.id, reason: "", bannedBy: c.owner.id, createdAt: new Date() }, "member", audit("member.ban", member.id)),
      writeSpaceCreation(env, { id: `spc_${Date.now()}`, communityId: c.id, kind: "discussion", name: "Late", minTier: "free", private: true }, [member.id], audit("space.create", member.id)),
      writeSpaceMembersAddition(env, { id: space.id, communityId: c.id }, [joiner.id], audit("space.members_add", joiner.id)),
    ];
    for (const write of writes) await commitAccessWrite(env, write);
    expect(await eventsAfter(c.id, before)).toEqual([]);
    expect(await auditActions(c.id)).toEqual(auditsBefore);
    expect(await membershipRow(c.id, joiner.id)).toBeUndefined();
    expect((await membershipRow(c.id, member.id)).role).toBe("member");
    expect(await inviteUses(code)).toBe(0);
    expect(await consentCount(c.id, joiner.id)).toBe(0);
    const listed = await db().select().from(schema.spaceMembers).where(eq(schema.spaceMembers.spaceId, space.id));
    expect(listed).toEqual([]);
  });

  it("answers a post racing the deletion with 404 and stores nothing", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const { openSpace } = await import("../../workers/domain/discussions/access");
    const { createPost } = await import("../../workers/domain/discussions/posts");
    const { Reader } = await import("../../workers/domain/auth/reader");
    const access = await openSpace(env, space.id, Reader.of(env, c.owner.id), "write");
    await db().update(schema.communities).set({ deletedAt: new Date() }).where(eq(schema.communities.id, c.id));
    await expect(createPost(env, access, { title: "Too late", body: "x" })).rejects.toMatchObject({ status: 404 });
    expect(await db().select().from(schema.posts).where(eq(schema.posts.spaceId, space.id))).toEqual([]);
  });
});

describe("leaving, removal and bans take the person off private spaces' lists", () => {
  it("lists nobody who left, was removed or was banned", async () => {
    const c = await makeCommunity();
    const [leaver, removed, banned] = [await addMember(c), await addMember(c), await addMember(c)];
    const space = await makeSpace(c);
    const add = await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "PATCH", body: { private: true } });
    expect(add.status).toBe(200);
    for (const u of [leaver, removed, banned]) {
      expect((await call(`/api/v1/spaces/${space.id}/members`, { as: c.owner, body: { userIds: [u.id] } })).status).toBeLessThan(300);
    }
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { as: leaver, method: "POST" })).status).toBe(204);
    expect((await call(`/api/v1/communities/${c.slug}/members/${removed.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: banned.id, reason: "spam" } })).status).toBe(201);
    const listed = await call(`/api/v1/spaces/${space.id}/members`, { as: c.owner });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
  });
});

describe("interested parties hear of a change right after its commit", () => {
  let stop: (() => void) | null = null;
  afterEach(() => stop?.());

  it("calls a registered listener once per committed change, and not for one that changed nothing", async () => {
    const c = await makeCommunity();
    const [member, former] = [await addMember(c), await addMember(c, { status: "left" })];
    const heard: PendingAccessChange[] = [];
    stop = onAccessChanged((_env, pending) => void heard.push(pending));
    const audit = (targetId: string) => ({ communityId: c.id, actorId: c.owner.id, action: "member.remove", targetType: "user", targetId });
    const removal = writeMembershipEnd(env, { communityId: c.id, userId: member.id }, { status: "removed", role: "member" }, audit(member.id));
    const noop = writeMembershipEnd(env, { communityId: c.id, userId: former.id }, { status: "removed", role: "member" }, audit(former.id));
    await commitAccessWrite(env, removal);
    await commitAccessWrite(env, noop);
    expect(heard).toEqual([{ eventId: removal.changes[0].eventId, change: change(c.id, "member_removed", { userId: member.id }) }]);
  });

  it("calls it for a change made through the API, and keeps going when a listener throws", async () => {
    const c = await makeCommunity();
    const m = await addMember(c);
    const heard: AccessChange[] = [];
    const stops = [
      onAccessChanged(() => {
        throw new Error("socket gone");
      }),
      onAccessChanged((_env, { change: changed }) => void heard.push(changed)),
    ];
    stop = () => stops.forEach((s) => s());
    expect((await call(`/api/v1/communities/${c.slug}/members/${m.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect(heard).toEqual([change(c.id, "member_removed", { userId: m.id })]);
  });
});

describe("the spine is the retry of the direct call", () => {
  let stop: (() => void) | null = null;
  afterEach(() => stop?.());

  it("calls the listeners again from the access.changed event until they succeed", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const heard: AccessChange[] = [];
    let failing = true;
    stop = onAccessChanged((_env, { change: changed }) => {
      if (failing) throw new Error("chat object unreachable");
      heard.push(changed);
    });
    const audit = { communityId: c.id, actorId: c.owner.id, action: "member.remove", targetType: "user", targetId: member.id };
    const removal = writeMembershipEnd(env, { communityId: c.id, userId: member.id }, { status: "removed", role: "member" }, audit);
    // committed, as a Worker that died before calling anyone would leave it
    await db().batch([removal.first, ...removal.rest]);
    const { eventId } = removal.changes[0];
    const now = Date.now();
    expect(await processEvent(env, eventId, now)).toMatchObject({ outcome: "retry", error: expect.stringContaining("chat object unreachable") });
    failing = false;
    expect(await processEvent(env, eventId, now + EVENT_BACKOFF_BASE_MS + 1)).toEqual({ outcome: "done" });
    expect(heard).toEqual([change(c.id, "member_removed", { userId: member.id })]);
  });
});

describe("no writer of access outside access-changes.ts", () => {
  const sources = import.meta.glob<string>("../../workers/**/*.ts", { query: "?raw", import: "default", eager: true });
  const guarded = { memberships: "memberships", spaceMembers: "space_members", bans: "bans" } as const;

  /** `insert(x)`, `update(x)`, `delete(x)` on a guarded table, by its schema name or a local alias. */
  function accessWrites(source: string): string[] {
    const names = Object.keys(guarded).map((key) => `schema\\.${key}`);
    for (const alias of source.matchAll(/const (\w+) = schema\.(memberships|spaceMembers|bans)\b/g)) names.push(alias[1]);
    const found: string[] = [];
    for (const call of source.matchAll(new RegExp(`\\.(insert|update|delete)\\(\\s*(${names.join("|")})\\s*\\)`, "g"))) found.push(call[0]);
    for (const raw of source.matchAll(/\b(insert\s+into|update|delete\s+from)\s+(memberships|space_members|bans)\b/gi)) found.push(raw[0]);
    // communities.owner_id: set in an update, or a communities row inserted (it carries the owner)
    for (const owner of source.matchAll(/\.set\(\{[^}]*\bownerId\b|\.insert\(\s*schema\.communities\s*\)|set\s+owner_id\b/g)) found.push(owner[0]);
    return found;
  }

  it("reads the Worker's source (the guard below would pass on nothing otherwise)", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    expect(accessWrites(sources["../../workers/domain/access-changes.ts"]).length).toBeGreaterThan(10);
  });

  it("finds no insert, update or delete of memberships, space_members, bans or communities.owner_id elsewhere", () => {
    const elsewhere = Object.entries(sources)
      .filter(([path]) => !path.endsWith("/domain/access-changes.ts"))
      .flatMap(([path, source]) => accessWrites(source).map((write) => `${path}: ${write}`));
    expect(elsewhere).toEqual([]);
  });
});
