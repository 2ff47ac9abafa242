// Migration 0012 (ADR 041): Customers stored one per user before it move to one per user and
// community — kept for each community they already have subscriptions in, kept unattached when they
// have none. Runs the real migration statements over the old table shape (0010's own DDL); this
// file's D1 storage is its own, so rebuilding the table here touches no other test.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { addMember, db, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { checkoutAsStored, publishPrices } from "../billing-fixtures";

const migration = (name: string) => {
  const found = env.TEST_MIGRATIONS.find((m) => m.name.startsWith(name));
  if (!found) throw new Error(`no migration ${name}`);
  return found.queries;
};

async function run(queries: string[]) {
  for (const query of queries) await env.DB.prepare(query).run();
}

async function storedSubscription(id: string, community: TestCommunity, user: TestUser, customer: string, status: "active" | "canceled") {
  const now = new Date();
  await db().insert(schema.subscriptions).values({
    id, communityId: community.id, userId: user.id, tierKey: "vip", stripePriceId: "price_x", stripeCustomerId: customer,
    interval: "month", currency: "twd", status, createdAt: now, updatedAt: now,
  });
}

describe("migration 0012: one Customer per user and community", () => {
  it("keeps an old Customer for every community it has subscriptions in, and one with none unattached", async () => {
    const a = await makeCommunity();
    const b = await makeCommunity();
    const shared = await createUser(); // bought in A (since cancelled) and B under one Customer
    const abandoned = await createUser(); // a Customer, no subscription anywhere
    const single = await createUser(); // bought in A only
    for (const user of [shared, single]) await addMember(a, { user });
    await addMember(b, { user: shared });

    // back to the table as 0010 made it
    await env.DB.prepare("DROP TABLE billing_customers").run();
    await run(migration("0010_").filter((q) => q.includes("billing_customers")));
    const old = env.DB.prepare("INSERT INTO billing_customers (user_id, stripe_customer_id) VALUES (?, ?)");
    await env.DB.batch([old.bind(shared.id, "cus_shared"), old.bind(abandoned.id, "cus_abandoned"), old.bind(single.id, "cus_single")]);
    await storedSubscription("sub_shared_a", a, shared, "cus_shared", "canceled");
    await storedSubscription("sub_shared_b", b, shared, "cus_shared", "active");
    await storedSubscription("sub_single_a", a, single, "cus_single", "active");

    await run(migration("0012_"));

    const rows = await db().select().from(schema.billingCustomers);
    const pairs = rows.map((r) => [r.userId, r.communityId, r.stripeCustomerId].join(" ")).sort();
    expect(pairs).toEqual(
      [
        [shared.id, a.id, "cus_shared"],
        [shared.id, b.id, "cus_shared"],
        [abandoned.id, "", "cus_abandoned"],
        [single.id, a.id, "cus_single"],
      ]
        .map((p) => p.join(" "))
        .sort(),
    );

    // the member who bought in A alone gets a Customer of their own in a new community
    await publishPrices(b, { vip: { month: 30000 } });
    await addMember(b, { user: single });
    const started = await call(`/api/v1/communities/${b.slug}/checkout`, { as: single, body: { tier: "vip", interval: "month" } });
    expect(started.status).toBe(200);
    const { session } = await checkoutAsStored(started.body.url.split("/checkout/")[1]);
    expect(session.customer).toMatch(/^cus_/);
    expect(session.customer).not.toBe("cus_single");
    const mine = await db().select().from(schema.billingCustomers).where(eq(schema.billingCustomers.userId, single.id));
    expect(mine.map((r) => r.communityId).sort()).toEqual([a.id, b.id].sort());
  });
});
