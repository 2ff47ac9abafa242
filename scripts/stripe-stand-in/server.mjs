// The Stripe stand-in (ADR 037): a Node http server on 127.0.0.1 that answers the few Stripe API
// calls Enclave makes, in the installed `stripe` package's request and response shapes, serves a
// plainly labelled test checkout page and test portal page, and sends signed webhooks to the app.
// The tests' globalSetup and `npm start` (DEV_MODE without a real key) both run it.
// A delivery the app does not answer with a 2xx (down, restarting, a 5xx) is retried with backoff
// as Stripe retries (RETRY_DELAYS_MS: four more tries over about two minutes here, where Stripe
// keeps trying for up to three days in live mode); retries live in memory, so a stand-in
// restarted meanwhile does not resume them (POST /_stand-in/events/:id/redeliver sends one by hand).
import { createHash, createHmac } from "node:crypto";
import { createServer } from "node:http";
import { billingOn } from "./billing.mjs";
import { decodeForm } from "./form.mjs";
import { KINDS, newId, nowSeconds, openState } from "./state.mjs";

/** The API version of the installed `stripe` package (node_modules/stripe/esm/apiVersion.js). */
const API_VERSION = "2026-10-28.endive";

/** A Stripe API error (its envelope: `{error: {type, code, param, message}}`). */
class StripeError extends Error {
  /** @param {number} status @param {string} type @param {string | null} code @param {string} message @param {string | null} [param] */
  constructor(status, type, code, message, param = null) {
    super(message);
    this.status = status;
    this.body = { error: { type, code, param, message, doc_url: code ? `https://docs.stripe.com/error-codes/${code.replace(/_/g, "-")}` : undefined } };
  }
}
const missing = (/** @type {string} */ kind, /** @type {string} */ id, param = "id") =>
  new StripeError(404, "invalid_request_error", "resource_missing", `No such ${kind}: '${id}'`, param);
const required = (/** @type {string} */ param) => new StripeError(400, "invalid_request_error", "parameter_missing", `Missing required param: ${param}.`, param);
const invalid = (/** @type {string} */ param, /** @type {string} */ message) => new StripeError(400, "invalid_request_error", "parameter_invalid", message, param);

/**
 * The waits (ms) before each automatic retry of a failed webhook delivery: 5 s, 15 s, 30 s, 60 s
 * after the previous try — about two minutes in all, enough to restart a local app. Stripe's own
 * schedule is an exponential backoff over up to three days in live mode, a few hours in a sandbox
 * (https://docs.stripe.com/webhooks#retries); the app must cope with either (it is idempotent).
 */
export const RETRY_DELAYS_MS = [5_000, 15_000, 30_000, 60_000];

/**
 * Signs a webhook payload the way Stripe does: `t=<unix s>,v1=<hex HMAC-SHA256(secret, "t.payload")>`.
 * (https://docs.stripe.com/webhooks#verify-manually)
 * @param {string} payload the exact JSON body sent
 * @param {string} secret the endpoint's whsec_… secret
 */
