// What Stripe Billing does on its side of a subscription, reduced to what Enclave reads: a paid
// checkout makes the subscription, its invoice, payment intent and charge; renewals, failed
// payments, recoveries, refunds and cancellations change them and emit the events Stripe would, in
// Stripe's order. Shapes follow the installed `stripe` package's API version (2026-10-28): the
// period sits on each subscription item, an invoice names its subscription under
// `parent.subscription_details`, its payments are `invoice_payment` objects, a charge has no invoice.
import { newId, nowSeconds } from "./state.mjs";

const DAY = 86_400;

/** @typedef {import("./state.mjs").StandInState} StandInState */

/**
 * The end of one billing period that starts at `start` (unix s), calendar months as Stripe counts.
 * @param {number} start unix seconds
 * @param {"month" | "year" | "week" | "day"} interval
 * @param {number} count interval_count
 */
export function periodEnd(start, interval, count = 1) {
  const d = new Date(start * 1000);
  if (interval === "day") return start + DAY * count;
  if (interval === "week") return start + 7 * DAY * count;
  if (interval === "month") d.setUTCMonth(d.getUTCMonth() + count);
  else d.setUTCFullYear(d.getUTCFullYear() + count);
  return Math.floor(d.getTime() / 1000);
}

/**
 * The billing operations over one state; `emit(type, object, previous?)` records (and sends) an event.
 * @param {StandInState} state
 * @param {(type: string, object: any, previousAttributes?: Record<string, unknown>) => void} emit
 */
