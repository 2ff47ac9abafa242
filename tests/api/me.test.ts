import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, or } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import type { Role, TierKey } from "../../workers/db/schema";
import { auditInsert } from "../../workers/domain/audit";
import { newId } from "../../workers/lib/ids";
import { call, createUser, ORIGIN, PASSWORD, unique, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { png } from "../upload-fixtures";

const db = getDb(env);
// a well-formed 1×1 PNG: uploads refuse broken containers (issue 10 §3)
const PNG = png();

type CommunityRow = { id: string; slug: string; name: string };

// The communities API is built elsewhere; these rows are what it would write.
async function makeCommunity(owner: TestUser, opts: { deleted?: boolean } = {}): Promise<CommunityRow> {
  const row = { id: newId("com"), slug: unique("c-"), name: unique("Community ") };
  await db.insert(schema.communities).values({
    ...row,
    visibility: "private",
    ownerId: owner.id,
    deletedAt: opts.deleted ? new Date() : null,
  });
  await db.insert(schema.memberships).values({ communityId: row.id, userId: owner.id, role: "owner", joinedAt: new Date() });
  return row;
}

async function join(
  community: CommunityRow,
  user: TestUser,
  opts: { role?: Role; paidTier?: TierKey; compTier?: TierKey; status?: "active" | "left"; source?: string; joinedAt?: Date } = {},
) {
  await db.insert(schema.memberships).values({
    communityId: community.id,
    userId: user.id,
    role: opts.role ?? "member",
    paidTier: opts.paidTier ?? "free",
    compTier: opts.compTier ?? null,
    status: opts.status ?? "active",
    source: opts.source ?? null,
    joinedAt: opts.joinedAt ?? new Date(),
  });
}

async function uploadPng(user: TestUser): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([PNG], { type: "image/png" }), "me.png");
  const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers: { Origin: ORIGIN, Cookie: user.cookie }, body: form });
  expect(res.status).toBe(201);
  return ((await res.json()) as { url: string }).url;
}

const expectValidationError = (res: { status: number; body: any }) => {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe("validation_failed");
};

describe("GET /me", () => {
  it("answers 401 unauthenticated when signed out or with a made-up cookie", async () => {
    const res = await call("/api/v1/me");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
    const forged = await call("/api/v1/me", { as: { id: "x", email: "x", name: "x", cookie: "enclave_session=forged" } });
    expect(forged.status).toBe(401);
  });

  it("lists active memberships of existing communities with role and effective tier", async () => {
    const owner = await createUser();
    const user = await createUser();
    const paid = await makeCommunity(owner);
    const comped = await makeCommunity(owner);
    const left = await makeCommunity(owner);
    const gone = await makeCommunity(owner, { deleted: true });
    await join(paid, user, { paidTier: "member", role: "moderator", joinedAt: new Date(Date.now() - 2000) });
    await join(comped, user, { paidTier: "member", compTier: "vip", joinedAt: new Date(Date.now() - 1000) });
    await join(left, user, { status: "left" });
    await join(gone, user);

    const res = await call("/api/v1/me", { as: user });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email, name: user.name, emailVerified: true });
    expect(res.body.memberships).toEqual([
      { community: paid, role: "moderator", tier: "member" },
      { community: comped, role: "member", tier: "vip" },
    ]);
  });
});

