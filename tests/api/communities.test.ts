import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { createCommunity } from "../../workers/domain/communities/create-community";
import { DomainError } from "../../workers/lib/errors";
import { addMember, auditActions, db, env, expectError, makeCommunity, membershipRow } from "../community-fixtures";
import { call, createUser, unique } from "../helpers";

const create = (as: Awaited<ReturnType<typeof createUser>> | null, body: unknown) =>
  call("/api/v1/communities", { as, body, method: "POST" });

describe("creating a community", () => {
  it("answers 201 with the community and sets up owner, tiers, prices, consent and audit in one go", async () => {
    const owner = await createUser();
    const slug = unique("tea-");
    const res = await create(owner, { slug, name: "Tea Lovers", description: "Leaves and water", visibility: "public" });
    expect(res.status).toBe(201);
    expect(res.body.community).toEqual({
      id: expect.any(String),
      slug,
      name: "Tea Lovers",
      description: "Leaves and water",
      defaultLocale: "en",
      visibility: "public",
      ownerId: owner.id,
      memberCount: 1,
      createdAt: expect.any(String),
    });
    const id = res.body.community.id;

    const membership = await membershipRow(id, owner.id);
    expect(membership).toMatchObject({ role: "owner", source: "owner", status: "active", paidTier: "free" });

    // the default prices are drafts: the owner reads them, a visitor only what is on sale (none yet)
    const visitorTiers = await call(`/api/v1/communities/${slug}/tiers`);
    expect(visitorTiers.status).toBe(200);
    expect(visitorTiers.body.items.map((x: { prices: unknown[] }) => x.prices)).toEqual([[], [], []]);
    const tiers = await call(`/api/v1/communities/${slug}/tiers`, { as: owner });
    expect(tiers.status).toBe(200);
    expect(tiers.body.items).toEqual([
      { key: "free", rank: 0, name: "Free", description: expect.any(String), prices: [], trialDays: 0 },
      {
        key: "member", rank: 1, name: "Member", description: expect.any(String), trialDays: 0,
        prices: [{ interval: "month", amount: 500, currency: "USD", published: false }, { interval: "year", amount: 5000, currency: "USD", published: false }],
      },
      {
        key: "vip", rank: 2, name: "VIP", description: expect.any(String), trialDays: 0,
        prices: [{ interval: "month", amount: 1500, currency: "USD", published: false }, { interval: "year", amount: 15000, currency: "USD", published: false }],
      },
    ]);

    const consents = await db().select().from(schema.consents).where(eq(schema.consents.communityId, id));
    expect(consents).toEqual([expect.objectContaining({ userId: owner.id, purpose: "essential", granted: true })]);
    expect(await auditActions(id)).toEqual(["community.create"]);
  });

  it("names the default tiers in Traditional Chinese for a zh-Hant community", async () => {
    const owner = await createUser();
    const slug = unique("cha-");
    const res = await create(owner, { slug, name: "茶友會", defaultLocale: "zh-Hant", visibility: "private" });
    expect(res.status).toBe(201);
    const tiers = await call(`/api/v1/communities/${slug}/tiers`, { as: owner });
    expect(tiers.body.items.map((t: { name: string }) => t.name)).toEqual(["免費", "會員", "VIP"]);
  });

  it("refuses malformed slugs with a validation error on the slug field", async () => {
    const owner = await createUser();
    for (const slug of ["ab", "a".repeat(41), "Tea-Club", "tea--club", "-tea", "tea-", "tea_club", "tea club", "茶會"]) {
      const res = await create(owner, { slug, name: "X", visibility: "public" });
      expectError(res, 400, "validation_failed");
      expect(res.body.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: "slug" })]));
    }
  });

  it("refuses reserved slugs that would collide with app routes", async () => {
    const owner = await createUser();
    for (const slug of ["api", "admin", "login", "invite", "settings", "enclave", "www"]) {
      const res = await create(owner, { slug, name: "X", visibility: "public" });
      expectError(res, 400, "validation_failed");
      expect(res.body.error.issues[0]).toMatchObject({ path: "slug", message: "This slug is reserved.", code: "slug_reserved" });
    }
  });

  it("answers 409 when the slug is taken", async () => {
    const { slug } = await makeCommunity();
    const res = await create(await createUser(), { slug, name: "Copycat", visibility: "public" });
    expectError(res, 409, "conflict");
  });

  it("refuses missing fields, wrong types and malformed JSON with the 400 envelope", async () => {
    const owner = await createUser();
    expectError(await create(owner, { slug: unique("x-"), visibility: "public" }), 400, "validation_failed");
    expectError(await create(owner, { slug: unique("x-"), name: "X", visibility: "secret" }), 400, "validation_failed");
    expectError(await create(owner, { slug: 42, name: "X", visibility: "public" }), 400, "validation_failed");
    expectError(await create(owner, { slug: unique("x-"), name: "X", visibility: "public", defaultLocale: "fr" }), 400, "validation_failed");
    expectError(await create(owner, '{"slug": "broken"'), 400, "validation_failed");
  });

  it("asks a signed-out caller to sign in", async () => {
    expectError(await create(null, { slug: unique("x-"), name: "X", visibility: "public" }), 401, "unauthenticated");
  });

  it("lets only operators create when COMMUNITY_CREATION is 'operators'", async () => {
    // env is fixed per test run, so the policy is exercised through the use case with an env override
    const operatorsOnly = { ...env, COMMUNITY_CREATION: "operators", OPERATOR_EMAILS: "boss@example.com, Ops@Example.com" };
    const someone = await createUser();
    const refused = await createCommunity(operatorsOnly, someone, { slug: unique("op-"), name: "X", visibility: "public" }).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ status: 403, code: "forbidden" });

    const operator = await createUser({ email: `ops${unique("")}@example.com` });
    const made = await createCommunity(
      { ...operatorsOnly, OPERATOR_EMAILS: `boss@example.com, ${operator.email.toUpperCase()}` },
      operator,
      { slug: unique("op-"), name: "Operated", visibility: "public" },
    );
    expect(made).toMatchObject({ name: "Operated", ownerId: operator.id });
  });
});