export function billingOn(state, emit) {
  const o = state.objects;
  const clone = (/** @type {any} */ v) => structuredClone(v);

  /** The percent off of a subscription's discounts (coupons with percent_off only). */
  function percentOff(/** @type {any} */ sub) {
    let pct = 0;
    for (const id of sub.discounts ?? []) {
      const coupon = o.coupon[o.discount[id]?.source?.coupon];
      if (coupon?.percent_off) pct += coupon.percent_off;
    }
    return Math.min(pct, 100);
  }

  /** A subscription item for `price`, current from `start` (the period is on the item in this API version). */
  function item(/** @type {any} */ sub, /** @type {any} */ price, /** @type {number} */ start, /** @type {number} */ end) {
    return {
      id: newId("subscription_item"),
      object: "subscription_item",
      billing_thresholds: null,
      created: nowSeconds(),
      current_period_end: end,
      current_period_start: start,
      current_trial: null,
      discounts: [],
      metadata: {},
      plan: planOf(price),
      price: clone(price),
      quantity: 1,
      subscription: sub.id,
      tax_rates: [],
    };
  }

  /** The legacy Plan mirror of a recurring Price, which subscription items still carry. */
  function planOf(/** @type {any} */ price) {
    return {
      id: price.id,
      object: "plan",
      active: price.active,
      amount: price.unit_amount,
      amount_decimal: String(price.unit_amount),
      billing_scheme: "per_unit",
      created: price.created,
      currency: price.currency,
      interval: price.recurring.interval,
      interval_count: price.recurring.interval_count,
      livemode: false,
      metadata: price.metadata,
      nickname: price.nickname,
      product: price.product,
      usage_type: "licensed",
    };
  }

  /**
   * An invoice for the subscription's current period, with a payment intent and charge when there
   * is money to take. `paid: false` leaves it open with a failed payment intent (a declined card).
   */
  function invoiceFor(/** @type {any} */ sub, /** @type {string} */ reason, /** @type {boolean} */ paid) {
    const it = sub.items.data[0];
    const price = it.price;
    const subtotal = sub.status === "trialing" ? 0 : price.unit_amount;
    const discount = Math.round((subtotal * percentOff(sub)) / 100);
    const total = subtotal - discount;
    const created = nowSeconds();
    const invoice = {
      id: newId("invoice"),
      object: "invoice",
      account_country: "TW",
      account_name: "Enclave stand-in",
      amount_due: total,
      amount_overpaid: 0,
      amount_paid: paid ? total : 0,
      amount_remaining: paid ? 0 : total,
      amount_shipping: 0,
      attempt_count: total > 0 ? 1 : 0,
      attempted: total > 0,
      billing_reason: reason,
      collection_method: "charge_automatically",
      created,
      currency: price.currency,
      customer: sub.customer,
      customer_email: o.customer[sub.customer]?.email ?? null,
      customer_name: o.customer[sub.customer]?.name ?? null,
      description: null,
      discounts: [...sub.discounts],
      hosted_invoice_url: null,
      lines: {
        object: "list",
        data: [
          {
            id: newId("invoice").replace("in_", "il_"),
            object: "line_item",
            amount: subtotal,
            currency: price.currency,
            description: `1 × ${o.product[price.product]?.name ?? "subscription"}`,
            discount_amounts: discount ? [{ amount: discount, discount: sub.discounts[0] }] : [],
            discountable: true,
            discounts: [...sub.discounts],
            invoice: null,
            livemode: false,
            metadata: {},
            parent: {
              type: "subscription_item_details",
              subscription_item_details: { proration: false, subscription: sub.id, subscription_item: it.id },
            },
            period: { start: it.current_period_start, end: it.current_period_end },
            pricing: { type: "price_details", price_details: { price: price.id, product: price.product }, unit_amount_decimal: String(price.unit_amount) },
            quantity: 1,
          },
        ],
        has_more: false,
        url: "/v1/invoices/lines",
      },
      livemode: false,
      metadata: {},
      next_payment_attempt: paid || total === 0 ? null : created + 3 * DAY,
      number: `STANDIN-${Object.keys(o.invoice).length + 1}`,
      parent: {
        type: "subscription_details",
        quote_details: null,
        subscription_details: { metadata: clone(sub.metadata), subscription: sub.id },
      },
      payments: { object: "list", data: [], has_more: false, url: "/v1/invoice_payments" },
      period_end: it.current_period_start,
      period_start: it.current_period_start,
      status: paid || total === 0 ? "paid" : "open",
      status_transitions: { finalized_at: created, paid_at: paid || total === 0 ? created : null, voided_at: null, marked_uncollectible_at: null },
      subtotal,
      total,
      total_discount_amounts: discount ? [{ amount: discount, discount: sub.discounts[0] }] : [],
    };
    invoice.lines.data[0].invoice = invoice.id;
    o.invoice[invoice.id] = invoice;
    if (total > 0) takePayment(invoice, paid);
    sub.latest_invoice = invoice.id;
    return invoice;
  }

  /** The invoice's payment intent (and, when it succeeds, its charge), linked by an invoice_payment. */
  function takePayment(/** @type {any} */ invoice, /** @type {boolean} */ succeeds) {
    const pi = {
      id: newId("payment_intent"),
      object: "payment_intent",
      amount: invoice.amount_due,
      amount_received: succeeds ? invoice.amount_due : 0,
      capture_method: "automatic",
      created: nowSeconds(),
      currency: invoice.currency,
      customer: invoice.customer,
      description: "Subscription update",
      last_payment_error: succeeds ? null : { code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds.", type: "card_error" },
      latest_charge: null,
      livemode: false,
      metadata: {},
      payment_method_types: ["card"],
      status: succeeds ? "succeeded" : "requires_payment_method",
    };
    o.payment_intent[pi.id] = pi;
    if (succeeds) pi.latest_charge = chargeFor(pi).id;
    const payment = {
      id: newId("invoice_payment"),
      object: "invoice_payment",
      amount_paid: succeeds ? invoice.amount_due : null,
      amount_requested: invoice.amount_due,
      created: nowSeconds(),
      currency: invoice.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { type: "payment_intent", payment_intent: pi.id },
      status: succeeds ? "paid" : "open",
      status_transitions: { canceled_at: null, paid_at: succeeds ? nowSeconds() : null },
    };
    o.invoice_payment[payment.id] = payment;
    invoice.payments.data = [payment];
    return pi;
  }

  function chargeFor(/** @type {any} */ pi) {
    const charge = {
      id: newId("charge"),
      object: "charge",
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      captured: true,
      created: nowSeconds(),
      currency: pi.currency,
      customer: pi.customer,
      description: pi.description,
      disputed: false,
      livemode: false,
      metadata: {},
      paid: true,
      payment_intent: pi.id,
      receipt_url: null,
      refunded: false,
      status: "succeeded",
    };
    o.charge[charge.id] = charge;
    return charge;
  }

  /** The subscription's latest charge that took money (refunds use it). */
  function lastCharge(/** @type {any} */ sub) {
    const invoices = Object.values(o.invoice).filter((i) => i.parent?.subscription_details?.subscription === sub.id);
    invoices.sort((a, b) => b.created - a.created || (b.number > a.number ? 1 : -1));
    for (const inv of invoices) {
      const pi = o.payment_intent[inv.payments.data[0]?.payment?.payment_intent];
      if (pi?.latest_charge) return o.charge[pi.latest_charge];
    }
    return null;
  }

  const pick = (/** @type {any} */ obj, /** @type {string[]} */ keys) => Object.fromEntries(keys.map((k) => [k, clone(obj[k])]));

  /** Starts the item's next period where the last ended; answers the fields as they were (previous_attributes). */
  function advancePeriod(/** @type {any} */ sub) {
    const previous = pick(sub, ["status", "items", "latest_invoice"]);
    const it = sub.items.data[0];
    it.current_period_start = it.current_period_end;
    it.current_period_end = periodEnd(it.current_period_start, it.price.recurring.interval, it.price.recurring.interval_count);
    return previous;
  }

  return {
    percentOff,
    lastCharge,

    /**
     * Completes a checkout session: the customer pays (or starts a trial). Events in Stripe's order:
     * checkout.session.completed, customer.subscription.created, invoice.paid.
     * @param {any} session the open checkout.session
     * @param {{promotionCode?: string}} opts a code typed on the test page
     */
    completeCheckout(session, opts) {
      const params = state.checkoutParams[session.id] ?? {};
      const price = o.price[session._price];
      const start = nowSeconds();
      const trialDays = Number(params.subscription_data?.trial_period_days ?? 0);
      const end = trialDays > 0 ? start + trialDays * DAY : periodEnd(start, price.recurring.interval, price.recurring.interval_count);
      const sub = {
        id: newId("subscription"),
        object: "subscription",
        application: null,
        billing_cycle_anchor: end,
        billing_mode: { type: "flexible" },
        cancel_at: null,
        cancel_at_period_end: false,
        canceled_at: null,
        cancellation_details: { comment: null, feedback: null, reason: null },
        collection_method: "charge_automatically",
        created: start,
        currency: price.currency,
        customer: session.customer,
        days_until_due: null,
        default_payment_method: null,
        description: null,
        discounts: /** @type {string[]} */ ([]),
        ended_at: null,
        items: { object: "list", data: /** @type {any[]} */ ([]), has_more: false, url: "/v1/subscription_items" },
        latest_invoice: null,
        livemode: false,
        metadata: { ...(params.subscription_data?.metadata ?? {}) },
        pause_collection: null,
        pending_update: null,
        schedule: null,
        start_date: start,
        status: trialDays > 0 ? "trialing" : "active",
        test_clock: null,
        trial_end: trialDays > 0 ? end : null,
        trial_start: trialDays > 0 ? start : null,
      };
      sub.items.data.push(item(sub, price, start, end));
      const code = opts.promotionCode?.trim().toUpperCase();
      const promo = code ? Object.values(o.promotion_code).find((p) => p.active && p.code === code) : undefined;
      if (promo) {
        const discount = {
          id: newId("discount"),
          object: "discount",
          checkout_session: session.id,
          customer: sub.customer,
          end: null,
          invoice: null,
          invoice_item: null,
          promotion_code: promo.id,
          source: { coupon: promo.promotion.coupon, type: "coupon" },
          start,
          subscription: sub.id,
          subscription_item: null,
        };
        o.discount[discount.id] = discount;
        sub.discounts.push(discount.id);
        promo.times_redeemed += 1;
      }
      o.subscription[sub.id] = sub;
      const invoice = invoiceFor(sub, "subscription_create", true);
      Object.assign(session, {
        status: "complete",
        payment_status: trialDays > 0 ? "no_payment_required" : "paid",
        subscription: sub.id,
        invoice: invoice.id,
        amount_subtotal: price.unit_amount,
        amount_total: invoice.total,
        discounts: promo ? [{ coupon: promo.promotion.coupon, promotion_code: promo.id }] : [],
        total_details: { amount_discount: price.unit_amount - (trialDays > 0 ? price.unit_amount : invoice.total), amount_shipping: 0, amount_tax: 0 },
      });
      if (trialDays > 0) session.total_details.amount_discount = 0;
      emit("checkout.session.completed", session);
      emit("customer.subscription.created", sub);
      emit("invoice.paid", invoice);
      return sub;
    },

    /** Moves the subscription to its next period and pays for it; ends it instead when set to cancel. */
    renew(/** @type {any} */ sub) {
      if (sub.cancel_at_period_end) return this.cancelNow(sub, "cancellation_requested");
      const previous = advancePeriod(sub);
      sub.status = "active";
      const invoice = invoiceFor(sub, "subscription_cycle", true);
      emit("customer.subscription.updated", sub, previous);
      emit("invoice.paid", invoice);
      return sub;
    },

    /** The next renewal's payment is declined: a new open invoice and past_due, as Smart Retries would leave it. */
    failNextPayment(/** @type {any} */ sub) {
      const previous = advancePeriod(sub);
      sub.status = "past_due";
      const invoice = invoiceFor(sub, "subscription_cycle", false);
      emit("invoice.payment_failed", invoice);
      emit("customer.subscription.updated", sub, previous);
      return sub;
    },

    /** The open invoice is paid after all (the member updated their card). */
    recover(/** @type {any} */ sub) {
      const invoice = o.invoice[sub.latest_invoice];
      if (!invoice || invoice.status !== "open") return null;
      const previous = pick(sub, ["status"]);
      const pi = takePayment(invoice, true);
      Object.assign(invoice, { status: "paid", amount_paid: invoice.amount_due, amount_remaining: 0, attempt_count: invoice.attempt_count + 1, next_payment_attempt: null });
      invoice.status_transitions.paid_at = nowSeconds();
      void pi;
      sub.status = "active";
      emit("invoice.paid", invoice);
      emit("customer.subscription.updated", sub, previous);
      return sub;
    },

    /** Refunds the subscription's last charge in full (the Dashboard's "Refund"): charge.refunded. */
    refundLastCharge(/** @type {any} */ sub) {
      const charge = lastCharge(sub);
      if (!charge || charge.refunded) return null;
      return this.refund(charge, { reason: "requested_by_customer" });
    },

    /**
     * Refunds `charge` (what is left of it, or `amount` minor units), as `POST /v1/refunds` does;
     * a full refund marks the charge refunded. Emits charge.refunded (previous_attributes as Stripe's).
     * @param {any} charge an unrefunded charge
     * @param {{amount?: number, reason?: string | null, metadata?: Record<string, string>}} opts
     */
    refund(charge, opts) {
      const remaining = charge.amount - charge.amount_refunded;
      const refund = {
        id: newId("refund"),
        object: "refund",
        amount: opts.amount ?? remaining,
        balance_transaction: null,
        charge: charge.id,
        created: nowSeconds(),
        currency: charge.currency,
        customer: charge.customer ?? null,
        customer_account: null,
        destination_details: { type: "card", card: { reference_status: "pending", reference_type: "acquirer_reference_number", type: "refund" } },
        metadata: opts.metadata ?? {},
        payment_intent: charge.payment_intent,
        payment_method: null,
        reason: opts.reason ?? null,
        receipt_number: null,
        source_transfer_reversal: null,
        status: "succeeded",
        transfer_reversal: null,
      };
      o.refund[refund.id] = refund;
      const previous = pick(charge, ["amount_refunded", "refunded"]);
      charge.amount_refunded += refund.amount;
      charge.refunded = charge.amount_refunded >= charge.amount;
      emit("charge.refunded", charge, previous);
      return refund;
    },

    /** Ends the subscription now: customer.subscription.deleted. */
    cancelNow(/** @type {any} */ sub, reason = "cancellation_requested") {
      if (sub.status === "canceled") return sub;
      const at = nowSeconds();
      Object.assign(sub, { status: "canceled", canceled_at: sub.canceled_at ?? at, ended_at: at, cancellation_details: { comment: null, feedback: null, reason } });
      emit("customer.subscription.deleted", sub);
      return sub;
    },

    /**
     * The parameters of `POST /v1/subscriptions/:id` Enclave and the test portal use:
     * cancel_at_period_end, items[0][price] (a plan switch: no proration invoice — so
     * `proration_behavior` changes nothing here — except that a switch to another interval starts a
     * new period from now and is invoiced at once, paid, as Stripe does:
     * https://docs.stripe.com/billing/subscriptions/billing-cycle#changing-the-billing-cycle), metadata,
     * and trial_end=now (a trialing subscription starts paying at once: a new period from now, its
     * invoice paid, as Stripe does: https://docs.stripe.com/billing/subscriptions/trials).
     */
    update(/** @type {any} */ sub, /** @type {any} */ params) {
      const previous = /** @type {Record<string, unknown>} */ ({});
      let invoice = null;
      if (params.trial_end === "now" && sub.status === "trialing") {
        Object.assign(previous, pick(sub, ["status", "items", "trial_end", "latest_invoice"]));
        const now = nowSeconds();
        const it = sub.items.data[0];
        sub.trial_end = now;
        sub.status = "active";
        it.current_period_start = now;
        it.current_period_end = periodEnd(now, it.price.recurring.interval, it.price.recurring.interval_count);
        invoice = invoiceFor(sub, "subscription_update", true);
      }
      if (params.cancel_at_period_end !== undefined) {
        previous.cancel_at_period_end = sub.cancel_at_period_end;
        previous.cancel_at = sub.cancel_at;
        sub.cancel_at_period_end = params.cancel_at_period_end === "true" || params.cancel_at_period_end === true;
        sub.cancel_at = sub.cancel_at_period_end ? sub.items.data[0].current_period_end : null;
        sub.canceled_at = sub.cancel_at_period_end ? nowSeconds() : null;
      }
      const newPrice = params.items?.[0]?.price;
      if (newPrice) {
        previous.items = clone(sub.items);
        const it = sub.items.data[0];
        const price = o.price[newPrice];
        const intervalChanged = it.price.recurring.interval !== price.recurring.interval || it.price.recurring.interval_count !== price.recurring.interval_count;
        it.price = clone(price);
        it.plan = planOf(price);
        if (intervalChanged && sub.status === "active") {
          const now = nowSeconds();
          it.current_period_start = now;
          it.current_period_end = periodEnd(now, price.recurring.interval, price.recurring.interval_count);
          if (sub.cancel_at_period_end) sub.cancel_at = it.current_period_end;
          invoice = invoiceFor(sub, "subscription_update", true);
        }
      }
      if (params.metadata && typeof params.metadata === "object") {
        previous.metadata = clone(sub.metadata);
        sub.metadata = Object.fromEntries(Object.entries({ ...sub.metadata, ...params.metadata }).filter(([, v]) => v !== ""));
      }
      if (Object.keys(previous).length > 0) emit("customer.subscription.updated", sub, previous);
      if (invoice) emit("invoice.paid", invoice);
      return sub;
    },
  };
}