describe("PATCH /me", () => {
  it("changes the given fields and leaves the others", async () => {
    const user = await createUser();
    const res = await call("/api/v1/me", {
      method: "PATCH",
      as: user,
      body: { name: "  New Name ", bio: "I like tea.", locale: "zh-Hant", timezone: "Asia/Taipei" },
    });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      id: user.id,
      email: user.email,
      name: "New Name",
      bio: "I like tea.",
      locale: "zh-Hant",
      timezone: "Asia/Taipei",
      avatarUrl: null,
    });
    const again = await call("/api/v1/me", { method: "PATCH", as: user, body: { bio: "" } });
    expect(again.body.user).toMatchObject({ name: "New Name", bio: "", locale: "zh-Hant" });
  });

  it("merges notification preferences key by key", async () => {
    const user = await createUser();
    await call("/api/v1/me", { method: "PATCH", as: user, body: { notificationPrefs: { digest: false } } });
    const res = await call("/api/v1/me", { method: "PATCH", as: user, body: { notificationPrefs: { marketing_email: true } } });
    expect(res.body.user.notificationPrefs).toEqual({
      mentions: true,
      replies: true,
      new_posts: true,
      events: true,
      marketing_email: true,
      digest: false,
      missed_messages: true,
    });
  });

  it("sets the avatar to the caller's own upload and clears it with null", async () => {
    const user = await createUser();
    const url = await uploadPng(user);
    const set = await call("/api/v1/me", { method: "PATCH", as: user, body: { avatarUrl: url } });
    expect(set.status).toBe(200);
    expect(set.body.user.avatarUrl).toBe(url);
    const cleared = await call("/api/v1/me", { method: "PATCH", as: user, body: { avatarUrl: null } });
    expect(cleared.body.user.avatarUrl).toBeNull();
  });

  it("refuses an avatar that is an outside URL or someone else's upload", async () => {
    const user = await createUser();
    const other = await createUser();
    const outside = await call("/api/v1/me", { method: "PATCH", as: user, body: { avatarUrl: "https://evil.example/a.png" } });
    expectValidationError(outside);
    expect(outside.body.error.issues[0].path).toBe("avatarUrl");
    const theirs = await uploadPng(other);
    const stolen = await call("/api/v1/me", { method: "PATCH", as: user, body: { avatarUrl: theirs } });
    expectValidationError(stolen);
    expect((await call("/api/v1/me", { as: user })).body.user.avatarUrl).toBeNull();
  });

  it("stores a time zone in its canonical IANA spelling, whatever case it was sent in", async () => {
    const user = await createUser();
    const res = await call("/api/v1/me", { method: "PATCH", as: user, body: { timezone: "pacific/kiritimati" } });
    expect(res.status).toBe(200);
    expect(res.body.user.timezone).toBe("Pacific/Kiritimati");
    expect((await call("/api/v1/me", { as: user })).body.user.timezone).toBe("Pacific/Kiritimati");
    // only the case changes: a zone the runtime knows by an older name keeps the member's choice
    const kyiv = await call("/api/v1/me", { method: "PATCH", as: user, body: { timezone: "Europe/Kyiv" } });
    expect(kyiv.body.user.timezone).toBe("Europe/Kyiv");
  });

  it("answers 400 for an unknown time zone, locale, preference or wrong types", async () => {
    const user = await createUser();
    const zone = await call("/api/v1/me", { method: "PATCH", as: user, body: { timezone: "Europe/Atlantis" } });
    expectValidationError(zone);
    expect(zone.body.error.issues).toEqual([{ path: "timezone", message: expect.stringContaining("IANA"), code: "time_zone" }]);
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: { locale: "de" } }));
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: { notificationPrefs: { sms: true } } }));
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: { notificationPrefs: { digest: "no" } } }));
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: { name: "" } }));
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: { name: 5 } }));
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: { bio: "x".repeat(2001) } }));
    expectValidationError(await call("/api/v1/me", { method: "PATCH", as: user, body: '{"name":' }));
    expect((await call("/api/v1/me", { as: user })).body.user.name).toBe(user.name);
  });

  it("ignores unknown fields such as email or id", async () => {
    const user = await createUser();
    const res = await call("/api/v1/me", { method: "PATCH", as: user, body: { email: "new@example.com", id: "usr_x", name: "Kept" } });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email, name: "Kept" });
  });

  it("answers 401 when signed out", async () => {
    expect((await call("/api/v1/me", { method: "PATCH", body: { name: "x" } })).status).toBe(401);
  });
});

