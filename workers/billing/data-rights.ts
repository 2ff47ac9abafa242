// What billing registers in the data-rights contract (ADR 019, ADR 037). Exported: the member's
// Stripe Customers (one per community since ADR 041) and subscriptions. Erasure: the subscription
// rows are anonymised in the batch (revenue history keeps amounts, not people); the purge then
// cancels at once in Stripe whatever still renews under each of the user's Customers — found
// through the customer ids, which is why billing_customers outlives the batch — and drops the
// customer ids from the rows and billing_customers once Stripe agreed.
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import { nulled, purged, type PersonalData } from "../domain/data-rights/types";
import { cancelCustomerNow } from "./settle-cancellations";

const s = schema.subscriptions;
const bc = schema.billingCustomers;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const billingData: PersonalData = {
  name: "billing",
  columns: {
    "subscriptions.user_id": nulled,
    "billing_customers.user_id": purged,
  },
  export: [
    {
      name: "billing",
      shape: "object",
      build: async ({ env, user }) => {
        const db = getDb(env);
        const customers = await db.select({ stripeCustomerId: bc.stripeCustomerId, communityId: bc.communityId }).from(bc).where(eq(bc.userId, user.id)).orderBy(bc.createdAt);
        const rows = await db.select().from(s).where(eq(s.userId, user.id)).orderBy(s.createdAt);
        return {
          // one per community paid in (communityId null: made before ADR 041 and never used for a subscription)
          stripeCustomers: customers,
          subscriptions: rows.map((r) => ({
            id: r.id,
            communityId: r.communityId,
            tier: r.tierKey,
            status: r.status,
            interval: r.interval,
            currency: r.currency,
            mrr: r.mrr,
            currentPeriodEnd: iso(r.currentPeriodEnd),
            cancelAtPeriodEnd: r.cancelAtPeriodEnd,
            trialEnd: iso(r.trialEnd),
            canceledAt: iso(r.canceledAt),
            endedAt: iso(r.endedAt),
            createdAt: iso(r.createdAt),
          })),
        };
      },
    },
  ],
  erase: ({ env, user }) => [getDb(env).update(s).set({ userId: null }).where(eq(s.userId, user.id))],
  purge: {
    name: "billing",
    run: async (env, userId) => {
      const db = getDb(env);
      const rows = await db.select({ id: bc.stripeCustomerId }).from(bc).where(eq(bc.userId, userId));
      // a Customer made before ADR 041 may stand for several communities: cancel under it once
      const customers = [...new Set(rows.map((r) => r.id))];
      if (customers.length === 0) return null;
      for (const customer of customers) await cancelCustomerNow(env, customer);
      // one statement per Customer: D1 binds at most 100 parameters per statement
      await db.batch([
        db.delete(bc).where(eq(bc.userId, userId)),
        ...customers.map((customer) => db.update(s).set({ stripeCustomerId: null }).where(and(eq(s.stripeCustomerId, customer), isNull(s.userId)))),
      ]);
      return null;
    },
  },
};