describe("reading communities", () => {
  it("lists public communities only, newest first, paged with a cursor", async () => {
    const a = await makeCommunity({ visibility: "public" });
    const hidden = await makeCommunity({ visibility: "private" });
    const b = await makeCommunity({ visibility: "public" });
    const first = await call("/api/v1/communities?limit=1");
    expect(first.status).toBe(200);
    expect(first.body.items.map((c: { slug: string }) => c.slug)).toEqual([b.slug]);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const seen: string[] = [b.slug];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await call(`/api/v1/communities?limit=1&cursor=${cursor}`);
      seen.push(...page.body.items.map((c: { slug: string }) => c.slug));
      cursor = page.body.nextCursor;
    }
    expect(seen).toContain(a.slug);
    expect(seen).not.toContain(hidden.slug);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("refuses a bad limit or cursor with 400", async () => {
    expectError(await call("/api/v1/communities?limit=0"), 400, "validation_failed");
    expectError(await call("/api/v1/communities?limit=abc"), 400, "validation_failed");
    expectError(await call("/api/v1/communities?cursor=not-a-cursor"), 400, "validation_failed");
  });

  it("shows a public community to anyone, with viewer null when signed out", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const res = await call(`/api/v1/communities/${c.slug}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ community: { slug: c.slug, visibility: "public", memberCount: 1 }, viewer: null });
  });

  it("hides a private community from outsiders with 404 and shows members their role and tier", async () => {
    const c = await makeCommunity({ visibility: "private" });
    expectError(await call(`/api/v1/communities/${c.slug}`), 404, "not_found");
    expectError(await call(`/api/v1/communities/${c.slug}`, { as: await createUser() }), 404, "not_found");
    const member = await addMember(c, { paidTier: "member" });
    const res = await call(`/api/v1/communities/${c.slug}`, { as: member });
    expect(res.status).toBe(200);
    expect(res.body.viewer).toEqual({ role: "member", tier: "member", permissions: ["community.search"] });
    expect(res.body.community.memberCount).toBe(2);
  });

  it("answers 404 for a community that does not exist", async () => {
    expectError(await call("/api/v1/communities/no-such-club"), 404, "not_found");
  });
});

describe("changing settings", () => {
  it("lets an admin change name, description, locale and visibility, and audits the change", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const res = await call(`/api/v1/communities/${c.slug}`, {
      as: admin,
      method: "PATCH",
      body: { name: "Renamed", description: "New words", defaultLocale: "zh-Hant", visibility: "public" },
    });
    expect(res.status).toBe(200);
    expect(res.body.community).toMatchObject({ slug: c.slug, name: "Renamed", description: "New words", defaultLocale: "zh-Hant", visibility: "public" });
    expect(await auditActions(c.id)).toContain("community.update");
    const [entry] = await db()
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.communityId, c.id), eq(schema.auditLog.action, "community.update")));
    expect(entry.actorId).toBe(admin.id);
    expect(entry.data).toMatchObject({ changes: { name: { from: `Club ${c.slug}`, to: "Renamed" } } });
  });

  it("refuses to change the slug and keeps it as it was", async () => {
    const c = await makeCommunity();
    const res = await call(`/api/v1/communities/${c.slug}`, { as: c.owner, method: "PATCH", body: { slug: "new-slug", name: "Still" } });
    expectError(res, 400, "validation_failed");
    const after = await call(`/api/v1/communities/${c.slug}`, { as: c.owner });
    expect(after.body.community).toMatchObject({ slug: c.slug, name: `Club ${c.slug}` });
    expectError(await call("/api/v1/communities/new-slug", { as: c.owner }), 404, "not_found");
  });

  it("refuses wrong types and malformed JSON", async () => {
    const c = await makeCommunity();
    const patch = (body: unknown) => call(`/api/v1/communities/${c.slug}`, { as: c.owner, method: "PATCH", body });
    expectError(await patch({ name: 7 }), 400, "validation_failed");
    expectError(await patch({ name: "" }), 400, "validation_failed");
    expectError(await patch({ visibility: "hidden" }), 400, "validation_failed");
    expectError(await patch("{not json"), 400, "validation_failed");
  });

  it("answers 401 signed out, 404 to outsiders of a private community and 403 to a moderator", async () => {
    const c = await makeCommunity();
    const patch = (as: Awaited<ReturnType<typeof createUser>> | null) =>
      call(`/api/v1/communities/${c.slug}`, { as, method: "PATCH", body: { name: "Nope" } });
    expectError(await patch(null), 401, "unauthenticated");
    expectError(await patch(await createUser()), 404, "not_found");
    expectError(await patch(await addMember(c, { role: "moderator" })), 403, "forbidden");
  });
});

describe("deleting a community", () => {
  it("lets only the owner delete; afterwards the community answers 404 and the slug stays taken", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const admin = await addMember(c, { role: "admin" });
    const del = (as: Awaited<ReturnType<typeof createUser>> | null) => call(`/api/v1/communities/${c.slug}`, { as, method: "DELETE" });
    expectError(await del(null), 401, "unauthenticated");
    expectError(await del(admin), 403, "forbidden");
    expect((await del(c.owner)).status).toBe(204);
    expectError(await call(`/api/v1/communities/${c.slug}`), 404, "not_found");
    expect(await auditActions(c.id)).toContain("community.delete");
    expectError(await create(await createUser(), { slug: c.slug, name: "Squatter", visibility: "public" }), 409, "conflict");
    const listed = await call("/api/v1/communities?limit=100");
    expect(listed.body.items.map((x: { slug: string }) => x.slug)).not.toContain(c.slug);
  });

  it("answers 404 to an outsider of a private community", async () => {
    const c = await makeCommunity();
    expectError(await call(`/api/v1/communities/${c.slug}`, { as: await createUser(), method: "DELETE" }), 404, "not_found");
  });
});

describe("transferring ownership", () => {
  it("makes an active member the owner and the old owner an admin, in one audited change", async () => {
    const c = await makeCommunity();
    const heir = await addMember(c);
    const res = await call(`/api/v1/communities/${c.slug}/transfer`, { as: c.owner, body: { userId: heir.id } });
    expect(res.status).toBe(200);
    expect(res.body.community.ownerId).toBe(heir.id);
    expect((await membershipRow(c.id, heir.id)).role).toBe("owner");
    expect((await membershipRow(c.id, c.owner.id)).role).toBe("admin");
    expect(await auditActions(c.id)).toContain("community.transfer");
    // the former owner may now leave; the new one may not
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { as: c.owner, method: "POST" })).status).toBe(204);
    expectError(await call(`/api/v1/communities/${c.slug}/leave`, { as: heir, method: "POST" }), 409, "conflict");
  });

  it("refuses a target who is not an active member", async () => {
    const c = await makeCommunity();
    const stranger = await createUser();
    const gone = await addMember(c, { status: "left" });
    for (const userId of [stranger.id, gone.id]) {
      expectError(await call(`/api/v1/communities/${c.slug}/transfer`, { as: c.owner, body: { userId } }), 404, "not_found");
    }
    expect((await membershipRow(c.id, c.owner.id)).role).toBe("owner");
  });

  it("is for the owner only, and validates the body", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const transfer = (as: Awaited<ReturnType<typeof createUser>> | null, body: unknown) =>
      call(`/api/v1/communities/${c.slug}/transfer`, { as, body, method: "POST" });
    expectError(await transfer(admin, { userId: admin.id }), 403, "forbidden");
    expectError(await transfer(null, { userId: admin.id }), 401, "unauthenticated");
    expectError(await transfer(await createUser(), { userId: admin.id }), 404, "not_found");
    expectError(await transfer(c.owner, {}), 400, "validation_failed");
    expectError(await transfer(c.owner, { userId: 5 }), 400, "validation_failed");
    expectError(await transfer(c.owner, "{"), 400, "validation_failed");
  });
});

describe("tiers", () => {
  it("hides a private community's tiers from outsiders", async () => {
    const c = await makeCommunity();
    expectError(await call(`/api/v1/communities/${c.slug}/tiers`), 404, "not_found");
    expectError(await call(`/api/v1/communities/${c.slug}/tiers`, { as: await createUser() }), 404, "not_found");
  });

  it("lets the owner rename a tier, set a trial and upsert prices per interval in the community's currency (any case in, upper-case out), not sold until published", async () => {
    const c = await makeCommunity();
    const res = await call(`/api/v1/communities/${c.slug}/tiers/vip`, {
      as: c.owner,
      method: "PATCH",
      body: { name: "Patron", description: "Front row", trialDays: 14, prices: [{ interval: "month", amount: 2000, currency: "usd" }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.tier).toEqual({
      key: "vip",
      rank: 2,
      name: "Patron",
      description: "Front row",
      trialDays: 14,
      prices: [
        { interval: "month", amount: 2000, currency: "USD", published: false },
        { interval: "year", amount: 15000, currency: "USD", published: false },
      ],
    });
    expect(await auditActions(c.id)).toContain("tier.update");
  });

  it("refuses a price in another currency than the community's, or one its currency cannot charge, saving nothing", async () => {
    const c = await makeCommunity();
    const patch = (prices: unknown) => call(`/api/v1/communities/${c.slug}/tiers/member`, { as: c.owner, method: "PATCH", body: { name: "Changed", prices } });
    const other = await patch([{ interval: "month", amount: 2000, currency: "TWD" }]);
    expectError(other, 400, "validation_failed");
    expect(other.body.error.issues).toEqual([expect.objectContaining({ path: "prices.0.currency", code: "currency_mismatch", message: expect.stringContaining("USD") })]);
    const tooSmall = await patch([{ interval: "month", amount: 10, currency: "USD" }]);
    expectError(tooSmall, 400, "validation_failed");
    expect(tooSmall.body.error.issues).toEqual([expect.objectContaining({ path: "prices.0.amount", code: "amount_invalid" })]);
    const tiers = await call(`/api/v1/communities/${c.slug}/tiers`, { as: c.owner });
    const member = tiers.body.items.find((t: { key: string }) => t.key === "member");
    expect(member.name).not.toBe("Changed");
    expect(member.prices.map((p: { currency: string }) => p.currency)).toEqual(["USD", "USD"]);
  });

  it("forgets the Stripe price id when the amount changes, since Stripe prices are immutable", async () => {
    const c = await makeCommunity();
    const priceRow = () =>
      db()
        .select()
        .from(schema.prices)
        // the active row: a replaced price stays as an archived row (ADR 037)
        .where(and(eq(schema.prices.communityId, c.id), eq(schema.prices.tierKey, "member"), eq(schema.prices.interval, "year"), eq(schema.prices.active, true)))
        .then((rows) => rows[0]);
    await db().update(schema.prices).set({ stripePriceId: "price_123" }).where(eq(schema.prices.id, (await priceRow()).id));
    const patch = (amount: number) =>
      call(`/api/v1/communities/${c.slug}/tiers/member`, {
        as: c.owner,
        method: "PATCH",
        body: { prices: [{ interval: "year", amount, currency: "USD" }] },
      });
    expect((await patch(5000)).status).toBe(200);
    expect((await priceRow()).stripePriceId).toBe("price_123");
    expect((await patch(6000)).status).toBe(200);
    expect(await priceRow()).toMatchObject({ amount: 6000, stripePriceId: null });
  });

  it("refuses bad prices, trials and fields with 400", async () => {
    const c = await makeCommunity();
    const patch = (key: string, body: unknown) => call(`/api/v1/communities/${c.slug}/tiers/${key}`, { as: c.owner, method: "PATCH", body });
    const bad = [
      { trialDays: 731 },
      { trialDays: -1 },
      { trialDays: "7" },
      { prices: [{ interval: "month", amount: -1, currency: "USD" }] },
      { prices: [{ interval: "month", amount: 1.5, currency: "USD" }] },
      { prices: [{ interval: "month", amount: 100_000_001, currency: "USD" }] },
      { prices: [{ interval: "week", amount: 100, currency: "USD" }] },
      { prices: [{ interval: "month", amount: 100, currency: "US" }] },
      { prices: [{ interval: "month", amount: 100, currency: "USD" }, { interval: "month", amount: 200, currency: "USD" }] },
    ];
    for (const body of bad) expectError(await patch("member", body), 400, "validation_failed");
    expectError(await patch("free", { prices: [{ interval: "month", amount: 100, currency: "USD" }] }), 400, "validation_failed");
    expectError(await patch("member", "{oops"), 400, "validation_failed");
  });

  it("answers 404 for an unknown tier key", async () => {
    const c = await makeCommunity();
    expectError(await call(`/api/v1/communities/${c.slug}/tiers/gold`, { as: c.owner, method: "PATCH", body: { name: "Gold" } }), 404, "not_found");
  });

  it("is for the owner only: 401 signed out, 404 outsider, 403 admin", async () => {
    const c = await makeCommunity();
    const patch = (as: Awaited<ReturnType<typeof createUser>> | null) =>
      call(`/api/v1/communities/${c.slug}/tiers/member`, { as, method: "PATCH", body: { name: "X" } });
    expectError(await patch(null), 401, "unauthenticated");
    expectError(await patch(await createUser()), 404, "not_found");
    expectError(await patch(await addMember(c, { role: "admin" })), 403, "forbidden");
  });
});

describe("the audit log", () => {
  it("shows admins who did what, newest first, paged", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    await call(`/api/v1/communities/${c.slug}`, { as: admin, method: "PATCH", body: { name: "One" } });
    await call(`/api/v1/communities/${c.slug}`, { as: admin, method: "PATCH", body: { name: "Two" } });
    const first = await call(`/api/v1/communities/${c.slug}/audit-log?limit=2`, { as: admin });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toEqual({
      id: expect.any(String),
      action: "community.update",
      actor: { id: admin.id, name: admin.name },
      targetType: "community",
      targetId: c.id,
      data: { changes: { name: { from: "One", to: "Two" } } },
      at: expect.any(String),
    });
    const second = await call(`/api/v1/communities/${c.slug}/audit-log?limit=2&cursor=${first.body.nextCursor}`, { as: admin });
    expect(second.body.items.map((e: { action: string }) => e.action)).toEqual(["community.create"]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("answers 401 signed out, 404 outsider, 403 moderator, 400 bad limit", async () => {
    const c = await makeCommunity();
    const get = (as: Awaited<ReturnType<typeof createUser>> | null, q = "") => call(`/api/v1/communities/${c.slug}/audit-log${q}`, { as });
    expectError(await get(null), 401, "unauthenticated");
    expectError(await get(await createUser()), 404, "not_found");
    expectError(await get(await addMember(c, { role: "moderator" })), 403, "forbidden");
    expectError(await get(c.owner, "?limit=101"), 400, "validation_failed");
  });
});

describe("the OpenAPI document", () => {
  it("documents the community routes with their schemas", async () => {
    const doc = await call("/api/v1/openapi.json");
    for (const path of ["/api/v1/communities", "/api/v1/communities/{slug}", "/api/v1/communities/{slug}/tiers/{key}", "/api/v1/invites/{code}/accept"]) {
      expect(doc.body.paths).toHaveProperty([path]);
    }
    expect(doc.body.components.schemas).toHaveProperty("Community");
    expect(doc.body.components.schemas).toHaveProperty("Membership");
  });
});
