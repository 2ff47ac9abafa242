// What billing registers in the data-rights contract (ADR 019, ADR 037). Exported: the member's
// Stripe customer id and subscriptions. Erasure: the subscription rows are anonymised in the
// batch (revenue history keeps amounts, not people); the purge then cancels at once in Stripe
// whatever still renews — found through the customer id, which is why billing_customers outlives
// the batch — and drops the customer id from the rows and billing_customers once Stripe agreed.
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
        const [customer] = await db.select({ id: bc.stripeCustomerId }).from(bc).where(eq(bc.userId, user.id));
        const rows = await db.select().from(s).where(eq(s.userId, user.id)).orderBy(s.createdAt);
        return {
          stripeCustomerId: customer?.id ?? null,
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
      const [customer] = await db.select({ id: bc.stripeCustomerId }).from(bc).where(eq(bc.userId, userId));
      if (!customer) return null;
      await cancelCustomerNow(env, customer.id);
      await db.batch([
        db.update(s).set({ stripeCustomerId: null }).where(and(eq(s.stripeCustomerId, customer.id), isNull(s.userId))),
        db.delete(bc).where(eq(bc.userId, userId)),
      ]);
      return null;
    },
  },
};