export function signPayload(payload, secret, timestamp = nowSeconds()) {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

/**
 * Starts the stand-in.
 * @param {{port?: number, stateFile: string, webhookUrl?: string, webhookSecret: string, host?: string, retryDelaysMs?: number[]}} opts
 *   port 0 picks a free one; webhookUrl empty records events without sending them (workerd tests
 *   read them from `GET /_stand-in/events` and deliver them themselves); retryDelaysMs: the waits
 *   before automatic retries of a failed delivery (default RETRY_DELAYS_MS)
 * @returns {Promise<{port: number, origin: string, close: () => Promise<void>}>}
 */
export async function startStandIn(opts) {
  const host = opts.host ?? "127.0.0.1";
  const { state, save } = openState(opts.stateFile);
  const o = state.objects;
  let origin = "";
  /** Events of the current request, sent in order once it has been answered (Stripe sends asynchronously). */
  let pending = /** @type {string[]} */ ([]);

  function emit(/** @type {string} */ type, /** @type {any} */ object, /** @type {any} */ previous) {
    const data = { object: publicView(structuredClone(object)), ...(previous ? { previous_attributes: previous } : {}) };
    const event = {
      id: newId("event"),
      object: "event",
      api_version: API_VERSION,
      created: nowSeconds(),
      data,
      livemode: false,
      pending_webhooks: opts.webhookUrl ? 1 : 0,
      request: { id: null, idempotency_key: null },
      type,
    };
    const customer = typeof object.customer === "string" ? object.customer : null;
    const subscription =
      object.object === "subscription" ? object.id : object.subscription ?? object.parent?.subscription_details?.subscription ?? subscriptionOfCharge(object);
    state.events.push({ id: event.id, type, customer, subscription: subscription ?? null, payload: JSON.stringify(event, null, 2), deliveries: [] });
    pending.push(event.id);
  }
  const billing = billingOn(state, emit);

  function subscriptionOfCharge(/** @type {any} */ obj) {
    if (obj.object !== "charge") return null;
    const payment = Object.values(o.invoice_payment).find((p) => p.payment.payment_intent === obj.payment_intent);
    return payment ? o.invoice[payment.invoice]?.parent?.subscription_details?.subscription : null;
  }

  /** Sends one recorded event to the app, signed now; records the answer. */
  async function deliver(/** @type {string} */ eventId, url = opts.webhookUrl) {
    const event = state.events.find((e) => e.id === eventId);
    if (!event || !url) return null;
    const delivery = {
      at: Date.now(),
      url,
      status: /** @type {number | null} */ (null),
      error: /** @type {string | undefined} */ (undefined),
      /** when the next automatic retry is due (ms), null when none is */
      nextRetryAt: /** @type {number | null} */ (null),
    };
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": signPayload(event.payload, opts.webhookSecret), "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" },
        body: event.payload,
        signal: AbortSignal.timeout(10_000),
      });
      delivery.status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      delivery.error = String(err);
    }
    event.deliveries.push(delivery);
    save();
    return delivery;
  }

  const answered2xx = (/** @type {{status: number | null}} */ d) => d.status !== null && d.status >= 200 && d.status < 300;
  /** Retries waiting to run (cleared on close). */
  const retries = new Set();

  /**
   * Sends an event as Stripe's automatic delivery does: once now and, while the answer is not a
   * 2xx, again after each wait of `delays` (ms) — unless some delivery to `url` got a 2xx meanwhile.
   */
  async function send(/** @type {string} */ eventId, url = opts.webhookUrl, delays = opts.retryDelaysMs ?? RETRY_DELAYS_MS) {
    const delivery = await deliver(eventId, url);
    if (!delivery || answered2xx(delivery) || delays.length === 0) return delivery;
    const [wait, ...later] = delays;
    delivery.nextRetryAt = Date.now() + wait;
    save();
    const timer = setTimeout(() => {
      retries.delete(timer);
      const event = state.events.find((e) => e.id === eventId);
      if (event?.deliveries.some((d) => d.url === url && answered2xx(d))) return;
      void send(eventId, url, later).catch((err) => console.error("[stripe stand-in] retry failed", err));
    }, wait);
    // a pending retry never keeps the process (or a test run) alive
    timer.unref?.();
    retries.add(timer);
    return delivery;
  }

  /** Sends the events the last change produced, one after another (Stripe's order). */
  async function flush() {
    const ids = pending;
    pending = [];
    save();
    for (const id of ids) await send(id);
  }

  // ---- API objects ----------------------------------------------------------------------------

  /** Strips the stand-in's bookkeeping (keys starting with `_`) from an object before answering. */
  function publicView(/** @type {any} */ obj) {
    if (obj && typeof obj === "object" && !Array.isArray(obj)) for (const k of Object.keys(obj)) if (k.startsWith("_")) delete obj[k];
    return obj;
  }

  /** Finds any object by its id prefix (what `expand[]` needs). */
  function byId(/** @type {string} */ id) {
    for (const [kind, prefix] of Object.entries(KINDS)) if (id.startsWith(`${prefix}_`) && o[kind][id]) return o[kind][id];
    return o.coupon[id] ?? null;
  }

  /** Applies `expand[]` paths (`latest_invoice`, `items.data.price.product`, `discounts`) to a copy. */
  function expand(/** @type {any} */ obj, /** @type {unknown} */ paths) {
    const copy = publicView(structuredClone(obj));
    for (const path of Array.isArray(paths) ? paths : []) {
      if (typeof path !== "string") continue;
      const walk = (/** @type {any} */ node, /** @type {string[]} */ segs) => {
        if (node == null || segs.length === 0) return node;
        const [head, ...rest] = segs;
        if (Array.isArray(node)) return node.map((n) => walk(n, segs));
        if (head === "data" && node.object === "list") {
          node.data = node.data.map((/** @type {any} */ n) => walk(n, rest));
          return node;
        }
        let value = node[head];
        const grow = (/** @type {any} */ v) => (typeof v === "string" && byId(v) ? publicView(structuredClone(byId(v))) : v);
        value = Array.isArray(value) ? value.map(grow) : grow(value);
        node[head] = rest.length ? walk(value, rest) : value;
        return node;
      };
      walk(copy, path.split("."));
    }
    return copy;
  }

  const list = (/** @type {any[]} */ items, /** @type {string} */ url, /** @type {any} */ params) => {
    const limit = Math.min(Number(params.limit ?? 10), 100);
    const sorted = [...items].sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
    let start = 0;
    if (params.starting_after) start = sorted.findIndex((x) => x.id === params.starting_after) + 1;
    const page = sorted.slice(start, start + limit);
    return { object: "list", data: page.map((x) => expand(x, (params.expand ?? []).map((/** @type {string} */ p) => p.replace(/^data\./, "")))), has_more: start + limit < sorted.length, url };
  };

  /**
   * Stripe bills a Customer in one currency: a subscription in another while one it has not ended
   * is refused ("You cannot combine currencies on a single customer", as the real API answers).
   */
  const refuseMixedCurrency = (/** @type {any} */ customer, /** @type {string} */ currency) => {
    const other = Object.values(o.subscription).find((x) => x.customer === customer.id && x.status !== "canceled" && x.status !== "incomplete_expired" && x.currency !== currency);
    if (other) throw new StripeError(400, "invalid_request_error", null, `You cannot combine currencies on a single customer. This customer has an active subscription with currency ${other.currency}.`);
  };

  const bool = (/** @type {unknown} */ v) => v === true || v === "true";
  /** Form values are all strings: nested flags ("true"/"false") back to booleans, as Stripe stores them. */
  const flags = (/** @type {any} */ v) => {
    if (v === "true" || v === "false") return v === "true";
    if (Array.isArray(v)) return v.map(flags);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flags(x)]));
    return v;
  };
  const meta = (/** @type {any} */ m) => (m && typeof m === "object" ? Object.fromEntries(Object.entries(m).filter(([, v]) => v !== "")) : {});
  const need = (/** @type {any} */ params, /** @type {string} */ name) => {
    if (params[name] === undefined || params[name] === "") throw required(name);
    return params[name];
  };
  const get = (/** @type {string} */ kind, /** @type {string} */ id, /** @type {string} */ label = kind, param = "id") => {
    const obj = o[kind][id];
    if (!obj) throw missing(label, id, param);
    return obj;
  };
  const int = (/** @type {any} */ v, /** @type {string} */ param) => {
    if (!/^-?\d+$/.test(String(v))) throw new StripeError(400, "invalid_request_error", "parameter_invalid_integer", `Invalid integer: ${v}`, param);
    return Number(v);
  };

  /**
   * A lookup key is unique across the account: taking one another Price holds needs
   * `transfer_lookup_key` (that Price loses it), else Stripe refuses with lookup_key_already_exists.
   * `price` null checks (and frees) the key for a Price about to be made; "" removes the key.
   */
  function takeLookupKey(/** @type {any} */ price, /** @type {string} */ key, /** @type {unknown} */ transfer) {
    if (key) {
      const holder = Object.values(o.price).find((x) => x.lookup_key === key && x !== price);
      if (holder && !bool(transfer)) throw new StripeError(400, "invalid_request_error", "lookup_key_already_exists", `A price (\`${holder.id}\`) already uses that lookup key.`, "lookup_key");
      if (holder) holder.lookup_key = null;
    }
    if (price) price.lookup_key = key || null;
  }

  /**
   * A checkout session as the API answers it: bookkeeping stripped, and `line_items` (one item of
   * its price, as Stripe's LineItem) only when `expand` asks for it (`line_items`, or
   * `data.line_items` in a list), as Stripe leaves it out by default.
   */
  function sessionView(/** @type {any} */ session, /** @type {unknown} */ expandPaths, listed = false) {
    const view = publicView(structuredClone(session));
    const wanted = Array.isArray(expandPaths) && expandPaths.includes(listed ? "data.line_items" : "line_items");
    const price = o.price[session._price];
    if (wanted && price) {
      view.line_items = {
        object: "list",
        data: [{ id: `li_${session.id.slice(8, 32)}`, object: "item", amount_discount: 0, amount_subtotal: price.unit_amount, amount_tax: 0, amount_total: price.unit_amount, currency: price.currency, description: o.product[price.product]?.name ?? "", price: structuredClone(price), quantity: 1 }],
        has_more: false,
        url: `/v1/checkout/sessions/${session.id}/line_items`,
      };
    }
    return view;
  }

  /** Stripe's largest amount for a price: 99999999 in minor units (12 digits for some currencies; 8 is the common limit). */
  const MAX_AMOUNT = 99_999_999;

  /** @type {Array<[string, RegExp, (m: RegExpMatchArray, p: any) => any]>} */
  const api = [
    ["POST", /^\/v1\/products$/, (_m, p) => {
      const product = { id: newId("product"), object: "product", active: p.active === undefined ? true : bool(p.active), created: nowSeconds(), default_price: null, description: p.description || null, images: [], livemode: false, marketing_features: [], metadata: meta(p.metadata), name: need(p, "name"), type: "service", updated: nowSeconds(), url: null };
      return (o.product[product.id] = product);
    }],
    ["GET", /^\/v1\/products\/([^/]+)$/, (m) => get("product", m[1])],
    ["POST", /^\/v1\/products\/([^/]+)$/, (m, p) => {
      const product = get("product", m[1]);
      if (p.name !== undefined) product.name = p.name;
      if (p.description !== undefined) product.description = p.description || null;
      if (p.active !== undefined) product.active = bool(p.active);
      if (p.metadata) product.metadata = meta({ ...product.metadata, ...p.metadata });
      product.updated = nowSeconds();
      return product;
    }],
    ["POST", /^\/v1\/prices$/, (_m, p) => {
      const product = get("product", need(p, "product"), "product", "product");
      const amount = int(need(p, "unit_amount"), "unit_amount");
      if (amount < 0 || amount > MAX_AMOUNT) throw invalid("unit_amount", "This value must be greater than or equal to 0 and less than or equal to 99999999.");
      const currency = String(need(p, "currency")).toLowerCase();
      if (!/^[a-z]{3}$/.test(currency)) throw invalid("currency", `Invalid currency: ${currency}`);
      if (p.recurring && !["day", "week", "month", "year"].includes(p.recurring.interval)) throw invalid("recurring[interval]", "Invalid recurring[interval]");
      if (p.lookup_key) takeLookupKey(null, p.lookup_key, p.transfer_lookup_key);
      const price = {
        id: newId("price"), object: "price", active: true, billing_scheme: "per_unit", created: nowSeconds(), currency, custom_unit_amount: null, livemode: false,
        lookup_key: p.lookup_key || null, metadata: meta(p.metadata), nickname: p.nickname || null, product: product.id,
        recurring: p.recurring ? { interval: p.recurring.interval, interval_count: Number(p.recurring.interval_count ?? 1), meter: null, trial_period_days: null, usage_type: "licensed" } : null,
        tax_behavior: p.tax_behavior ?? "unspecified", tiers_mode: null, transform_quantity: null, type: p.recurring ? "recurring" : "one_time", unit_amount: amount, unit_amount_decimal: String(amount),
      };
      return (o.price[price.id] = price);
    }],
    ["GET", /^\/v1\/prices\/([^/]+)$/, (m) => get("price", m[1])],
    ["POST", /^\/v1\/prices\/([^/]+)$/, (m, p) => {
      const price = get("price", m[1]);
      // a live price's amount can never change (Stripe accepts only these fields on update)
      for (const k of Object.keys(p)) if (!["active", "metadata", "nickname", "lookup_key", "transfer_lookup_key", "expand", "tax_behavior"].includes(k)) throw new StripeError(400, "invalid_request_error", "parameter_unknown", `Received unknown parameter: ${k}`, k);
      if (p.lookup_key !== undefined) takeLookupKey(price, p.lookup_key, p.transfer_lookup_key);
      if (p.active !== undefined) price.active = bool(p.active);
      if (p.metadata) price.metadata = meta({ ...price.metadata, ...p.metadata });
      if (p.nickname !== undefined) price.nickname = p.nickname || null;
      return price;
    }],
    ["GET", /^\/v1\/prices$/, (_m, p) => {
      let items = Object.values(o.price);
      if (p.product) items = items.filter((x) => x.product === p.product);
      if (p.active !== undefined) items = items.filter((x) => x.active === bool(p.active));
      if (p.lookup_keys) items = items.filter((x) => p.lookup_keys.includes(x.lookup_key));
      return list(items, "/v1/prices", p);
    }],
    ["POST", /^\/v1\/customers$/, (_m, p) => {
      const customer = { id: newId("customer"), object: "customer", address: null, balance: 0, created: nowSeconds(), currency: null, default_source: null, delinquent: false, description: p.description || null, email: p.email || null, invoice_prefix: newId("customer").slice(4, 12).toUpperCase(), livemode: false, metadata: meta(p.metadata), name: p.name || null, phone: null, preferred_locales: p.preferred_locales ?? [], shipping: null, tax_exempt: "none" };
      return (o.customer[customer.id] = customer);
    }],
    ["GET", /^\/v1\/customers\/([^/]+)$/, (m) => get("customer", m[1])],
    ["POST", /^\/v1\/customers\/([^/]+)$/, (m, p) => {
      const customer = get("customer", m[1]);
      for (const k of ["email", "name", "description"]) if (p[k] !== undefined) customer[k] = p[k] || null;
      if (p.metadata) customer.metadata = meta({ ...customer.metadata, ...p.metadata });
      return customer;
    }],
    ["POST", /^\/v1\/checkout\/sessions$/, (_m, p) => {
      if (need(p, "mode") !== "subscription") throw invalid("mode", "The stand-in supports mode=subscription only.");
      const lines = Array.isArray(p.line_items) ? p.line_items : [];
      if (lines.length !== 1) throw invalid("line_items", "The stand-in takes exactly one line item.");
      const price = get("price", need(lines[0], "price"), "price");
      if (!price.active) throw new StripeError(400, "invalid_request_error", "price_inactive", `The price specified is inactive. This field only accepts active prices.`, "line_items[0][price]");
      if (!price.recurring) throw invalid("line_items[0][price]", "You must specify at least one recurring price in `subscription` mode.");
      if (p.customer) refuseMixedCurrency(get("customer", p.customer, "customer"), price.currency);
      need(p, "success_url");
      const trial = p.subscription_data?.trial_period_days;
      if (trial !== undefined && (int(trial, "subscription_data[trial_period_days]") < 1 || Number(trial) > 730)) throw invalid("subscription_data[trial_period_days]", "trial_period_days must be between 1 and 730.");
      const id = newId("checkout.session");
      const session = {
        id, object: "checkout.session", allow_promotion_codes: p.allow_promotion_codes === undefined ? null : bool(p.allow_promotion_codes),
        amount_subtotal: price.unit_amount, amount_total: price.unit_amount, billing_address_collection: null, cancel_url: p.cancel_url ?? null,
        client_reference_id: p.client_reference_id ?? null, created: nowSeconds(), currency: price.currency, customer: p.customer ?? null,
        customer_creation: p.customer ? null : "always", customer_details: p.customer ? { email: o.customer[p.customer].email, name: o.customer[p.customer].name } : null,
        customer_email: p.customer_email ?? null, discounts: [], expires_at: nowSeconds() + 86_400, invoice: null, livemode: false, locale: p.locale ?? null,
        metadata: meta(p.metadata), mode: "subscription", payment_intent: null, payment_status: "unpaid", status: "open", subscription: null,
        success_url: p.success_url, total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 }, ui_mode: "hosted", url: `${origin}/checkout/${id}`,
        _price: price.id,
      };
      state.checkoutParams[id] = { subscription_data: p.subscription_data ?? null, metadata: meta(p.metadata), allow_promotion_codes: session.allow_promotion_codes, client_reference_id: session.client_reference_id, customer: session.customer, line_items: lines, success_url: p.success_url, cancel_url: p.cancel_url ?? null };
      return (o["checkout.session"][id] = session);
    }],
    ["GET", /^\/v1\/checkout\/sessions\/([^/]+)$/, (m, p) => sessionView(get("checkout.session", m[1], "checkout.session"), p.expand)],
    ["GET", /^\/v1\/checkout\/sessions$/, (_m, p) => {
      let items = Object.values(o["checkout.session"]);
      if (p.customer) items = items.filter((x) => x.customer === p.customer);
      if (p.status) items = items.filter((x) => x.status === p.status);
      return list(items.map((x) => sessionView(x, p.expand, true)), "/v1/checkout/sessions", p);
    }],
    ["POST", /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/, (m) => {
      const session = get("checkout.session", m[1], "checkout.session");
      if (session.status !== "open") throw new StripeError(400, "invalid_request_error", "checkout_session_not_open", `Only Checkout Sessions with a status in ["open"] can be expired.`);
      session.status = "expired";
      return publicView(structuredClone(session));
    }],
    ["POST", /^\/v1\/billing_portal\/configurations$/, (_m, p) => {
      const config = { id: newId("billing_portal.configuration"), object: "billing_portal.configuration", active: true, application: null, business_profile: p.business_profile ?? {}, created: nowSeconds(), default_return_url: p.default_return_url ?? null, features: flags(p.features ?? {}), is_default: false, livemode: false, metadata: meta(p.metadata), name: p.name ?? null, updated: nowSeconds() };
      return (o["billing_portal.configuration"][config.id] = config);
    }],
    ["POST", /^\/v1\/billing_portal\/configurations\/([^/]+)$/, (m, p) => {
      const config = get("billing_portal.configuration", m[1], "billing_portal.configuration");
      if (p.features) config.features = flags(p.features);
      if (p.active !== undefined) config.active = bool(p.active);
      if (p.metadata) config.metadata = meta({ ...config.metadata, ...p.metadata });
      config.updated = nowSeconds();
      return config;
    }],
    ["GET", /^\/v1\/billing_portal\/configurations$/, (_m, p) => {
      let items = Object.values(o["billing_portal.configuration"]);
      if (p.active !== undefined) items = items.filter((x) => x.active === bool(p.active));
      return list(items, "/v1/billing_portal/configurations", p);
    }],
    ["POST", /^\/v1\/billing_portal\/sessions$/, (_m, p) => {
      const customer = get("customer", need(p, "customer"), "customer");
      if (p.configuration) get("billing_portal.configuration", p.configuration, "billing_portal.configuration");
      const id = newId("billing_portal.session");
      const session = { id, object: "billing_portal.session", configuration: p.configuration ?? null, created: nowSeconds(), customer: customer.id, flow: null, livemode: false, locale: p.locale ?? null, on_behalf_of: null, return_url: p.return_url ?? null, url: `${origin}/portal/${id}` };
      return (o["billing_portal.session"][id] = session);
    }],
    ["POST", /^\/v1\/subscriptions$/, (_m, p) => {
      // subscriptions made directly (not through checkout) start paid; Enclave itself uses checkout
      const customer = get("customer", need(p, "customer"), "customer");
      const priceId = need(p.items?.[0] ?? {}, "price");
      refuseMixedCurrency(customer, get("price", priceId, "price").currency);
      const session = { id: newId("checkout.session"), customer: customer.id, _price: get("price", priceId, "price").id };
      state.checkoutParams[session.id] = { subscription_data: { metadata: meta(p.metadata), trial_period_days: p.trial_period_days } };
      const sub = billing.completeCheckout(session, {});
      pending = pending.filter((id) => !state.events.find((e) => e.id === id && e.type === "checkout.session.completed"));
      return sub;
    }],
    ["GET", /^\/v1\/subscriptions\/([^/]+)$/, (m) => get("subscription", m[1])],
    ["GET", /^\/v1\/subscriptions$/, (_m, p) => {
      let items = Object.values(o.subscription);
      if (p.customer) items = items.filter((x) => x.customer === p.customer);
      if (p.price) items = items.filter((x) => x.items.data[0].price.id === p.price);
      // Stripe leaves canceled ones out unless asked (status=all or status=canceled)
      if (p.status && p.status !== "all") items = items.filter((x) => x.status === p.status);
      else if (!p.status) items = items.filter((x) => x.status !== "canceled" && x.status !== "incomplete_expired");
      return list(items, "/v1/subscriptions", p);
    }],
    ["POST", /^\/v1\/subscriptions\/([^/]+)$/, (m, p) => {
      const sub = get("subscription", m[1]);
      if (sub.status === "canceled") throw new StripeError(400, "invalid_request_error", "invalid_canceled_subscription_fields", "A canceled subscription can only update its cancellation_details and metadata.");
      if (p.items?.[0]?.price) get("price", p.items[0].price, "price");
      return billing.update(sub, p);
    }],
    ["DELETE", /^\/v1\/subscriptions\/([^/]+)$/, (m) => {
      const sub = get("subscription", m[1]);
      if (sub.status === "canceled") throw new StripeError(400, "invalid_request_error", "resource_missing", `No such subscription: '${sub.id}'`, "id");
      return billing.cancelNow(sub);
    }],
    ["GET", /^\/v1\/invoices\/([^/]+)$/, (m) => get("invoice", m[1])],
    ["GET", /^\/v1\/invoice_payments$/, (_m, p) => {
      let items = Object.values(o.invoice_payment);
      if (p.invoice) items = items.filter((x) => x.invoice === p.invoice);
      if (p.payment?.payment_intent) items = items.filter((x) => x.payment.payment_intent === p.payment.payment_intent);
      return list(items, "/v1/invoice_payments", p);
    }],
    ["GET", /^\/v1\/payment_intents\/([^/]+)$/, (m) => get("payment_intent", m[1])],
    ["GET", /^\/v1\/charges\/([^/]+)$/, (m) => get("charge", m[1])],
    ["GET", /^\/v1\/refunds\/([^/]+)$/, (m) => get("refund", m[1])],
    ["POST", /^\/v1\/refunds$/, (_m, p) => {
      // by charge or by payment intent (its latest charge), as Stripe takes either
      if (!p.charge && !p.payment_intent) throw required("charge");
      const pi = p.payment_intent ? get("payment_intent", p.payment_intent, "payment_intent", "payment_intent") : null;
      const chargeId = p.charge ?? pi?.latest_charge;
      if (!chargeId) throw new StripeError(400, "invalid_request_error", "charge_not_refundable", `This PaymentIntent (${pi?.id}) does not have a successful charge to refund.`, "payment_intent");
      const charge = get("charge", chargeId, "charge", "charge");
      if (pi && charge.payment_intent !== pi.id) throw invalid("charge", "The charge does not belong to this PaymentIntent.");
      if (charge.refunded) throw new StripeError(400, "invalid_request_error", "charge_already_refunded", `Charge ${charge.id} has already been refunded.`, "charge");
      const remaining = charge.amount - charge.amount_refunded;
      const amount = p.amount === undefined ? remaining : int(p.amount, "amount");
      if (amount < 1 || amount > remaining) throw new StripeError(400, "invalid_request_error", "amount_too_large", `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`, "amount");
      if (p.reason !== undefined && !["duplicate", "fraudulent", "requested_by_customer"].includes(p.reason)) throw invalid("reason", `Invalid reason: ${p.reason}`);
      return billing.refund(charge, { amount, reason: p.reason ?? null, metadata: meta(p.metadata) });
    }],
    ["GET", /^\/v1\/promotion_codes$/, (_m, p) => {
      let items = Object.values(o.promotion_code);
      if (p.code) items = items.filter((x) => x.code === p.code);
      if (p.active !== undefined) items = items.filter((x) => x.active === bool(p.active));
      return list(items, "/v1/promotion_codes", p);
    }],
    ["GET", /^\/v1\/promotion_codes\/([^/]+)$/, (m) => get("promotion_code", m[1])],
    ["GET", /^\/v1\/coupons\/([^/]+)$/, (m) => get("coupon", m[1])],
  ];

  // ---- test controls (JSON) --------------------------------------------------------------------

  const subOf = (/** @type {string} */ id) => get("subscription", id);
  /** @type {Array<[string, RegExp, (m: RegExpMatchArray, p: any) => any]>} */
  const controls = [
    ["POST", /^\/_stand-in\/subscriptions\/([^/]+)\/renew$/, (m) => billing.renew(subOf(m[1]))],
    ["POST", /^\/_stand-in\/subscriptions\/([^/]+)\/fail$/, (m) => billing.failNextPayment(subOf(m[1]))],
    ["POST", /^\/_stand-in\/subscriptions\/([^/]+)\/recover$/, (m) => billing.recover(subOf(m[1])) ?? conflict("no open invoice to pay")],
    ["POST", /^\/_stand-in\/subscriptions\/([^/]+)\/refund$/, (m) => billing.refundLastCharge(subOf(m[1])) ?? conflict("no charge left to refund")],
    ["POST", /^\/_stand-in\/subscriptions\/([^/]+)\/cancel$/, (m) => billing.cancelNow(subOf(m[1]))],
    ["POST", /^\/_stand-in\/checkout\/([^/]+)\/pay$/, (m, p) => payCheckout(m[1], p.promotionCode ?? p.promotion_code)],
    ["GET", /^\/_stand-in\/checkout\/([^/]+)$/, (m) => ({ session: publicView(structuredClone(get("checkout.session", m[1], "checkout.session"))), params: state.checkoutParams[m[1]] ?? null })],
    ["GET", /^\/_stand-in\/events$/, (_m, p) => ({
      data: state.events
        .filter((e) => (!p.customer || e.customer === p.customer) && (!p.subscription || e.subscription === p.subscription) && (!p.type || e.type === p.type))
        .map((e) => ({ id: e.id, type: e.type, customer: e.customer, subscription: e.subscription, payload: e.payload, signature: signPayload(e.payload, opts.webhookSecret), deliveries: e.deliveries, answered2xx: e.deliveries.some((d) => d.status !== null && d.status >= 200 && d.status < 300) })),
    })],
  ];
  const conflict = (/** @type {string} */ message) => {
    throw new StripeError(409, "invalid_request_error", "status_transition_invalid", message);
  };

  /** Pays an open checkout session; the page and the JSON control share it. */
  function payCheckout(/** @type {string} */ id, /** @type {string | undefined} */ promotionCode) {
    const session = get("checkout.session", id, "checkout.session");
    if (session.status !== "open") throw new StripeError(400, "invalid_request_error", "checkout_session_not_open", "This checkout session is no longer open.");
    if (promotionCode && !session.allow_promotion_codes) throw invalid("promotion_code", "This checkout does not accept promotion codes.");
    if (promotionCode && !Object.values(o.promotion_code).some((x) => x.active && x.code === promotionCode.trim().toUpperCase())) throw invalid("promotion_code", "This code is invalid.");
    const sub = billing.completeCheckout(session, { promotionCode });
    return { session: publicView(structuredClone(session)), subscription: sub };
  }

  // ---- pages ------------------------------------------------------------------------------------

  const esc = (/** @type {unknown} */ s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const money = (/** @type {number} */ amount, /** @type {string} */ currency) => `${currency.toUpperCase()} ${amount} (minor units)`;
  const page = (/** @type {string} */ title, /** @type {string} */ body) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title>` +
    `<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}.banner{background:#fde68a;padding:.5rem 1rem;border-radius:.5rem;font-weight:600}` +
    `button{font:inherit;padding:.4rem 1rem;margin:.25rem .25rem 0 0}li{margin:.75rem 0}</style></head><body><p class="banner" role="note">${esc(title)}</p>${body}</body></html>`;

  function checkoutPage(/** @type {any} */ session, /** @type {string} */ error = "") {
    const price = o.price[session._price];
    const product = o.product[price.product];
    const params = state.checkoutParams[session.id] ?? {};
    const trial = Number(params.subscription_data?.trial_period_days ?? 0);
    if (session.status !== "open") return page("Enclave test checkout — no real payment", `<p>This checkout is ${esc(session.status)}.</p>`);
    return page(
      "Enclave test checkout — no real payment",
      `<h1>${esc(product?.name)}</h1><p data-testid="price">${esc(money(price.unit_amount, price.currency))} per ${esc(price.recurring.interval)}</p>` +
        (trial ? `<p data-testid="trial">${trial}-day free trial</p>` : "") +
        (error ? `<p role="alert">${esc(error)}</p>` : "") +
        `<form method="post" action="/checkout/${esc(session.id)}/pay">` +
        (session.allow_promotion_codes ? `<label>Promotion code <input name="promotion_code" autocomplete="off" placeholder="WELCOME10"></label><br>` : "") +
        `<button type="submit">Pay</button></form>` +
        `<form method="post" action="/checkout/${esc(session.id)}/cancel"><button type="submit">Cancel</button></form>`,
    );
  }

  /** The prices a portal lets a subscription switch to: none when its configuration turns plan changes off; the configuration's products, else the same community's. */
  function switchOptions(/** @type {any} */ portal, /** @type {any} */ sub) {
    const current = sub.items.data[0].price;
    const config = portal.configuration ? o["billing_portal.configuration"][portal.configuration] : null;
    // a configuration with plan changes turned off offers none, as Stripe's portal does
    if (config && config.features?.subscription_update?.enabled === false) return [];
    const allowed = config?.features?.subscription_update?.products;
    const candidates = Object.values(o.price).filter((p) => p.active && p.recurring && p.id !== current.id && p.currency === current.currency);
    if (Array.isArray(allowed) && allowed.length > 0) {
      const ids = new Set(allowed.flatMap((/** @type {any} */ x) => (Array.isArray(x.prices) ? x.prices : [])));
      const products = new Set(allowed.map((/** @type {any} */ x) => x.product));
      return candidates.filter((p) => ids.has(p.id) || (ids.size === 0 && products.has(p.product)));
    }
    const community = current.metadata?.enclave_community;
    return candidates.filter((p) => community && p.metadata?.enclave_community === community);
  }

  function portalPage(/** @type {any} */ portal) {
    const subs = Object.values(o.subscription).filter((s) => s.customer === portal.customer && s.status !== "canceled");
    const rows = subs
      .map((s) => {
        const price = s.items.data[0].price;
        const name = o.product[price.product]?.name ?? price.product;
        const end = new Date(s.items.data[0].current_period_end * 1000).toISOString().slice(0, 10);
        const options = switchOptions(portal, s)
          .map((p) => `<button name="price" value="${esc(p.id)}">Switch to ${esc(o.product[p.product]?.name)} — ${esc(money(p.unit_amount, p.currency))} per ${esc(p.recurring.interval)}</button>`)
          .join("");
        return (
          `<li data-subscription="${esc(s.id)}"><strong>${esc(name)}</strong> — ${esc(money(price.unit_amount, price.currency))} per ${esc(price.recurring.interval)}, ${esc(s.status)}` +
          `${s.cancel_at_period_end ? `, ends ${end}` : `, renews ${end}`}` +
          `<form method="post" action="/portal/${esc(portal.id)}/subscriptions/${esc(s.id)}/cancel-at-period-end"><button name="cancel" value="${s.cancel_at_period_end ? "false" : "true"}">${s.cancel_at_period_end ? "Don't cancel" : "Cancel at period end"}</button></form>` +
          (options ? `<form method="post" action="/portal/${esc(portal.id)}/subscriptions/${esc(s.id)}/switch">${options}</form>` : "") +
          `</li>`
        );
      })
      .join("");
    return page(
      "Enclave test billing portal — no real payment",
      `<h1>Your subscriptions</h1>${rows ? `<ul>${rows}</ul>` : "<p>No active subscriptions.</p>"}` + (portal.return_url ? `<p><a href="${esc(portal.return_url)}">Back</a></p>` : ""),
    );
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  /** @param {import("node:http").ServerResponse} res @param {number} status @param {unknown} body */
  const json = (res, status, body, headers = {}) => {
    res.writeHead(status, { "content-type": "application/json", "request-id": `req_${newId("event").slice(4, 18)}`, "stripe-version": API_VERSION, ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const html = (/** @type {import("node:http").ServerResponse} */ res, /** @type {string} */ body, status = 200) => {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  };
  const redirect = (/** @type {import("node:http").ServerResponse} */ res, /** @type {string} */ to) => {
    res.writeHead(303, { location: to });
    res.end();
  };

  /** Posts each sink key has received (test equipment, not persisted). */
  const sinks = new Map();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString("utf8");
    const contentType = String(req.headers["content-type"] ?? "");
    try {
      if (url.pathname.startsWith("/v1/")) {
        const auth = String(req.headers.authorization ?? "");
        if (!/^Bearer sk_test_\S+$/.test(auth)) {
          throw new StripeError(401, "invalid_request_error", null, "Invalid API Key provided. The stand-in accepts test keys (sk_test_…) only.");
        }
        const params = method === "GET" || method === "DELETE" ? decodeForm(url.search.slice(1)) : decodeForm(raw);
        const route = api.find(([m, re]) => m === method && re.test(url.pathname));
        if (!route) throw new StripeError(404, "invalid_request_error", null, `Unrecognized request URL (${method}: ${url.pathname}). The stand-in serves only what Enclave calls.`);
        // Idempotency-Key: a retried POST gets the first answer; the same key with other parameters is an error
        const key = method === "POST" ? req.headers["idempotency-key"] : undefined;
        const fingerprint = createHash("sha256").update(`${method} ${url.pathname} ${raw}`).digest("hex");
        if (typeof key === "string" && state.idempotency[key]) {
          const kept = state.idempotency[key];
          if (kept.request !== fingerprint) {
            throw new StripeError(400, "idempotency_error", "idempotency_key_in_use", `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
          }
          return json(res, kept.status, kept.body, { "idempotent-replayed": "true", "idempotency-key": key });
        }
        let status = 200;
        let body;
        try {
          const result = route[2](/** @type {RegExpMatchArray} */ (url.pathname.match(route[1])), params);
          body = JSON.stringify(expand(result, params.expand));
        } catch (err) {
          if (!(err instanceof StripeError)) throw err;
          status = err.status;
          body = JSON.stringify(err.body);
          pending = [];
        }
        if (typeof key === "string" && status < 500) state.idempotency[key] = { request: fingerprint, status, body };
        save();
        json(res, status, body, typeof key === "string" ? { "idempotency-key": key } : {});
        await flush();
        return;
      }
      if (url.pathname.startsWith("/_stand-in/")) {
        const params = method === "GET" ? decodeForm(url.search.slice(1)) : contentType.includes("json") && raw ? JSON.parse(raw) : decodeForm(raw);
        // redeliver: one send by hand (the Dashboard's "Resend"); deliver: as the automatic send, retries included
        const redeliver = url.pathname.match(/^\/_stand-in\/events\/([^/]+)\/(redeliver|deliver)$/);
        if (redeliver && method === "POST") {
          if (!state.events.some((e) => e.id === redeliver[1])) throw missing("event", redeliver[1]);
          const target = params.url || opts.webhookUrl;
          const delays = Array.isArray(params.retryDelaysMs) ? params.retryDelaysMs.map(Number).filter((n) => Number.isFinite(n) && n >= 0) : undefined;
          const delivery = redeliver[2] === "redeliver" ? await deliver(redeliver[1], target) : await send(redeliver[1], target, delays);
          return json(res, 200, { id: redeliver[1], delivery });
        }
        // a webhook endpoint for trying deliveries: the first `fail` posts to a key answer 503, later ones 200
        const sink = url.pathname.match(/^\/_stand-in\/sink\/([^/]+)$/);
        if (sink) {
          const seen = (sinks.get(sink[1]) ?? 0) + (method === "POST" ? 1 : 0);
          sinks.set(sink[1], seen);
          if (method === "GET") return json(res, 200, { received: seen });
          return json(res, seen <= Number(url.searchParams.get("fail") ?? 0) ? 503 : 200, { received: seen });
        }
        const route = controls.find(([m, re]) => m === method && re.test(url.pathname));
        if (!route) throw new StripeError(404, "invalid_request_error", null, `No stand-in control at ${method} ${url.pathname}`);
        let result;
        try {
          result = route[2](/** @type {RegExpMatchArray} */ (url.pathname.match(route[1])), params);
        } catch (err) {
          pending = [];
          throw err;
        }
        if (method === "GET") return json(res, 200, result);
        const sent = [...pending];
        await flush();
        const events = sent.map((id) => {
          const e = state.events.find((x) => x.id === id);
          return { id, type: e?.type, deliveries: e?.deliveries };
        });
        return json(res, 200, { result: publicView(structuredClone(result)), events });
      }
      // pages: the test checkout and the test portal
      let m;
      if ((m = url.pathname.match(/^\/checkout\/([^/]+)$/)) && method === "GET") {
        return html(res, checkoutPage(get("checkout.session", m[1], "checkout.session")));
      }
      if ((m = url.pathname.match(/^\/checkout\/([^/]+)\/pay$/)) && method === "POST") {
        const session = get("checkout.session", m[1], "checkout.session");
        const code = String(new URLSearchParams(raw).get("promotion_code") ?? "").trim();
        try {
          payCheckout(session.id, code || undefined);
        } catch (err) {
          if (err instanceof StripeError) return html(res, checkoutPage(session, err.message), 400);
          throw err;
        }
        await flush();
        return redirect(res, String(session.success_url).replace("{CHECKOUT_SESSION_ID}", session.id));
      }
      if ((m = url.pathname.match(/^\/checkout\/([^/]+)\/cancel$/)) && method === "POST") {
        const session = get("checkout.session", m[1], "checkout.session");
        return redirect(res, session.cancel_url ?? "/");
      }
      if ((m = url.pathname.match(/^\/portal\/([^/]+)$/)) && method === "GET") {
        return html(res, portalPage(get("billing_portal.session", m[1], "billing_portal.session")));
      }
      if ((m = url.pathname.match(/^\/portal\/([^/]+)\/subscriptions\/([^/]+)\/(cancel-at-period-end|switch)$/)) && method === "POST") {
        const portal = get("billing_portal.session", m[1], "billing_portal.session");
        const sub = get("subscription", m[2]);
        if (sub.customer !== portal.customer) throw missing("subscription", m[2]);
        const form = new URLSearchParams(raw);
        if (m[3] === "cancel-at-period-end") billing.update(sub, { cancel_at_period_end: form.get("cancel") !== "false" });
        else {
          const price = form.get("price") ?? "";
          if (!switchOptions(portal, sub).some((p) => p.id === price)) throw invalid("price", "That price is not offered in this portal.");
          billing.update(sub, { items: [{ id: sub.items.data[0].id, price }] });
        }
        await flush();
        return redirect(res, `/portal/${portal.id}`);
      }
      if (url.pathname === "/" && method === "GET") return html(res, page("Enclave Stripe stand-in — no real payment", "<p>This serves the Stripe API calls Enclave makes, offline.</p>"));
      throw new StripeError(404, "invalid_request_error", null, `Not found: ${method} ${url.pathname}`);
    } catch (err) {
      pending = [];
      if (err instanceof StripeError) return json(res, err.status, err.body);
      console.error("[stripe stand-in]", err);
      return json(res, 500, { error: { type: "api_error", message: "The stand-in failed on this request." } });
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  origin = `http://${host}:${port}`;
  // sessions made by an earlier run name the port then; the pages live at this origin now
  for (const s of Object.values(o["checkout.session"])) s.url = `${origin}/checkout/${s.id}`;
  for (const s of Object.values(o["billing_portal.session"])) s.url = `${origin}/portal/${s.id}`;
  save();
  return {
    port,
    origin,
    close: () => {
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
