// Mention suggestions: a prefix query on the server over folded names, among the members who can
// read the space being written in (issue 9, part 1).
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import type { TierKey } from "../../workers/db/schema";
import { newId } from "../../workers/lib/ids";
import { addMember, db, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";

type Suggestion = { id: string; name: string; avatarUrl: string | null; role: string };

/** Active members by name, inserted in one batch (no password: they never sign in here). */
async function addNamedMembers(community: TestCommunity, people: Array<{ name: string; paidTier?: TierKey }>) {
  const rows = people.map((p) => ({ id: newId("usr"), ...p }));
  const d = db();
  const statements = rows.flatMap((r) => [
    d.insert(schema.users).values({ id: r.id, email: `${r.id}@example.com`, ...schema.userName(r.name) }),
    d.insert(schema.memberships).values({
      communityId: community.id,
      userId: r.id,
      paidTier: r.paidTier ?? "free",
      status: "active",
      joinedAt: new Date(),
      source: "direct",
    }),
  ]);
  const [first, ...rest] = statements;
  await d.batch([first, ...rest]);
  return Object.fromEntries(rows.map((r) => [r.name, r.id]));
}

async function suggest(slug: string, as: TestUser | null, params: Record<string, string>) {
  return call(`/api/v1/communities/${slug}/mention-suggestions?${new URLSearchParams(params)}`, { as });
}

async function names(slug: string, as: TestUser, spaceId: string, q: string, limit?: number) {
  const res = await suggest(slug, as, { q, spaceId, ...(limit ? { limit: String(limit) } : {}) });
  expect(res.status).toBe(200);
  return (res.body.items as Suggestion[]).map((s) => s.name);
}

describe("mention suggestions: who is found", () => {
  it("with 107 members, finds a member whose name sorts last by the start of their name", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const filler = Array.from({ length: 105 }, (_, i) => ({ name: `Member ${String(i + 1).padStart(3, "0")}` }));
    const ids = await addNamedMembers(c, [...filler, { name: "Zoe Zimmerman" }]);
    // 105 fillers, Zoe and the owner: 107 members
    expect(filler.length + 2).toBe(107);
    const res = await suggest(c.slug, c.owner, { q: "zo", spaceId: space.id });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [{ id: ids["Zoe Zimmerman"], name: "Zoe Zimmerman", avatarUrl: null, role: "member", joinedAt: expect.any(String) }] });
    // a later word of the name starts with the query too
    expect(await names(c.slug, c.owner, space.id, "zimm")).toEqual(["Zoe Zimmerman"]);
    // many matches: the default 8, alphabetical; up to 20 when asked
    expect(await names(c.slug, c.owner, space.id, "member")).toEqual(filler.slice(0, 8).map((p) => p.name));
    expect(await names(c.slug, c.owner, space.id, "member 10", 20)).toEqual(["Member 100", "Member 101", "Member 102", "Member 103", "Member 104", "Member 105"]);
  });

  it("offers both members called \"Daniel Chen\", each with their own id and role", async () => {
    const admin = await createUser({ name: "Daniel Chen" });
    const c = await makeCommunity({ owner: admin });
    const space = await makeSpace(c);
    const newcomer = await addMember(c, { user: await createUser({ name: "Daniel Chen" }) });
    const writer = await addMember(c);
    const res = await suggest(c.slug, writer, { q: "daniel", spaceId: space.id });
    expect(res.status).toBe(200);
    const items = res.body.items as Suggestion[];
    expect(items.map((s) => [s.id, s.name, s.role]).sort()).toEqual(
      [[admin.id, "Daniel Chen", "owner"], [newcomer.id, "Daniel Chen", "member"]].sort(),
    );
  });

  it("finds \"Daniel Chen\" by \"chen\", after the members whose name starts with it", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    await addNamedMembers(c, [{ name: "Daniel Chen" }, { name: "Chen Wei" }, { name: "Archenemy" }, { name: "Aaron Chenault" }]);
    expect(await names(c.slug, c.owner, space.id, "chen")).toEqual(["Chen Wei", "Aaron Chenault", "Daniel Chen"]);
    expect(await names(c.slug, c.owner, space.id, "Daniel C")).toEqual(["Daniel Chen"]);
  });

  it("matches caselessly in every script: \"élodie\" finds \"Élodie Martin\", \"İz\" finds \"İzmir Ay\"", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const ids = await addNamedMembers(c, [{ name: "Élodie Martin" }, { name: "İzmir Ay" }, { name: "Elodie Plain" }, { name: "王小明" }]);
    expect(await names(c.slug, c.owner, space.id, "élodie")).toEqual(["Élodie Martin"]);
    expect(await names(c.slug, c.owner, space.id, "ÉLODIE MAR")).toEqual(["Élodie Martin"]);
    const iz = await suggest(c.slug, c.owner, { q: "İz", spaceId: space.id });
    expect(iz.body.items).toEqual([{ id: ids["İzmir Ay"], name: "İzmir Ay", avatarUrl: null, role: "member", joinedAt: expect.any(String) }]);
    expect(await names(c.slug, c.owner, space.id, "王小")).toEqual(["王小明"]);
  });

  it("offers for a VIP space only the members who can read it, and for a private space only those listed (and admins)", async () => {
    const c = await makeCommunity();
    const ids = await addNamedMembers(c, [
      { name: "Vera Free", paidTier: "free" },
      { name: "Vera Member", paidTier: "member" },
      { name: "Vera Vip", paidTier: "vip" },
    ]);
    const admin = await addMember(c, { role: "admin", user: await createUser({ name: "Vera Admin" }) });
    const general = await makeSpace(c);
    const vip = await makeSpace(c, { minTier: "vip", name: "VIP lounge" });
    const hidden = await makeSpace(c, { private: true, name: "Staff", memberIds: [ids["Vera Member"]] });
    expect(await names(c.slug, c.owner, general.id, "vera")).toEqual(["Vera Admin", "Vera Free", "Vera Member", "Vera Vip"]);
    expect(await names(c.slug, c.owner, vip.id, "vera")).toEqual(["Vera Admin", "Vera Vip"]);
    expect(await names(c.slug, c.owner, hidden.id, "vera")).toEqual(["Vera Admin", "Vera Member"]);
    // the caller is never offered to themself
    expect(await names(c.slug, admin, general.id, "vera")).toEqual(["Vera Free", "Vera Member", "Vera Vip"]);
  });

  it("fills the answer with readers when the first matches by name cannot read the space", async () => {
    const c = await makeCommunity();
    const vip = await makeSpace(c, { minTier: "vip" });
    // 40 free members sort before the two VIPs: more than the first read of 4 × limit
    await addNamedMembers(c, [
      ...Array.from({ length: 40 }, (_, i) => ({ name: `Ann ${String(i).padStart(2, "0")}` })),
      { name: "Ann Zed", paidTier: "vip" },
      { name: "Ann Zylo", paidTier: "vip" },
    ]);
    expect(await names(c.slug, c.owner, vip.id, "ann", 2)).toEqual(["Ann Zed", "Ann Zylo"]);
  });

  it("offers nobody who has left, been removed or banned", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    for (const status of ["left", "removed", "banned"] as const) await addMember(c, { status, user: await createUser({ name: `Gone ${status}` }) });
    await addMember(c, { user: await createUser({ name: "Gone Not" }) });
    expect(await names(c.slug, c.owner, space.id, "gone")).toEqual(["Gone Not"]);
  });
});

