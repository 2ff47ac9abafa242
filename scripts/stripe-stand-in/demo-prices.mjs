// The demo community's prices (seeded in D1 by scripts/seed.mjs without Stripe ids) made in the
// Stripe stand-in and their ids written back, so Upgrade works offline on a fresh clone. Prices the
// stand-in already has are left alone; ones it lost (its state file deleted) are made again.
// Runs from `npm start` once the stand-in listens; the Products and Prices carry the same metadata
// and lookup keys as the ones the owner's settings page publishes (workers/billing/catalog.ts).
import Stripe from "stripe";
import { localD1, quote } from "../lib/local-d1.mjs";

/** The seeded demo community (scripts/seed.mjs `community.id`). */
export const DEMO_COMMUNITY = "com_demo_creator_lab";

/**
 * Makes the demo's active paid prices exist in the Stripe at `apiBase` and records their ids in D1.
 * @param {{apiBase: string, secretKey: string, persistTo?: string}} opts
 * @returns {Promise<string[]>} the Stripe price ids the demo sells now
 */
export async function syncDemoPrices({ apiBase, secretKey, persistTo }) {
  const url = new URL(apiBase);
  const stripe = new Stripe(secretKey, { host: url.hostname, port: Number(url.port), protocol: url.protocol === "https:" ? "https" : "http" });
  const [{ results }] = localD1(
    "DB",
    [
      "--command",
      `select p.id, p.tier_key as tier, p.interval, p.amount, p.currency, p.stripe_price_id as price, t.name, t.stripe_product_id as product
       from prices p join tiers t on t.community_id = p.community_id and t.key = p.tier_key
       where p.community_id = ${quote(DEMO_COMMUNITY)} and p.active = 1 and p.tier_key <> 'free'`,
    ],
    { persistTo },
  );
  const known = async (/** @type {() => Promise<unknown>} */ retrieve) =>
    retrieve().then(
      () => true,
      (err) => {
        if (err?.statusCode === 404) return false;
        throw err;
      },
    );
  /** @type {Map<string, string>} */
  const products = new Map();
  const updates = [];
  const selling = [];
  for (const r of results) {
    if (r.price && (await known(() => stripe.prices.retrieve(r.price)))) {
      selling.push(r.price);
      continue;
    }
    let product = products.get(r.tier) ?? r.product;
    if (!product || !(await known(() => stripe.products.retrieve(product)))) {
      product = (await stripe.products.create({ name: r.name, metadata: { enclave_community: DEMO_COMMUNITY, enclave_tier: r.tier } })).id;
      updates.push(`update tiers set stripe_product_id = ${quote(product)} where community_id = ${quote(DEMO_COMMUNITY)} and key = ${quote(r.tier)}`);
    }
    products.set(r.tier, product);
    const price = await stripe.prices.create({
      product,
      unit_amount: r.amount,
      currency: r.currency.toLowerCase(),
      recurring: { interval: r.interval },
      lookup_key: `enclave:${DEMO_COMMUNITY}:${r.tier}:${r.interval}`,
      transfer_lookup_key: true,
      metadata: { enclave_community: DEMO_COMMUNITY, enclave_tier: r.tier, enclave_interval: r.interval },
    });
    updates.push(`update prices set stripe_price_id = ${quote(price.id)}, currency = ${quote(price.currency)} where id = ${quote(r.id)}`);
    selling.push(price.id);
  }
  if (updates.length > 0) localD1("DB", ["--command", updates.join(";\n")], { persistTo });
  return selling;
}
