// The stand-in's Stripe account: objects by kind, the events it sent and the idempotent answers it
// gave, kept in one JSON file so `npm start` survives restarts and a test run gets a fresh temp file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";

/** Object kinds and the id prefix Stripe gives each (the prefix lets `expand[]` find any id). */
export const KINDS = {
  product: "prod",
  price: "price",
  customer: "cus",
  "checkout.session": "cs_test",
  "billing_portal.session": "bps",
  "billing_portal.configuration": "bpc",
  subscription: "sub",
  subscription_item: "si",
  invoice: "in",
  invoice_payment: "inpay",
  payment_intent: "pi",
  charge: "ch",
  refund: "re",
  coupon: "coup",
  promotion_code: "promo",
  discount: "di",
  event: "evt",
};

/**
 * @typedef {{
 *   objects: Record<string, Record<string, any>>,
 *   events: Array<{id: string, type: string, customer: string | null, subscription: string | null,
 *     payload: string, deliveries: Array<{at: number, url?: string, status: number | null, error?: string, nextRetryAt?: number | null}>}>,
 *   idempotency: Record<string, {request: string, status: number, body: string}>,
 *   checkoutParams: Record<string, any>,
 * }} StandInState
 */

/** A Stripe-looking id: prefix + 24 random base62-ish characters. */
export function newId(/** @type {keyof typeof KINDS} */ kind) {
  return `${KINDS[kind]}_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 24)}`;
}

/** Unix seconds, as every Stripe timestamp. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Opens (or creates) the state file. `save()` writes it atomically (temp file + rename).
 * @param {string} file path of the JSON file; its folder is created
 */
export function openState(file) {
  /** @type {StandInState} */
  let state = { objects: {}, events: [], idempotency: {}, checkoutParams: {} };
  if (existsSync(file)) {
    try {
      state = { ...state, ...JSON.parse(readFileSync(file, "utf8")) };
    } catch {
      // an unreadable file (interrupted write from an older run) starts a fresh account
    }
  }
  for (const kind of Object.keys(KINDS)) state.objects[kind] ??= {};
  seedPromotionCodes(state);
  const save = () => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  };
  save();
  return { state, save };
}

/** WELCOME10: 10 % off forever, so the promotion-code path of checkout can be seen offline. */
function seedPromotionCodes(/** @type {StandInState} */ state) {
  const coupons = state.objects.coupon;
  if (Object.values(state.objects.promotion_code).some((p) => p.code === "WELCOME10")) return;
  const coupon = {
    id: "WELCOME10",
    object: "coupon",
    amount_off: null,
    created: nowSeconds(),
    currency: null,
    duration: "forever",
    livemode: false,
    max_redemptions: null,
    metadata: {},
    name: "Welcome 10 % off",
    percent_off: 10,
    redeem_by: null,
    times_redeemed: 0,
    valid: true,
  };
  coupons[coupon.id] = coupon;
  const promo = {
    id: newId("promotion_code"),
    object: "promotion_code",
    active: true,
    code: "WELCOME10",
    created: nowSeconds(),
    customer: null,
    customer_account: null,
    expires_at: null,
    livemode: false,
    max_redemptions: null,
    metadata: {},
    promotion: { coupon: coupon.id, type: "coupon" },
    restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null },
    times_redeemed: 0,
  };
  state.objects.promotion_code[promo.id] = promo;
}