describe("mention suggestions: who may ask", () => {
  it("answers 401 signed out, 404 to non-members of private and public communities", async () => {
    for (const visibility of ["private", "public"] as const) {
      const c = await makeCommunity({ visibility });
      const space = await makeSpace(c);
      expectError(await suggest(c.slug, null, { q: "a", spaceId: space.id }), 401, "unauthenticated");
      expectError(await suggest(c.slug, await createUser(), { q: "a", spaceId: space.id }), 404, "not_found");
    }
    expectError(await suggest("no-such-club", await createUser(), { q: "a", spaceId: "spc_x" }), 404, "not_found");
  });

  it("answers 404 for a space of another community and a private one the caller is not in, 403 tier_required for one above their tier", async () => {
    const c = await makeCommunity();
    const other = await makeCommunity({ owner: c.owner });
    const elsewhere = await makeSpace(other);
    const member = await addMember(c);
    const vip = await makeSpace(c, { minTier: "vip" });
    const staff = await makeSpace(c, { private: true });
    expectError(await suggest(c.slug, c.owner, { q: "", spaceId: elsewhere.id }), 404, "not_found");
    // listed but locked, as reading it answers
    const locked = await suggest(c.slug, member, { q: "", spaceId: vip.id });
    expectError(locked, 403, "tier_required");
    expect(locked.body.error.requiredTier).toBe("vip");
    expectError(await suggest(c.slug, member, { q: "", spaceId: staff.id }), 404, "not_found");
    expect((await suggest(c.slug, c.owner, { q: "", spaceId: vip.id })).status).toBe(200);
  });

  it("refuses a missing space, a limit above 20 and an overlong query with 400", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    expectError(await suggest(c.slug, c.owner, { q: "a" }), 400, "validation_failed");
    expectError(await suggest(c.slug, c.owner, { q: "a", spaceId: space.id, limit: "21" }), 400, "validation_failed");
    expectError(await suggest(c.slug, c.owner, { q: "a".repeat(101), spaceId: space.id }), 400, "validation_failed");
  });
});
