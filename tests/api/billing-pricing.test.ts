// The public pricing page (API.md "Billing", ADR 037): 404 until the owner publishes it, then open
// to anyone — even for a private community — with name, description, tiers and prices, never content.
import { describe, expect, it } from "vitest";
import { addMember, expectError, makeCommunity } from "../community-fixtures";
import { publishPrices } from "../billing-fixtures";
import { call } from "../helpers";

const publish = (c: Awaited<ReturnType<typeof makeCommunity>>, published: boolean, as = c.owner) =>
  call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as, body: { published } });

describe("pricing page", () => {
  it("is 404 until published, for a made-up slug alike", async () => {
    const c = await makeCommunity({ visibility: "public" });
    expectError(await call(`/api/v1/communities/${c.slug}/pricing`), 404, "not_found");
    expectError(await call(`/api/v1/communities/no-such-club/pricing`), 404, "not_found");
  });

  it("once published, shows a private community's name, description, tiers and prices to a signed-out visitor", async () => {
    const c = await makeCommunity({ visibility: "private" });
    await publishPrices(c, { member: { month: 15_000 }, vip: { month: 30_000, year: 300_000, trialDays: 7 } });
    expect((await publish(c, true)).body).toEqual({ published: true });
    const res = await call(`/api/v1/communities/${c.slug}/pricing`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      community: { name: `Club ${c.slug}`, description: "", slug: c.slug },
      currency: "twd",
      tiers: [
        { key: "free", name: expect.any(String), description: expect.any(String), trialDays: 0, prices: { month: null, year: null } },
        { key: "member", name: expect.any(String), description: expect.any(String), trialDays: 0, prices: { month: { amount: 15_000, currency: "twd" }, year: null } },
        { key: "vip", name: expect.any(String), description: expect.any(String), trialDays: 7, prices: { month: { amount: 30_000, currency: "twd" }, year: { amount: 300_000, currency: "twd" } } },
      ],
      // a visitor may buy (and sign up first), with the tier's trial
      checkoutRefusal: null,
      trialEligible: true,
    });
    // the community itself stays closed to the visitor
    expectError(await call(`/api/v1/communities/${c.slug}`), 404, "not_found");
  });

  it("only the owner publishes or withdraws it; withdrawn is 404 again", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const admin = await addMember(c, { role: "admin" });
    const member = await addMember(c);
    expectError(await publish(c, true, admin), 403, "forbidden");
    expectError(await publish(c, true, member), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", body: { published: true } }), 401, "unauthenticated");
    expectError(await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: "yes" } }), 400, "validation_failed");
    await publish(c, true);
    expect((await call(`/api/v1/communities/${c.slug}/pricing`)).status).toBe(200);
    await publish(c, false);
    expectError(await call(`/api/v1/communities/${c.slug}/pricing`), 404, "not_found");
  });

  it("shows the publish state in the owner's billing settings", async () => {
    const c = await makeCommunity();
    await publish(c, true);
    expect((await call(`/api/v1/communities/${c.slug}/billing`, { as: c.owner })).body.settings.pricingPublished).toBe(true);
  });
});