describe("consents", () => {
  it("lists every purpose per community: essential granted from joining, the rest not yet asked", async () => {
    const owner = await createUser();
    const user = await createUser();
    const c = await makeCommunity(owner);
    const joinedAt = new Date("2026-01-02T03:04:05.000Z");
    await join(c, user, { joinedAt });
    const res = await call("/api/v1/me/consents", { as: user });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { community: c, purpose: "essential", granted: true, at: joinedAt.toISOString() },
      { community: c, purpose: "marketing_email", granted: false, at: null },
      { community: c, purpose: "analytics", granted: false, at: null },
      { community: c, purpose: "ai_personalization", granted: false, at: null },
    ]);
  });

  it("records grants and withdrawals by slug or id, answers the new state and keeps the history", async () => {
    const owner = await createUser();
    const user = await createUser();
    const c = await makeCommunity(owner);
    await join(c, user);
    const granted = await call("/api/v1/me/consents", {
      method: "PUT",
      as: user,
      body: { items: [{ community: c.slug, purpose: "marketing_email", granted: true }, { community: c.id, purpose: "analytics", granted: true }] },
    });
    expect(granted.status).toBe(200);
    const state = (body: any, purpose: string) => body.items.find((i: { purpose: string }) => i.purpose === purpose);
    expect(state(granted.body, "marketing_email")).toMatchObject({ granted: true, at: expect.any(String) });
    expect(state(granted.body, "analytics").granted).toBe(true);

    const withdrawn = await call("/api/v1/me/consents", {
      method: "PUT",
      as: user,
      body: { items: [{ community: c.slug, purpose: "marketing_email", granted: false }] },
    });
    expect(state(withdrawn.body, "marketing_email").granted).toBe(false);
    expect(state(withdrawn.body, "analytics").granted).toBe(true);
    expect((await call("/api/v1/me/consents", { as: user })).body).toEqual(withdrawn.body);

    const rows = await db
      .select()
      .from(schema.consents)
      .where(and(eq(schema.consents.userId, user.id), eq(schema.consents.purpose, "marketing_email")));
    expect(rows.map((r) => r.granted).sort()).toEqual([false, true]);
  });

  it("answers 404 for a community the caller is not an active member of", async () => {
    const owner = await createUser();
    const user = await createUser();
    const foreign = await makeCommunity(owner);
    const left = await makeCommunity(owner);
    await join(left, user, { status: "left" });
    for (const community of [foreign.slug, left.slug, "no-such-community"]) {
      const res = await call("/api/v1/me/consents", {
        method: "PUT",
        as: user,
        body: { items: [{ community, purpose: "analytics", granted: true }] },
      });
      expect(res.status, community).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    expect(await db.select().from(schema.consents).where(eq(schema.consents.userId, user.id))).toHaveLength(0);
  });

  it("refuses to withdraw essential processing with 409 and says to leave instead", async () => {
    const owner = await createUser();
    const user = await createUser();
    const c = await makeCommunity(owner);
    await join(c, user);
    const res = await call("/api/v1/me/consents", {
      method: "PUT",
      as: user,
      body: { items: [{ community: c.slug, purpose: "analytics", granted: true }, { community: c.slug, purpose: "essential", granted: false }] },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("conflict");
    expect(res.body.error.message).toMatch(/leave the community/);
    // nothing of the request was applied
    expect(await db.select().from(schema.consents).where(eq(schema.consents.userId, user.id))).toHaveLength(0);
  });

  it("validates the body and needs a session", async () => {
    const user = await createUser();
    expectValidationError(await call("/api/v1/me/consents", { method: "PUT", as: user, body: { items: [{ community: "x", purpose: "spam", granted: true }] } }));
    expectValidationError(await call("/api/v1/me/consents", { method: "PUT", as: user, body: { items: [{ community: "x", purpose: "analytics", granted: "yes" }] } }));
    expectValidationError(await call("/api/v1/me/consents", { method: "PUT", as: user, body: {} }));
    expectValidationError(await call("/api/v1/me/consents", { method: "PUT", as: user, body: "nope" }));
    expect((await call("/api/v1/me/consents")).status).toBe(401);
    expect((await call("/api/v1/me/consents", { method: "PUT", body: { items: [] } })).status).toBe(401);
  });
});

describe("GET /me/export", () => {
  it("answers 401 when signed out", async () => {
    expect((await call("/api/v1/me/export")).status).toBe(401);
  });

  it("downloads an attachment with the caller's profile, memberships, consent history, sessions, uploads, mails and audit entries", async () => {
    const owner = await createUser();
    const user = await createUser({ name: unique("Exporter ") });
    const c = await makeCommunity(owner);
    await join(c, user, { source: "instagram", paidTier: "member" });
    await call("/api/v1/me/consents", { method: "PUT", as: user, body: { items: [{ community: c.slug, purpose: "analytics", granted: true }] } });
    await call("/api/v1/me/consents", { method: "PUT", as: user, body: { items: [{ community: c.slug, purpose: "analytics", granted: false }] } });
    const avatar = await uploadPng(user);
    await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: { "CF-Connecting-IP": unique("ip-") } });
    await auditInsert(env, { communityId: c.id, actorId: owner.id, action: "member.comp_tier", targetType: "user", targetId: user.id, data: { tier: "vip" } });

    const res = await SELF.fetch(`${ORIGIN}/api/v1/me/export`, { headers: { Cookie: user.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="enclave-export-\d{4}-\d\d-\d\d\.json"$/);
    const archive = (await res.json()) as any;

    expect(archive).toMatchObject({ format: "enclave-export/1", userId: user.id });
    expect(archive.profile).toMatchObject({ id: user.id, email: user.email, name: user.name });
    expect(archive.memberships).toEqual([
      expect.objectContaining({ community: c, role: "member", tier: "member", source: "instagram", status: "active", joinedAt: expect.any(String) }),
    ]);
    expect(archive.consents.map((x: { purpose: string; granted: boolean }) => [x.purpose, x.granted])).toEqual([
      ["analytics", true],
      ["analytics", false],
    ]);
    expect(archive.sessions).toEqual([{ createdAt: expect.any(String), expiresAt: expect.any(String) }]);
    expect(archive.uploads).toEqual([
      { url: avatar, contentType: "image/png", size: PNG.byteLength, spaceId: null, conversationId: null, createdAt: expect.any(String) },
    ]);
    expect(archive.mails).toEqual([
      expect.objectContaining({ to: user.email, kind: "password_reset", text: expect.stringContaining("token=[redacted]") }),
    ]);
    expect(archive.audit).toEqual([
      expect.objectContaining({ action: "member.comp_tier", role: "target", data: { tier: "vip" } }),
    ]);
    // no secrets: neither the session token nor the password hash
    const text = JSON.stringify(archive);
    expect(text).not.toContain(user.cookie.split("=")[1]);
    expect(text).not.toContain("pbkdf2");
  });

  it("contains nothing of another user", async () => {
    const a = await createUser();
    const b = await createUser();
    await uploadPng(b);
    const archive = (await call("/api/v1/me/export", { as: a })).body;
    const text = JSON.stringify(archive);
    expect(text).not.toContain(b.id);
    expect(text).not.toContain(b.email);
    expect(archive.uploads).toEqual([]);
  });
});

describe("DELETE /me", () => {
  it("answers 401 signed out, 400 without a password and 401 invalid_credentials for a wrong one", async () => {
    expect((await call("/api/v1/me", { method: "DELETE", body: { password: PASSWORD } })).status).toBe(401);
    const user = await createUser();
    expectValidationError(await call("/api/v1/me", { method: "DELETE", as: user, body: {} }));
    const wrong = await call("/api/v1/me", { method: "DELETE", as: user, body: { password: "not it at all" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect((await call("/api/v1/me", { as: user })).status).toBe(200);
  });

  it("answers 409 while the caller owns a community, and erases once it is deleted", async () => {
    const owner = await createUser();
    const c = await makeCommunity(owner);
    const res = await call("/api/v1/me", { method: "DELETE", as: owner, body: { password: PASSWORD } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "conflict", communities: [c.slug] });
    expect((await call("/api/v1/me", { as: owner })).status).toBe(200);

    await db.update(schema.communities).set({ deletedAt: new Date() }).where(eq(schema.communities.id, c.id));
    expect((await call("/api/v1/me", { method: "DELETE", as: owner, body: { password: PASSWORD } })).status).toBe(204);
  });

  it("erases personal data, keeps a 'Deleted member' row, signs out and leaves no trace in others' exports", async () => {
    const owner = await createUser();
    const user = await createUser({ name: unique("Erasable ") });
    const c = await makeCommunity(owner);
    await join(c, user, { source: "line" });
    await call("/api/v1/me/consents", { method: "PUT", as: user, body: { items: [{ community: c.slug, purpose: "analytics", granted: true }] } });
    const avatar = await uploadPng(user);
    await call("/api/v1/me", { method: "PATCH", as: user, body: { avatarUrl: avatar, bio: "My secret bio" } });
    await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: { "CF-Connecting-IP": unique("ip-") } });
    await db.insert(schema.bans).values({ communityId: c.id, userId: user.id, reason: `spam from ${user.email}`, bannedBy: owner.id });
    // the owner acted on the user; the entry's data names them
    await auditInsert(env, {
      communityId: c.id,
      actorId: owner.id,
      action: "member.ban",
      targetType: "user",
      targetId: user.id,
      data: { name: user.name, email: user.email },
    });

    const res = await call("/api/v1/me", { method: "DELETE", as: user, body: { password: PASSWORD } });
    expect(res.status).toBe(204);
    expect(res.headers.get("Set-Cookie")).toMatch(/enclave_session=;.*Max-Age=0/);

    // signed out everywhere and cannot sign in again
    expect((await call("/api/v1/me", { as: user })).status).toBe(401);
    const login = await call("/api/v1/auth/login", { body: { email: user.email, password: PASSWORD }, headers: { "CF-Connecting-IP": unique("ip-") } });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe("invalid_credentials");

    const [row] = await db.select().from(schema.users).where(eq(schema.users.id, user.id));
    expect(row).toMatchObject({
      email: null,
      name: "Deleted member",
      bio: "",
      avatarUrl: null,
      passwordHash: null,
      notificationPrefs: {},
      deletedAt: expect.any(Date),
    });
    for (const table of [schema.sessions, schema.emailTokens, schema.consents, schema.memberships, schema.uploads, schema.outbox]) {
      expect(await db.select().from(table).where(eq(table.userId, user.id))).toHaveLength(0);
    }
    expect(await db.select().from(schema.outbox).where(eq(schema.outbox.toEmail, user.email))).toHaveLength(0);
    const [ban] = await db.select().from(schema.bans).where(eq(schema.bans.userId, user.id));
    expect(ban.reason).toBe("");

    // the URL stops serving at once (the row went in the batch); the R2 object goes with the
    // spine's purge (account.erased), retried until it succeeds
    const image = await SELF.fetch(`${ORIGIN}${avatar}`);
    expect(image.status).toBe(404);
    await image.arrayBuffer();
    await drainEvents();
    expect(await env.UPLOADS.get(avatar.slice("/api/v1/uploads/".length))).toBeNull();

    const audit = await db
      .select()
      .from(schema.auditLog)
      .where(or(eq(schema.auditLog.actorId, user.id), eq(schema.auditLog.targetId, user.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(["account.erased", "member.ban"]);
    for (const entry of audit) expect(entry.data).toBeNull();

    const ownerExport = JSON.stringify((await call("/api/v1/me/export", { as: owner })).body);
    expect(ownerExport).toContain("member.ban");
    expect(ownerExport).not.toContain(user.email);
    expect(ownerExport).not.toContain(user.name);

    // the address is free for a new account
    const again = await call("/api/v1/auth/signup", {
      body: { email: user.email, password: "fresh start pw", name: "Back again" },
      headers: { "CF-Connecting-IP": unique("ip-") },
    });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(user.id);
  });
});

describe("OpenAPI", () => {
  it("documents the /me routes", async () => {
    const doc = await (await SELF.fetch(`${ORIGIN}/api/v1/openapi.json`)).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(doc.paths["/api/v1/me"]).sort()).toEqual(["delete", "get", "patch"]);
    expect(Object.keys(doc.paths["/api/v1/me/consents"]).sort()).toEqual(["get", "put"]);
    expect(doc.paths["/api/v1/me/export"].get).toBeDefined();
  });
});
