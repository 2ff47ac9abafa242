// One Stripe Customer per user and community (ADR 041, issue 14 finding 2): Stripe refuses a second
// currency on one Customer, and a portal session lists every subscription of its Customer — so a
// member of two communities gets two Customers, each naming its community, and the portal opened
// from one community shows and cancels only what was bought there. Data rights cover them all.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { billingData } from "../../workers/billing/data-rights";
import { addMember, db, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { checkoutAsStored, deliverAll, payAt, publishPrices, stripe } from "../billing-fixtures";
import { call, createUser, PASSWORD, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const customerRows = (userId: string) => db().select().from(schema.billingCustomers).where(eq(schema.billingCustomers.userId, userId));

/** Checkout of VIP monthly in `c` as `who`, paid on the test page: the session's Customer and the subscription's id. */
async function buyVip(c: TestCommunity, who: TestUser) {
  const started = await call(`/api/v1/communities/${c.slug}/checkout`, { as: who, body: { tier: "vip", interval: "month" } });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const location = await payAt(started.body.url);
  expect(location).toContain("/billing/success?session_id=");
  const { session } = await checkoutAsStored(new URL(location!).searchParams.get("session_id")!);
  return { customer: session.customer as string, subscriptionId: session.subscription as string };
}

/** A member of two communities priced in EUR and TWD who bought VIP in both. */
async function payingInTwoCurrencies() {
  const euros = await makeCommunity();
  const dollars = await makeCommunity();
  await publishPrices(euros, { vip: { month: 1499 } }, {}, "eur");
  await publishPrices(dollars, { vip: { month: 30000 } }, {}, "twd");
  const member = await createUser();
  await addMember(euros, { user: member });
  await addMember(dollars, { user: member });
  const inEuros = await buyVip(euros, member);
  const inDollars = await buyVip(dollars, member);
  return { euros, dollars, member, inEuros, inDollars };
}

describe("one Stripe Customer per user and community", () => {
  it("gives a member of two communities in two currencies two Customers, each naming its community, and both purchases go through", async () => {
    const { euros, dollars, member, inEuros, inDollars } = await payingInTwoCurrencies();
    expect(inEuros.customer).not.toBe(inDollars.customer);
    const rows = await customerRows(member.id);
    expect(rows.map((r) => [r.communityId, r.stripeCustomerId]).sort()).toEqual(
      [
        [euros.id, inEuros.customer],
        [dollars.id, inDollars.customer],
      ].sort(),
    );
    const customer = await stripe.customers.retrieve(inEuros.customer);
    expect(customer).toMatchObject({
      email: member.email,
      name: member.name,
      description: `Club ${euros.slug}`,
      metadata: { enclave_user: member.id, enclave_community: euros.id, enclave_community_name: `Club ${euros.slug}` },
    });
    expect((await stripe.subscriptions.retrieve(inEuros.subscriptionId)).currency).toBe("eur");
    expect((await stripe.subscriptions.retrieve(inDollars.subscriptionId)).currency).toBe("twd");
  });

  it("is what Stripe needs: one Customer with a live EUR subscription cannot be used for a TWD checkout", async () => {
    // the stand-in refuses as Stripe does; a shared Customer (before ADR 041) failed here
    const { euros, inEuros } = await payingInTwoCurrencies();
    const [twdPrice] = await db().select().from(schema.prices).where(and(eq(schema.prices.currency, "twd"), eq(schema.prices.active, true))).limit(1);
    const refused = await stripe.checkout.sessions
      .create({ mode: "subscription", customer: inEuros.customer, line_items: [{ price: twdPrice.stripePriceId!, quantity: 1 }], success_url: `http://localhost/c/${euros.slug}` })
      .catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/cannot combine currencies on a single customer/);
  });

  it("opens the portal of the community it is asked from: it lists and cancels only that community's subscription", async () => {
    const { euros, dollars, member, inEuros, inDollars } = await payingInTwoCurrencies();
    const portal = await call(`/api/v1/communities/${dollars.slug}/billing/portal`, { method: "POST", as: member });
    expect(portal.status).toBe(200);
    const page = await (await fetch(portal.body.url)).text();
    expect(page).toContain(`data-subscription="${inDollars.subscriptionId}"`);
    expect(page).not.toContain(inEuros.subscriptionId);
    const fromEuros = await (await fetch((await call(`/api/v1/communities/${euros.slug}/billing/portal`, { method: "POST", as: member })).body.url)).text();
    expect(fromEuros).toContain(`data-subscription="${inEuros.subscriptionId}"`);
    expect(fromEuros).not.toContain(inDollars.subscriptionId);
  });

  it("answers the portal 404 in a community where the member never checked out, though they have a Customer elsewhere", async () => {
    const { member } = await payingInTwoCurrencies();
    const third = await makeCommunity();
    await addMember(third, { user: member });
    expectError(await call(`/api/v1/communities/${third.slug}/billing/portal`, { method: "POST", as: member }), 404, "not_found");
  });

  it("exports every Customer of the user and, on erasure, cancels under each and drops them all", async () => {
    const { euros, dollars, member, inEuros, inDollars } = await payingInTwoCurrencies();
    await deliverAll(inEuros.subscriptionId);
    await deliverAll(inDollars.subscriptionId);
    const [userRow] = await db().select().from(schema.users).where(eq(schema.users.id, member.id));
    const section = billingData.export!.find((x) => x.name === "billing")!;
    const archived = section.shape === "object" ? ((await section.build({ env, user: userRow })) as { stripeCustomers: unknown[] }) : null;
    expect(archived!.stripeCustomers).toEqual(
      expect.arrayContaining([
        { stripeCustomerId: inEuros.customer, communityId: euros.id },
        { stripeCustomerId: inDollars.customer, communityId: dollars.id },
      ]),
    );
    expect(archived!.stripeCustomers).toHaveLength(2);
    expect((await call("/api/v1/me", { as: member, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    expect((await stripe.subscriptions.retrieve(inEuros.subscriptionId)).status).toBe("canceled");
    expect((await stripe.subscriptions.retrieve(inDollars.subscriptionId)).status).toBe("canceled");
    expect(await customerRows(member.id)).toEqual([]);
  });
});
