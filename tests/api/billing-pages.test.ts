// The billing pages (issue 14, ADR 039): every checkout form posts to the plan page's action,
// which refuses a bad choice back to the page it came from, sends a visitor to sign up and back
// to the card they picked, and keeps private communities' checkouts for members; a locked
// space offers a checkout only for a tier on sale; the pages call the use cases the billing routes
// call (ADR 039 addendum) and answer as they do; refusals read in the reader's language; revenue
// is charted per currency; the owner and admins are offered nothing to buy; every billing string
// exists in both languages. Issue 14's findings on the pages: with payments not configured nobody
// is offered anything to buy; the cancel page answers a visitor from the pricing page; the success
// page says a tier that opens no space once; the owner's plan is "every space by role"; a past-due
// plan says when the tier lapses; full-width digits are prices; checkoutRefusal hides Subscribe.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createElement as h, type ComponentType } from "react";
import { renderToString } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { createRoutesStub, type RouterContextProvider } from "react-router";
import CommunityPricing from "../../app/routes/community-pricing";
import CommunityBilling from "../../app/routes/community-billing";
import BillingSuccess from "../../app/routes/community-billing-success";
import BillingCancel, { loader as cancelLoader } from "../../app/routes/community-billing-cancel";
import { loader as communityLoader } from "../../app/routes/community";
import { CheckoutRefusalNotice } from "../../app/components/billing";
import { paymentsConfigured, pricingRefusal } from "../../app/lib/billing.server";
import { ORIGIN } from "../helpers";
import { action as billingAction } from "../../app/routes/community-billing";
import { loader as spaceLoader } from "../../app/routes/community-space";
import { backWithError, checkoutChoice, upgradeOffer } from "../../app/lib/billing.server";
import { amountRefusal, majorText, moneyText, planIsLive, toMinorUnits } from "../../app/lib/billing";
import { createI18n } from "../../app/i18n";
import en from "../../app/i18n/en.json";
import { addMember, makeCommunity } from "../community-fixtures";
import { call, createUser } from "../helpers";
import { loadPage, pageContext, postForm, statusOf, type Action, type Loader } from "../page-fixtures";
import { cloudflareContext } from "../../app/context";
import { loader as planLoader } from "../../app/routes/community-billing";
import { loader as revenueLoader } from "../../app/routes/community-revenue";
import { loader as successLoader } from "../../app/routes/community-billing-success";
import { loader as pricingLoader } from "../../app/routes/community-pricing";
import AccountBilling, { action as accountBillingAction, loader as accountBillingLoader } from "../../app/routes/settings-billing";
import { issueLabel, issueText, type FieldIssue } from "../../app/lib/issues";
import BillingSettingsPage, { action as settingsAction, loader as settingsLoader } from "../../app/routes/community-billing-settings";
import { db, env } from "../community-fixtures";
import { schema } from "../../workers/db/client";
import { checkoutAsStored, checkoutWithCode, deliver, deliverAll, lastEvent, makePrice, payAt, publishPrices, stripe } from "../billing-fixtures";

/** A subscription row as the webhook settles it (workers/billing/settle.ts): the pages read only stored rows. */
async function storedSubscription(communityId: string, userId: string, row: Partial<typeof schema.subscriptions.$inferInsert> = {}) {
  const now = Date.now();
  await db()
    .insert(schema.subscriptions)
    .values({
      id: `sub_${Math.random().toString(36).slice(2)}`,
      communityId,
      userId,
      tierKey: "vip",
      stripePriceId: "price_test",
      interval: "month",
      currency: "twd",
      status: "active",
      mrr: 30000,
      currentPeriodEnd: new Date("2027-01-15T04:00:00Z"),
      createdAt: new Date(now - 86_400_000),
      updatedAt: new Date(now),
      ...row,
    });
}

const location = (answer: unknown) => (answer instanceof Response ? answer.headers.get("Location") : null);
const form = (fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
};

describe("billing pages", () => {
  it("a checkout form names a paid tier and an interval: free, unknown tiers and intervals are refused; the interval defaults to month", () => {
    expect(checkoutChoice(form({ tier: "vip", interval: "year" }))).toEqual({ tier: "vip", interval: "year" });
    expect(checkoutChoice(form({ tier: "member" }))).toEqual({ tier: "member", interval: "month" });
    expect(checkoutChoice(form({ tier: "free", interval: "month" }))).toBeNull();
    expect(checkoutChoice(form({ tier: "gold", interval: "month" }))).toBeNull();
    expect(checkoutChoice(form({ tier: "vip", interval: "week" }))).toBeNull();
  });

  it("prices typed in major units become Stripe's minor units by the currency table, and show back the same way", () => {
    expect(toMinorUnits("300", "twd")).toBe(30000);
    expect(toMinorUnits("1,200", "jpy")).toBe(1200);
    expect(toMinorUnits("4.99", "usd")).toBe(499);
    expect(toMinorUnits("500", "isk")).toBe(50000);
    expect(toMinorUnits("0", "usd")).toBeNull();
    expect(toMinorUnits("abc", "usd")).toBeNull();
    expect(toMinorUnits("5", "xyz")).toBeNull();
    // typed amounts are taken exactly or refused, never rounded: a decimal comma would be 100× the price
    expect(toMinorUnits("4,99", "usd")).toBeNull();
    expect(toMinorUnits("4.999", "usd")).toBeNull();
    expect(toMinorUnits("1500.5", "jpy")).toBeNull();
    expect(toMinorUnits("300.5", "twd")).toBeNull();
    expect(toMinorUnits("1e3", "usd")).toBeNull();
    expect(toMinorUnits("12,00", "eur")).toBeNull();
    expect(toMinorUnits("1,234.50", "eur")).toBe(123450);
    expect(toMinorUnits(" 4.9 ", "usd")).toBe(490);
    expect(toMinorUnits("9".repeat(20), "usd")).toBeNull();
    // the plan page: a cancelled or refunded plan shows no renewal and offers Subscribe again
    expect(["active", "trialing", "past_due", "canceled", "incomplete_expired"].map(planIsLive)).toEqual([true, true, true, false, false]);
    expect(majorText({ amount: 30000, currency: "twd" })).toBe("300");
    expect(majorText({ amount: 499, currency: "usd" })).toBe("4.99");
  });

  it("money is written with its ISO code in both languages, so TWD never reads as a bare $ beside USD", () => {
    const nbsp = "\u00a0";
    expect(moneyText({ amount: 30000, currency: "twd" }, "zh-Hant")).toBe(`TWD${nbsp}300`);
    expect(moneyText({ amount: 30000, currency: "twd" }, "en")).toBe(`TWD${nbsp}300`);
    expect(moneyText({ amount: 499, currency: "usd" }, "zh-Hant")).toBe(`USD${nbsp}4.99`);
    expect(moneyText({ amount: 499, currency: "usd" }, "en")).toBe(`USD${nbsp}4.99`);
    expect(moneyText({ amount: 1200, currency: "jpy" }, "en")).toBe(`JPY${nbsp}1,200`);
    // a currency the table lacks: its code and the stored number, never a throw
    expect(moneyText({ amount: 5, currency: "xyz" }, "en")).toBe("XYZ 5");
  });

  it("an amount Stripe refuses is told by the rule it breaks, with the bound in major units", () => {
    expect(amountRefusal(30_050, "twd")).toEqual({ code: "amount_whole" });
    expect(amountRefusal(5_005, "kwd")).toEqual({ code: "amount_ends_in_zero" });
    expect(amountRefusal(30, "usd")).toEqual({ code: "amount_below_min", minimum: 0.5 });
    expect(amountRefusal(100_000_000, "usd")).toEqual({ code: "amount_above_max", maximum: 999_999.99 });
    expect(amountRefusal(500, "usd")).toEqual({ code: "amount_invalid" });
  });

  it("a refusal goes back to the page the form was on with its code, never to another site", () => {
    expect(location(backWithError("club", "/c/club/s/spc_1?x=1", "already_subscribed"))).toBe("/c/club/s/spc_1?x=1&billing_error=already_subscribed");
    expect(location(backWithError("club", "https://evil.example/", "stripe_unavailable"))).toBe("/c/club/billing?billing_error=stripe_unavailable");
    expect(location(backWithError("club", null, "price_not_published"))).toBe("/c/club/billing?billing_error=price_not_published");
  });

  it("a signed-out visitor's Subscribe goes to sign-up, which comes back to the pricing card they picked", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const answer = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, null, { intent: "checkout", tier: "vip", interval: "year" });
    expect(location(answer)).toBe(`/signup?next=${encodeURIComponent(`/c/${c.slug}/pricing?tier=vip&interval=year`)}`);
  });

  it("a signed-in stranger buys from a private community's published pricing page (buying is joining); unpublished, the page's form comes back refused", async () => {
    const c = await makeCommunity({ visibility: "private" });
    const stranger = await createUser();
    const from = `/c/${c.slug}/pricing`;
    const form = { intent: "checkout", tier: "vip", interval: "month", from };
    const refused = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, stranger, form);
    expect(location(refused)).toBe(`${from}?billing_error=not_found`);
    await publishPrices(c, { vip: { month: 30000 } });
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const sent = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, stranger, form);
    expect(location(sent)).toMatch(new RegExp(`^${env.STRIPE_API_BASE}/`));
    // a member only once the purchase completes (tests/api/billing-joining.test.ts)
    expect((await call(`/api/v1/communities/${c.slug}`, { as: stranger })).status).toBe(404);
  });

  it("a crafted checkout for the free tier comes back as invalid_choice", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const answer = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, member, { intent: "checkout", tier: "free", from: `/c/${c.slug}` });
    expect(location(answer)).toBe(`/c/${c.slug}?billing_error=invalid_choice`);
  });

  it("the plan page and GET billing/me answer from the same use case: the member's own plan, and a stranger gets the same 404", async () => {
    const c = await makeCommunity();
    const member = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, member.id);
    const page = (await loadPage(planLoader as unknown as Loader, `/c/${c.slug}/billing`, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    const api = await call(`/api/v1/communities/${c.slug}/billing/me`, { as: member });
    expect(api.status).toBe(200);
    expect(page.me).toEqual(api.body);
    const stranger = await createUser();
    expect((await call(`/api/v1/communities/${c.slug}/billing/me`, { as: stranger })).status).toBe(404);
    expect(statusOf(await loadPage(planLoader as unknown as Loader, `/c/${c.slug}/billing`, { slug: c.slug }, stranger))).toBe(404);
  });

  it("the portal form of a member who never checked out comes back as no_customer, as the portal route's 404 says", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    expect((await call(`/api/v1/communities/${c.slug}/billing/portal`, { as: member, body: {} })).status).toBe(404);
    const answer = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, member, { intent: "portal", from: `/c/${c.slug}/billing` });
    expect(location(answer)).toBe(`/c/${c.slug}/billing?billing_error=no_customer`);
  });

  it("a locked space offers no checkout button while the tier is not on sale (pricing unpublished): the prompt links to the plans instead", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const space = await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { name: "VIP lounge", kind: "discussion", minTier: "vip" } });
    expect(space.status).toBe(201);
    const spaceId = space.body.space.id as string;
    const context = await pageContext(member);
    expect(await upgradeOffer(context.get(cloudflareContext), c.slug, "vip")).toBeNull();
    expect(await upgradeOffer(context.get(cloudflareContext), c.slug, "free")).toBeNull();
    const page = await loadPage(spaceLoader as unknown as Loader, `/c/${c.slug}/s/${spaceId}`, { slug: c.slug, spaceId }, member);
    expect(statusOf(page)).toBe(403);
    expect((page as { data: { locked: boolean; offer: unknown } }).data).toMatchObject({ locked: true, offer: null });
  });

  it("once the owner publishes a VIP price, the locked space's Upgrade starts that checkout: the action redirects to the checkout page the route made", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const put = await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body: { currency: "twd", tiers: [{ key: "vip", month: 30000, year: null }] } });
    expect(put.status).toBe(200);
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const space = await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { name: "VIP lounge", kind: "discussion", minTier: "vip" } });
    const spaceId = space.body.space.id as string;
    const page = await loadPage(spaceLoader as unknown as Loader, `/c/${c.slug}/s/${spaceId}`, { slug: c.slug, spaceId }, member);
    expect((page as { data: { offer: unknown } }).data.offer).toEqual({ tier: "vip", interval: "month" });

    const answer = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, member, { intent: "checkout", tier: "vip", interval: "month", from: `/c/${c.slug}/s/${spaceId}` });
    const target = new URL(location(answer) ?? "");
    expect(`${target.protocol}//${target.host}`).toBe(env.STRIPE_API_BASE);
    // the year was withdrawn (null): that choice comes back to the space as not on sale
    const year = await postForm(billingAction as unknown as Action, `/c/${c.slug}/billing`, { slug: c.slug }, member, { intent: "checkout", tier: "vip", interval: "year", from: `/c/${c.slug}/s/${spaceId}` });
    expect(location(year)).toBe(`/c/${c.slug}/s/${spaceId}?billing_error=price_not_published`);
  });

  it("the owner's billing form saves prices typed in major units and publishes; an admin reads the settings and is refused a change", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const path = `/c/${c.slug}/settings/billing`;
    const fields = { intent: "billing", currency: "twd", member_month: "150", member_year: "", member_trialDays: "7", vip_month: "300", vip_year: "3,000", vip_trialDays: "0", allowPromotionCodes: "on", graceDays: "5", refundPolicy: "keep" };
    expect(location(await postForm(settingsAction as unknown as Action, path, { slug: c.slug }, c.owner, fields))).toBe(`${path}?saved=billing`);
    expect(location(await postForm(settingsAction as unknown as Action, path, { slug: c.slug }, c.owner, { intent: "publish" }))).toBe(`${path}?saved=publish`);
    const page = (await loadPage(settingsLoader as unknown as Loader, path, { slug: c.slug }, admin)) as Awaited<ReturnType<typeof settingsLoader>>;
    expect(page.isOwner).toBe(false);
    expect(page.billing?.settings).toEqual({ currency: "twd", allowPromotionCodes: true, graceDays: 5, refundPolicy: "keep", pricingPublished: true });
    const vip = page.billing?.tiers.find((x) => x.key === "vip");
    expect(vip?.prices).toEqual({ month: { amount: 30000, currency: "twd" }, year: { amount: 300000, currency: "twd" } });
    expect(page.billing?.tiers.find((x) => x.key === "member")).toMatchObject({ trialDays: 7, prices: { month: { amount: 15000, currency: "twd" }, year: null } });
    expect(statusOf(await postForm(settingsAction as unknown as Action, path, { slug: c.slug }, admin, fields))).toBe(403);
    // a plain member lacks the role: the 403 page, as the API answers (API.md)
    expect(statusOf(await loadPage(settingsLoader as unknown as Loader, path, { slug: c.slug }, await addMember(c)))).toBe(403);
    // a price that is not a number never reaches Stripe: the form names the field
    const bad = (await postForm(settingsAction as unknown as Action, path, { slug: c.slug }, c.owner, { ...fields, vip_month: "three hundred" })) as { data: { errors: { fields: Record<string, unknown> } } };
    expect(Object.keys(bad.data.errors.fields)).toEqual(["vip_month"]);
  });

  it("the member's plan page reads their stored subscription: tier, status, price per interval, renewal and cancel-at-period-end", async () => {
    const c = await makeCommunity();
    const member = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, member.id, { cancelAtPeriodEnd: true });
    const page = (await loadPage(planLoader as unknown as Loader, `/c/${c.slug}/billing`, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    expect(page.meFailed).toBe(false);
    expect(page.me?.tier).toBe("vip");
    expect(page.me?.subscription).toMatchObject({ tier: "vip", status: "active", interval: "month", amount: 30000, currency: "twd", cancelAtPeriodEnd: true, currentPeriodEnd: "2027-01-15T04:00:00.000Z" });
    // unpublished pricing is no offer, not a failure
    expect(page.pricing).toBeNull();

    const plain = await addMember(c);
    const none = (await loadPage(planLoader as unknown as Loader, `/c/${c.slug}/billing`, { slug: c.slug }, plain)) as Awaited<ReturnType<typeof planLoader>>;
    expect(none.me).toMatchObject({ subscription: null, tier: "free" });
    expect(statusOf(await loadPage(planLoader as unknown as Loader, `/c/${c.slug}/billing`, { slug: c.slug }, await createUser()))).toBe(404);
  });

  it("the revenue page is the owner's: an admin and a member get the 403 page; the owner sees the stored subscribers", async () => {
    const c = await makeCommunity();
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id);
    const owner = (await loadPage(revenueLoader as unknown as Loader, `/c/${c.slug}/revenue`, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof revenueLoader>>;
    expect(owner.revenue?.subscribers).toEqual({ active: 1, trialing: 0, pastDue: 0 });
    expect(owner.revenue?.mrr).toEqual([{ tier: "vip", currency: "twd", amount: 30000 }]);
    expect(statusOf(await loadPage(revenueLoader as unknown as Loader, `/c/${c.slug}/revenue`, { slug: c.slug }, await addMember(c, { role: "admin" })))).toBe(403);
    expect(statusOf(await loadPage(revenueLoader as unknown as Loader, `/c/${c.slug}/revenue`, { slug: c.slug }, payer))).toBe(403);
  });

  it("the billing form's refusals name each input and read in zh-Hant with no English: prices, trial days, grace days, refund policy, currency", async () => {
    const c = await makeCommunity();
    const path = `/c/${c.slug}/settings/billing`;
    const base = { intent: "billing", currency: "usd", member_month: "", member_year: "", member_trialDays: "0", vip_month: "", vip_year: "", vip_trialDays: "0", graceDays: "7", refundPolicy: "revoke" };
    type Refusal = { data: { errors: { fields: Record<string, FieldIssue> } } };
    const refuse = async (fields: Record<string, string>) => ((await postForm(settingsAction as unknown as Action, path, { slug: c.slug }, c.owner, { ...base, ...fields })) as Refusal).data.errors.fields;
    const zh = createI18n("zh-Hant").t;
    const english = /[A-Za-z]{3,}/g;
    /** The text a reader of zh-Hant sees for each issue: label and message, with the currency code the only Latin word allowed. */
    const said = (fields: Record<string, FieldIssue>) =>
      Object.entries(fields).map(([name, issue]) => `${issueLabel(zh, "billingSettings.fieldNames", name)}：${issueText(zh, issue)}`);
    const noEnglish = (lines: string[]) => lines.forEach((line) => expect(line.replace(/\b(USD|TWD|JPY|HUF|ISK|UGX|VIP|Stripe)\b/g, "").match(english), line).toBeNull());

    // the amount rules the route checks (USD's smallest charge is 0.50): the route's issue lands on the input, naming the currency
    const amount = await refuse({ vip_month: "0.3" });
    expect(Object.keys(amount)).toEqual(["vip_month"]);
    expect(amount.vip_month).toMatchObject({ code: "amount_below_min", currency: "usd", minimum: 0.5 });
    expect(issueText(zh, amount.vip_month)).toBe("Stripe 以 USD 收費的最低金額是 0.5，請至少輸入這個金額。");
    expect(issueText(createI18n("en").t, amount.vip_month)).toBe("Stripe's smallest charge in USD is 0.5: enter at least that.");
    noEnglish(said(amount));
    // zod's bounds on trial and grace days, by index in the body, land on the tier's input
    const days = await refuse({ vip_trialDays: "999", graceDays: "99" });
    expect(Object.keys(days).sort()).toEqual(["graceDays", "vip_trialDays"]);
    expect(issueText(zh, days.vip_trialDays)).toBe(zh("validation.too_big_number", { maximum: 730 }));
    noEnglish(said(days));
    const policy = await refuse({ refundPolicy: "sometimes" });
    expect(Object.keys(policy)).toEqual(["refundPolicy"]);
    noEnglish(said(policy));
    const currency = await refuse({ currency: "xyz", vip_month: "5" });
    expect(currency.currency).toMatchObject({ code: "currency_unsupported" });
    noEnglish(said(currency));
    const typed = await refuse({ vip_month: "4,99" });
    expect(typed.vip_month).toMatchObject({ code: "invalid_amount" });
    noEnglish(said(typed));
    // in a currency of whole units, the refusal never offers "4.99" as its example: cents are the problem
    const en = createI18n("en").t;
    for (const [currency, text, code] of [["twd", "4.99", "amount_whole"], ["jpy", "1500.5", "amount_whole"], ["twd", "4,99", "invalid_amount_whole"], ["huf", "abc", "invalid_amount_whole"]]) {
      const whole = await refuse({ currency, vip_month: text });
      expect(whole.vip_month, `${currency} ${text}`).toMatchObject({ code, currency });
      expect(issueText(en, whole.vip_month)).not.toContain("4.99");
      expect(issueText(zh, whole.vip_month)).not.toContain("4.99");
      expect(issueText(en, whole.vip_month)).toContain(currency.toUpperCase());
      noEnglish(said(whole));
    }
    // a rule this UI does not know yet still reads in zh-Hant, as does a field it has no label for
    expect(issueText(zh, { path: "x", code: "brand_new_rule", message: "Some new rule" })).toBe(zh("validation.invalid"));
    expect(issueLabel(zh, "billingSettings.fieldNames", "tiers.7.colour")).toBe(zh("validation.someField"));
  });

  it("revenue is charted per currency it was earned in: after the owner changes the currency, the months before still show their TWD, not zero", async () => {
    const c = await makeCommunity();
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id, { currency: "twd", mrr: 30000, createdAt: new Date(Date.now() - 70 * 86_400_000) });
    const settings = { currency: "usd", updatedAt: new Date() };
    await db().insert(schema.billingSettings).values({ communityId: c.id, ...settings }).onConflictDoUpdate({ target: schema.billingSettings.communityId, set: settings });
    const page = (await loadPage(revenueLoader as unknown as Loader, `/c/${c.slug}/revenue`, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof revenueLoader>>;
    const revenue = page.revenue!;
    expect(revenue.currency).toBe("usd");
    // the API's `history` stays the community currency's (zero in USD); every currency has its own series
    expect(revenue.history.every((h) => h.mrr === 0)).toBe(true);
    expect(revenue.historyByCurrency.map((s) => s.currency)).toEqual(["usd", "twd"]);
    const twd = revenue.historyByCurrency[1].history;
    expect(twd.at(-1)?.mrr).toBe(30000);
    expect(twd.at(-2)?.mrr).toBe(30000);
    const api = await call(`/api/v1/communities/${c.slug}/revenue`, { as: c.owner });
    expect(api.body.historyByCurrency).toEqual(revenue.historyByCurrency);
  });

  it("the success page for an unknown checkout or someone else's says no such checkout, the same for both", async () => {
    const c = await makeCommunity();
    const member = await addMember(c, { paidTier: "vip" });
    const other = await addMember(c);
    await storedSubscription(c.id, member.id, { checkoutSessionId: "cs_test_theirs" });
    const success = (user: typeof member, session: string) =>
      loadPage(successLoader as unknown as Loader, `/c/${c.slug}/billing/success?session_id=${session}`, { slug: c.slug }, user) as Promise<{ unknownSession?: boolean; done?: boolean }>;
    expect(await success(member, "cs_test_theirs")).toMatchObject({ unknownSession: false, done: true });
    expect(await success(other, "cs_test_theirs")).toMatchObject({ unknownSession: true, done: false });
    expect(await success(other, "cs_test_nobody")).toMatchObject({ unknownSession: true, done: false });
    expect(await success(other, "x".repeat(300))).toMatchObject({ unknownSession: true });
  });

  it("the owner and admins are offered nothing to buy on the plan and pricing pages; a member is", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30000 } });
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const admin = await addMember(c, { role: "admin" });
    const moderator = await addMember(c, { role: "moderator" });
    const member = await addMember(c);
    const staffOn = async (loader: Loader, page: string, user: typeof member) => ((await loadPage(loader, `/c/${c.slug}/${page}`, { slug: c.slug }, user)) as { staffRole: string | null }).staffRole;
    for (const page of ["billing", "pricing"]) {
      const loader = (page === "billing" ? planLoader : pricingLoader) as unknown as Loader;
      expect(await staffOn(loader, page, c.owner)).toBe("owner");
      expect(await staffOn(loader, page, admin)).toBe("admin");
      expect(await staffOn(loader, page, moderator)).toBeNull();
      expect(await staffOn(loader, page, member)).toBeNull();
    }
    const en = createI18n("en").t;
    expect(en("billing.staffHasEverything.owner")).toBe("You already have every space as the owner: there is nothing to buy.");
  });

  it("every billing, pricing and revenue string exists in English and Traditional Chinese", () => {
    const zh = createI18n("zh-Hant");
    const keys = (node: unknown, prefix: string): string[] =>
      node && typeof node === "object" ? Object.entries(node).flatMap(([k, v]) => keys(v, `${prefix}.${k}`)) : [prefix.replace(/_(one|other)$/, "")];
    const all = ["billing", "billingSettings", "pricing", "revenue"].flatMap((ns) => keys((en as Record<string, unknown>)[ns], ns));
    expect(all.length).toBeGreaterThan(100);
    const missing = all.filter((k) => !zh.exists(k, { count: 2 }) || zh.t(k, { count: 2, lng: "zh-Hant" }) === zh.t(k, { count: 2, lng: "en" }));
    expect(missing).toEqual([]);
  });
});

// ---- issue 14, tester's findings on the pages ---------------------------------------------------

/** A deployment without Stripe: no key, no stand-in (what `npm start -- --no-payments` serves). */
const NO_STRIPE = { STRIPE_SECRET_KEY: "", STRIPE_API_BASE: "", STRIPE_WEBHOOK_SECRET: "" };

/** The page context of `as` on a deployment with `vars` changed (the reader and D1 stay the test's). */
async function contextWith(vars: Partial<Env>, as: Awaited<ReturnType<typeof createUser>> | null): Promise<RouterContextProvider> {
  const context = await pageContext(as);
  const cf = context.get(cloudflareContext);
  context.set(cloudflareContext, { ...cf, env: { ...cf.env, ...vars } as Env });
  return context;
}

/** loadPage / postForm on a deployment without Stripe; a thrown answer is returned. */
async function withoutStripe(run: Loader, path: string, params: Record<string, string>, as: Awaited<ReturnType<typeof createUser>> | null, fields?: Record<string, string>) {
  const headers: Record<string, string> = as ? { Cookie: as.cookie } : {};
  const request = fields
    ? new Request(`${ORIGIN}${path}`, { method: "POST", headers: { ...headers, Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() })
    : new Request(`${ORIGIN}${path}`, { headers });
  try {
    return await run({ request, params, context: await contextWith(NO_STRIPE, as) });
  } catch (thrown) {
    return thrown;
  }
}

/**
 * The page component `Page` rendered to text as the browser first sees it (server render, in
 * `locale`), at `url` with `loaderData` — inside a data router, so its forms and hooks work.
 */
function pageHtml(Page: ComponentType<never>, url: string, loaderData: unknown, locale: "en" | "zh-Hant" = "en"): string {
  const path = new URL(url, ORIGIN).pathname;
  const Component = () => h(Page as ComponentType<Record<string, unknown>>, { loaderData, params: {}, matches: [] });
  const Stub = createRoutesStub([{ path, Component }]);
  return renderToString(h(I18nextProvider, { i18n: createI18n(locale) }, h(Stub, { initialEntries: [url] })));
}

/** pageHtml's visible text. */
const pageText = (...args: Parameters<typeof pageHtml>) => htmlText(pageHtml(...args));

/** HTML → its visible text with the entities React writes decoded, tags as spaces. */
const htmlText = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");

async function publishedCommunity(visibility: "public" | "private" = "public") {
  const c = await makeCommunity({ visibility });
  await publishPrices(c, { member: { month: 10000 }, vip: { month: 30000 } });
  expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
  return c;
}

describe("billing pages after the tester's report (issue 14)", () => {
  const say = createI18n("en").t;

  it("finding 1: without a Stripe key the pricing page sells nothing to a visitor or a member and says so; the owner reads how to configure", async () => {
    const c = await publishedCommunity();
    const member = await addMember(c);
    const path = `/c/${c.slug}/pricing`;
    expect(paymentsConfigured(env)).toBe(true);
    expect(paymentsConfigured({ ...env, ...NO_STRIPE } as Env)).toBe(false);

    const visitor = (await withoutStripe(pricingLoader as unknown as Loader, path, { slug: c.slug }, null)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(visitor.paymentsOn).toBe(false);
    const visitorText = pageText(CommunityPricing as ComponentType<never>, path, visitor);
    expect(visitorText).toContain(say("billing.paymentsOff.title"));
    expect(visitorText).toContain(say("billing.paymentsOff.body"));
    expect(visitorText).not.toContain(say("pricing.joinAndSubscribe"));
    expect(visitorText).not.toContain(say("pricing.haveAccount"));
    // the plans are still there to read, with their prices
    expect(visitorText).toMatch(/TWD\s300/);
    // the same page with payments on offers the sign-up (the contrast that makes the test mean something)
    const on = (await loadPage(pricingLoader as unknown as Loader, path, { slug: c.slug }, null)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(pageText(CommunityPricing as ComponentType<never>, path, on)).toContain(say("pricing.joinAndSubscribe"));

    // a visitor who signed up and came back to the card they picked: no Subscribe, no "choose again" welcome
    const back = `${path}?tier=vip&interval=month`;
    const signedUp = await createUser();
    const returned = (await withoutStripe(pricingLoader as unknown as Loader, back, { slug: c.slug }, signedUp)) as Awaited<ReturnType<typeof pricingLoader>>;
    const returnedText = pageText(CommunityPricing as ComponentType<never>, back, returned);
    expect(returnedText).not.toContain(say("pricing.subscribe", { tier: "VIP" }));
    expect(returnedText).not.toContain(say("pricing.continueHint"));
    expect(returnedText).toContain(say("billing.paymentsOff.title"));

    const asMember = (await withoutStripe(pricingLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof pricingLoader>>;
    const memberText = pageText(CommunityPricing as ComponentType<never>, path, asMember);
    expect(memberText).not.toMatch(/Subscribe to/);
    expect(memberText).toContain(say("billing.paymentsOff.title"));

    const owner = (await withoutStripe(pricingLoader as unknown as Loader, path, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof pricingLoader>>;
    const ownerText = pageText(CommunityPricing as ComponentType<never>, path, owner);
    expect(ownerText).toContain(say("billing.paymentsOff.staffTitle"));
    expect(ownerText).toContain(say("billing.paymentsOff.settingsLink"));
  });

  it("finding 1: without a Stripe key the plan page shows no Upgrade and no Manage billing, the locked space no checkout, and a checkout post is refused before any sign-up", async () => {
    const c = await publishedCommunity();
    const member = await addMember(c);
    const path = `/c/${c.slug}/billing`;
    const plan = (await withoutStripe(planLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    expect(plan.paymentsOn).toBe(false);
    const planText = pageText(CommunityBilling as ComponentType<never>, path, plan);
    expect(planText).not.toMatch(/Upgrade to/);
    expect(planText).toContain(say("billing.paymentsOff.body"));
    // with payments on the same member is offered both tiers
    const on = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    expect(pageText(CommunityBilling as ComponentType<never>, path, on)).toContain(say("billing.upgradeTo", { tier: "VIP" }));

    // a member who once paid: no portal button that could only fail
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id);
    const payerPlan = (await withoutStripe(planLoader as unknown as Loader, path, { slug: c.slug }, payer)) as Awaited<ReturnType<typeof planLoader>>;
    const payerText = pageText(CommunityBilling as ComponentType<never>, path, payerPlan);
    expect(payerText).not.toContain(say("billing.manage"));
    expect(payerText).toContain(say("billing.manageUnavailable"));

    // the locked VIP space: the price is published, but no checkout starts without Stripe
    const space = await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { name: "VIP lounge", kind: "discussion", minTier: "vip" } });
    const spaceId = space.body.space.id as string;
    const locked = await withoutStripe(spaceLoader as unknown as Loader, `/c/${c.slug}/s/${spaceId}`, { slug: c.slug, spaceId }, member);
    expect((locked as { data: { locked: boolean; offer: unknown } }).data).toMatchObject({ locked: true, offer: null });
    const lockedOn = await loadPage(spaceLoader as unknown as Loader, `/c/${c.slug}/s/${spaceId}`, { slug: c.slug, spaceId }, member);
    expect((lockedOn as { data: { offer: unknown } }).data.offer).toEqual({ tier: "vip", interval: "month" });
    // the community page's locked row leads to the plans without promising an upgrade
    const home = (await withoutStripe(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, member)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(home.paymentsOn).toBe(false);

    // a visitor's checkout (a page from before the keys went) comes back refused, not to sign-up first
    const fields = { intent: "checkout", tier: "vip", interval: "month", from: `/c/${c.slug}/pricing?tier=vip&interval=month` };
    const visitor = await withoutStripe(billingAction as unknown as Loader, path, { slug: c.slug }, null, fields);
    expect(location(visitor)).toBe(`/c/${c.slug}/pricing?tier=vip&interval=month&billing_error=payments_not_configured`);
    const asMember = await withoutStripe(billingAction as unknown as Loader, path, { slug: c.slug }, member, { ...fields, from: path });
    expect(location(asMember)).toBe(`${path}?billing_error=payments_not_configured`);
    const portal = await withoutStripe(billingAction as unknown as Loader, path, { slug: c.slug }, payer, { intent: "portal", from: path });
    expect(location(portal)).toBe(`${path}?billing_error=payments_not_configured`);
  });

  it("finding 5: the cancel page answers a signed-in visitor who came from the pricing page: nothing was charged, back to the plans; a member gets the plan page and the community", async () => {
    const c = await publishedCommunity("private");
    const path = `/c/${c.slug}/billing/cancel`;
    const visitor = await createUser();
    const page = (await loadPage(cancelLoader as unknown as Loader, path, { slug: c.slug }, visitor)) as Awaited<ReturnType<typeof cancelLoader>>;
    expect(page).toMatchObject({ member: false, community: { slug: c.slug, name: `Club ${c.slug}` } });
    const text = pageText(BillingCancel as ComponentType<never>, path, page);
    expect(text).toContain(say("billing.cancel.bodyVisitor"));
    expect(text).toContain(say("billing.cancel.backToPricing"));
    expect(text).not.toContain(say("billing.backToCommunity"));

    const member = await addMember(c);
    const asMember = (await loadPage(cancelLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof cancelLoader>>;
    expect(asMember.member).toBe(true);
    // unpublished: a stranger learns nothing about a private community (the 404 page, as before)
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: false } })).status).toBe(200);
    expect(statusOf(await loadPage(cancelLoader as unknown as Loader, path, { slug: c.slug }, visitor))).toBe(404);
  });

  it("finding 8: the success page of a tier that opens no space says it once, with no dangling lead-in; with spaces the lead-in heads the list", () => {
    const base = { pending: false, community: { slug: "club", name: "Club" }, viewer: null, sessionId: "cs_1", done: true, unknownSession: false, stillLocked: 0 };
    const url = "/c/club/billing/success?session_id=cs_1";
    const none = pageText(BillingSuccess as ComponentType<never>, url, { ...base, opened: [] });
    expect(none.split(say("billing.success.doneBody")).length - 1).toBe(1);
    expect(none).not.toContain(say("billing.success.spacesLead"));
    expect(none).toContain(say("billing.success.noSpaces"));
    const zh = pageText(BillingSuccess as ComponentType<never>, url, { ...base, opened: [] }, "zh-Hant");
    expect(zh).not.toContain("以下空間現在為你開放");
    expect(zh.split("你的新等級已生效。").length - 1).toBe(1);
    const some = pageText(BillingSuccess as ComponentType<never>, url, { ...base, opened: [{ id: "spc_1", name: "VIP lounge", kind: "discussion" }] });
    expect(some).toContain(`${say("billing.success.spacesLead")} VIP lounge`);
  });

  it("re-test finding 1: a tier that opens nothing while a space needs a higher tier says so, never that no space needs a paid tier", () => {
    const base = { pending: false, community: { slug: "club", name: "Club" }, viewer: null, sessionId: "cs_1", done: true, unknownSession: false, opened: [] };
    const url = "/c/club/billing/success?session_id=cs_1";
    const higher = pageText(BillingSuccess as ComponentType<never>, url, { ...base, stillLocked: 1 });
    expect(higher).toContain(say("billing.success.noSpacesHigher", { count: 1 }));
    expect(higher).not.toContain(say("billing.success.noSpaces"));
    const zh = pageText(BillingSuccess as ComponentType<never>, url, { ...base, stillLocked: 2 }, "zh-Hant");
    expect(zh).toContain("有 2 個空間需要更高的等級");
  });

  it("finding 4 (pages): the trial badge shows to someone who never subscribed here, and not to a member who had a plan before", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 10000, trialDays: 7 }, vip: { month: 30000 } });
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const badge = say("billing.trialBadge", { count: 7 });
    const fresh = await addMember(c);
    const former = await addMember(c);
    // a plan that ended: any stored subscription here uses up the trial (ADR 041)
    await storedSubscription(c.id, former.id, { tierKey: "member", status: "canceled", mrr: 0 });
    const planPath = `/c/${c.slug}/billing`;
    const pricingPath = `/c/${c.slug}/pricing`;
    for (const [who, shows] of [[fresh, true], [former, false]] as const) {
      const plan = (await loadPage(planLoader as unknown as Loader, planPath, { slug: c.slug }, who)) as Awaited<ReturnType<typeof planLoader>>;
      expect(plan.me?.trialEligible).toBe(shows);
      expect(pageText(CommunityBilling as ComponentType<never>, planPath, plan).includes(badge)).toBe(shows);
      const pricing = (await loadPage(pricingLoader as unknown as Loader, pricingPath, { slug: c.slug }, who)) as Awaited<ReturnType<typeof pricingLoader>>;
      expect(pageText(CommunityPricing as ComponentType<never>, pricingPath, pricing).includes(badge)).toBe(shows);
    }
  });

  it("finding 7 (pages): the plan page shows what the member pays after a discount, with the list price beside it", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const vip = await makePrice(c, "vip", 1499, "month", "eur");
    await deliverAll((await checkoutWithCode(c, member, "vip", vip, "WELCOME10")).subscriptionId);
    const path = `/c/${c.slug}/billing`;
    const plan = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    expect(plan.me?.subscription).toMatchObject({ amount: 1349, listAmount: 1499 });
    const text = pageText(CommunityBilling as ComponentType<never>, path, plan);
    expect(text).toMatch(/EUR\s13\.49/);
    // the page's text has Intl's no-break space after the code as a plain one
    expect(text).toContain(say("billing.afterDiscount", { price: moneyText({ amount: 1499, currency: "eur" }, "en") }).replace(/\u00a0/g, " "));
  });

  it("finding 10: the owner's plan page says every space by role, with no tier of theirs and no card marked as their plan", async () => {
    const c = await publishedCommunity();
    const path = `/c/${c.slug}/billing`;
    const page = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof planLoader>>;
    const text = pageText(CommunityBilling as ComponentType<never>, path, page);
    expect(text).toContain(`${say("billing.accessLabel")} ${say("billing.staffAccess.owner")}`);
    expect(text).not.toContain(say("billing.noSubscription"));
    expect(text).not.toContain(`${say("billing.yourTier")} `);
    expect(text).toContain(say("billing.staffHasEverything.owner"));
    // no tier card carries the "Your plan" badge (each card's markup runs from its data-tier to the next)
    const cards = pageHtml(CommunityBilling as ComponentType<never>, path, page).split('data-tier="').slice(1);
    expect(cards.length).toBe(3);
    for (const card of cards) expect(htmlText(card)).not.toContain(say("billing.currentPlan"));
    expect(text).not.toMatch(/Upgrade to/);
    const admin = await addMember(c, { role: "admin" });
    const adminPage = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, admin)) as Awaited<ReturnType<typeof planLoader>>;
    expect(pageText(CommunityBilling as ComponentType<never>, path, adminPage)).toContain(say("billing.staffAccess.admin"));
    // a plain member still has a tier and a card marked as theirs
    const member = await addMember(c);
    const memberPage = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    const memberText = pageText(CommunityBilling as ComponentType<never>, path, memberPage);
    expect(memberText).toContain(`${say("billing.yourTier")} Free`);
    const memberCards = pageHtml(CommunityBilling as ComponentType<never>, path, memberPage).split('data-tier="').slice(1);
    expect(htmlText(memberCards.find((card) => card.startsWith("free")) ?? "")).toContain(say("billing.currentPlan"));
  });

  it("finding 15: a past-due plan says until when it keeps the tier: the end of the community's grace from when it fell past due", async () => {
    const c = await makeCommunity();
    const member = await addMember(c, { paidTier: "vip" });
    const since = Date.now() - 2 * 86_400_000;
    await storedSubscription(c.id, member.id, { status: "past_due", pastDueSince: new Date(since) });
    const settings = { graceDays: 5, updatedAt: new Date() };
    await db().insert(schema.billingSettings).values({ communityId: c.id, ...settings }).onConflictDoUpdate({ target: schema.billingSettings.communityId, set: settings });
    const ends = new Date(since + 5 * 86_400_000).toISOString();
    // the API says it (GET …/billing/me `graceEndsAt`, settle.ts's rule), and the page shows that
    expect((await call(`/api/v1/communities/${c.slug}/billing/me`, { as: member })).body.subscription.graceEndsAt).toBe(ends);
    const path = `/c/${c.slug}/billing`;
    const page = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, member)) as Awaited<ReturnType<typeof planLoader>>;
    expect(page.me?.subscription?.graceEndsAt).toBe(ends);
    const text = pageText(CommunityBilling as ComponentType<never>, path, page);
    expect(text).toContain(say("billing.graceUntil", { tier: "VIP" }));
    expect(text).not.toContain(say("billing.renews"));
    expect(text).toContain(say("billing.pastDueHelp", { tier: "VIP" }));
    // an active plan has no grace to tell
    const active = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, active.id);
    expect(((await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, active)) as Awaited<ReturnType<typeof planLoader>>).me?.subscription?.graceEndsAt).toBeNull();
  });

  it("finding 16: full-width digits, commas and points typed with an IME are prices, in the parser and in the owner's form", async () => {
    expect(toMinorUnits("１２", "usd")).toBe(1200);
    expect(toMinorUnits("１，２００", "jpy")).toBe(1200);
    expect(toMinorUnits("４．９９", "usd")).toBe(499);
    expect(toMinorUnits("\u3000３００\u3000", "twd")).toBe(30000);
    // the ideographic full stop is not a decimal point: refused, never read as 499 or 49900
    expect(toMinorUnits("4。99", "usd")).toBeNull();
    expect(toMinorUnits("４，９９", "usd")).toBeNull();

    const c = await makeCommunity();
    const path = `/c/${c.slug}/settings/billing`;
    const fields = { intent: "billing", currency: "jpy", member_month: "", member_year: "", member_trialDays: "０", vip_month: "１，２００", vip_year: "１２０００", vip_trialDays: "１４", allowPromotionCodes: "", graceDays: "５", refundPolicy: "revoke" };
    expect(location(await postForm(settingsAction as unknown as Action, path, { slug: c.slug }, c.owner, fields))).toBe(`${path}?saved=billing`);
    const page = (await loadPage(settingsLoader as unknown as Loader, path, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof settingsLoader>>;
    expect(page.billing?.tiers.find((x) => x.key === "vip")).toMatchObject({ trialDays: 14, prices: { month: { amount: 1200, currency: "jpy" }, year: { amount: 12000, currency: "jpy" } } });
    expect(page.billing?.settings.graceDays).toBe(5);
  });

  it("finding 9 (pages): the API's checkoutRefusal hides Subscribe with its reason; a value the page does not know reads as a generic line", async () => {
    const c = await publishedCommunity();
    const payer = await addMember(c, { paidTier: "member" });
    await storedSubscription(c.id, payer.id, { tierKey: "member" });
    const path = `/c/${c.slug}/pricing`;
    const page = (await loadPage(pricingLoader as unknown as Loader, path, { slug: c.slug }, payer)) as Awaited<ReturnType<typeof pricingLoader>>;
    // the same refusal GET …/pricing answers
    const api = await call(`/api/v1/communities/${c.slug}/pricing`, { as: payer });
    expect(page.checkoutRefusal).toBe("manage_in_portal");
    expect(api.body.checkoutRefusal).toBe(page.checkoutRefusal);
    const context = await pageContext(payer);
    expect((await pricingRefusal(context.get(cloudflareContext), c.slug)).refusal).toBe("manage_in_portal");
    const text = pageText(CommunityPricing as ComponentType<never>, path, page);
    expect(text).not.toMatch(/Subscribe to/);
    expect(text).toContain(say("billing.refusal.manage_in_portal"));
    // the plan page says it once, with no per-card buttons
    const plan = (await loadPage(planLoader as unknown as Loader, `/c/${c.slug}/billing`, { slug: c.slug }, payer)) as Awaited<ReturnType<typeof planLoader>>;
    const planText = pageText(CommunityBilling as ComponentType<never>, `/c/${c.slug}/billing`, plan);
    expect(planText).not.toMatch(/Upgrade to/);
    // on the plan page itself: Manage billing is "above", not "on your plan page"
    expect(planText.split(say("billing.refusal.manage_in_portal_here")).length - 1).toBe(1);
    expect(planText).not.toContain(say("billing.refusal.manage_in_portal"));

    // each value in the reader's words; one the server adds later is never shown as its code
    const notice = (refusal: string, locale: "en" | "zh-Hant" = "en") =>
      pageText((() => h(CheckoutRefusalNotice, { refusal, role: null })) as ComponentType<never>, "/x", null, locale);
    expect(notice("banned")).toContain(say("billing.refusal.banned"));
    expect(notice("banned", "zh-Hant")).toContain("你已被這個社群停權，因此無法在這裡購買方案或加入。");
    expect(notice("some_new_reason")).toContain(say("billing.refusal.generic"));
    expect(notice("some_new_reason")).not.toContain("some_new_reason");
    expect(pageText((() => h(CheckoutRefusalNotice, { refusal: "role_grants_every_tier", role: "admin" })) as ComponentType<never>, "/x", null)).toContain(say("billing.staffHasEverything.admin"));
  });

  it("finding 6: the community page knows what Leave would end that a member paid for: the tier, the paid period's end, whether it renews", async () => {
    const c = await makeCommunity();
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id);
    const home = (await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, payer)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(home.paidPlan).toEqual({ tier: "vip", periodEnd: "2027-01-15T04:00:00.000Z", renewing: true, trialing: false });
    const plain = await addMember(c);
    expect(((await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, plain)) as Awaited<ReturnType<typeof communityLoader>>).paidPlan).toBeNull();
    const ending = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, ending.id, { cancelAtPeriodEnd: true });
    expect(((await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, ending)) as Awaited<ReturnType<typeof communityLoader>>).paidPlan).toMatchObject({ renewing: false });
    // what the question says, in both languages
    expect(say("community.leavePaid", { tier: "VIP", date: "Jan 15, 2027" })).toBe(
      "You pay for VIP here. Leaving ends that access now, not on Jan 15, 2027 when the period you paid for ends; the plan stops renewing, so you are not charged again.",
    );
    expect(createI18n("zh-Hant").t("community.leaveQuestion", { name: "茶會" })).toBe("要退出「茶會」嗎？你將立即失去其空間的存取權。");
  });
});

describe("billing pages after the second tester's report (issue 14)", () => {
  const say = createI18n("en").t;
  const trialBadge = say("billing.trialBadge", { count: 14 });
  /** A published community whose VIP tier has a 14-day trial. */
  async function trialCommunity() {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 10000 }, vip: { month: 30000, trialDays: 14 } });
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    return c;
  }
  const pricingPath = (c: { slug: string }) => `/c/${c.slug}/pricing`;

  it("a member made admin while paying reads that the role opens every space and the plan still renews, with Manage billing beside it", async () => {
    const c = await trialCommunity();
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id);
    const path = `/c/${c.slug}/billing`;
    const before = pageText(CommunityBilling as ComponentType<never>, path, await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, payer));
    expect(before).not.toContain(say("billing.staffPlanRenews", { tier: "VIP", role: say("roles.admin") }));
    expect((await call(`/api/v1/communities/${c.slug}/members/${payer.id}`, { method: "PATCH", as: c.owner, body: { role: "admin" } })).status).toBe(200);
    const page = await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, payer);
    const text = pageText(CommunityBilling as ComponentType<never>, path, page);
    expect(text).toContain(say("billing.staffPlanRenews", { tier: "VIP", role: say("roles.admin") }));
    expect(text).toContain(say("billing.manage"));
    expect(pageText(CommunityBilling as ComponentType<never>, path, page, "zh-Hant")).toContain("仍會續訂並收費");
    // once it is set to cancel, there is nothing to warn about
    await db().update(schema.subscriptions).set({ cancelAtPeriodEnd: true }).where(eq(schema.subscriptions.userId, payer.id));
    const ending = pageText(CommunityBilling as ComponentType<never>, path, await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, payer));
    expect(ending).not.toContain(say("billing.staffPlanRenews", { tier: "VIP", role: say("roles.admin") }));
  });

  it("a cancelled plan shows its status but no price: it charges nothing", async () => {
    const c = await trialCommunity();
    const former = await addMember(c);
    await storedSubscription(c.id, former.id, { status: "canceled", mrr: 0 });
    const path = `/c/${c.slug}/billing`;
    const page = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, former)) as Awaited<ReturnType<typeof planLoader>>;
    expect(page.me?.subscription).toMatchObject({ status: "canceled" });
    const text = pageText(CommunityBilling as ComponentType<never>, path, page);
    expect(text).toContain(say("billing.status.canceled"));
    expect(text).not.toContain(say("billing.price"));
    // a live plan beside it in another community still shows what it costs (the contrast)
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id);
    expect(pageText(CommunityBilling as ComponentType<never>, path, await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, payer))).toContain(say("billing.price"));
  });

  it("a free trial set to cancel reads 'Trial ends, nothing charged' with its date and no price — not 'Cancels on' with the list price", async () => {
    const c = await trialCommunity();
    const trying = await addMember(c);
    const started = await call(`/api/v1/communities/${c.slug}/checkout`, { as: trying, body: { tier: "vip", interval: "month" } });
    await payAt(started.body.url);
    const subId = (await checkoutAsStored(started.body.url.split("/checkout/")[1])).session.subscription;
    await deliverAll(subId);
    await stripe.subscriptions.update(subId, { cancel_at_period_end: true });
    await deliver(await lastEvent(subId, "customer.subscription.updated"));
    const path = `/c/${c.slug}/billing`;
    const page = (await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, trying)) as Awaited<ReturnType<typeof planLoader>>;
    expect(page.me?.subscription).toMatchObject({ status: "trialing", cancelAtPeriodEnd: true });
    const text = pageText(CommunityBilling as ComponentType<never>, path, page);
    // the date inside the sentence, spaced: "Trial ends on Dec 8, 2026, nothing charged"
    expect(text).toMatch(/Trial ends on [A-Z][a-z]{2} \d{1,2}, \d{4}\s*, nothing charged/);
    expect(text).not.toContain("Cancels on");
    expect(text).not.toContain(say("billing.price"));
    expect(pageText(CommunityBilling as ComponentType<never>, path, page, "zh-Hant")).toMatch(/試用將於 .{4,30}\s*結束，不會扣款/);
    // Settings → Payments says the same
    const account = await loadPage(accountBillingLoader as unknown as Loader, "/settings/billing", {}, trying);
    expect(pageText(AccountBilling as ComponentType<never>, "/settings/billing", account)).toMatch(/Trial ends on \S+ \d{1,2}, \d{4}\s*, nothing charged/);
    // a trial that goes on to be paid still shows its price and when the trial ends (the contrast)
    await stripe.subscriptions.update(subId, { cancel_at_period_end: false });
    await deliver(await lastEvent(subId, "customer.subscription.updated"));
    const renewing = pageText(CommunityBilling as ComponentType<never>, path, await loadPage(planLoader as unknown as Loader, path, { slug: c.slug }, trying));
    expect(renewing).toContain(say("billing.price"));
    expect(renewing).toContain(say("billing.trialEnds"));
  });

  it("a price set through PATCH /tiers but not published: the home shows no price for it and the owner's Billing page says it waits there", async () => {
    const c = await trialCommunity();
    const member = await addMember(c);
    const home = async () => pageText((await import("../../app/routes/community")).default as ComponentType<never>, `/c/${c.slug}`, await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, member));
    expect(await home()).toMatch(/TWD\s100/);
    const patched = await call(`/api/v1/communities/${c.slug}/tiers/member`, { method: "PATCH", as: c.owner, body: { prices: [{ interval: "month", amount: 35000, currency: "TWD" }] } });
    expect(patched.status).toBe(200);
    expect(patched.body.tier.prices).toEqual([expect.objectContaining({ interval: "month", amount: 35000, currency: "TWD", published: false })]);
    const text = await home();
    expect(text).not.toMatch(/TWD\s350/);
    expect(text).toContain(say("community.notOnSale"));
    // VIP, still published, keeps its price (the contrast)
    expect(text).toMatch(/TWD\s300/);
    const path = `/c/${c.slug}/settings/billing`;
    const settings = (await loadPage(settingsLoader as unknown as Loader, path, { slug: c.slug }, c.owner)) as Awaited<ReturnType<typeof settingsLoader>>;
    expect(settings.billing?.tiers.find((x) => x.key === "member")).toMatchObject({ prices: { month: null }, drafts: { month: { amount: 35000, currency: "twd" } } });
    // the draft is a hint under its field (it may be in another currency than the one chosen): typed in and saved, it is sold
    const settingsText = pageText(BillingSettingsPage as ComponentType<never>, path, settings);
    expect(settingsText).toContain(say("billingSettings.draftHint", { price: "TWD 350" }));
    expect(pageHtml(BillingSettingsPage as ComponentType<never>, path, settings)).not.toMatch(/value="350"/);
    expect(pageText(BillingSettingsPage as ComponentType<never>, path, settings, "zh-Hant")).toContain("尚未販售");
  });

  it("GET /me/billing pages by ?limit= and ?cursor= like every list, and refuses a bad limit or cursor with 400", async () => {
    const payer = await createUser();
    // the second page starts after a CJK name: the cursor carries it
    const names = ["Alpha club", "Beta 創作者實驗室", "Gamma club"];
    for (const name of names) {
      const c = await makeCommunity();
      await db().update(schema.communities).set({ name }).where(eq(schema.communities.id, c.id));
      await db().insert(schema.billingCustomers).values({ userId: payer.id, communityId: c.id, stripeCustomerId: `cus_${c.id}`, createdAt: new Date() });
      await storedSubscription(c.id, payer.id);
    }
    const first = await call("/api/v1/me/billing?limit=2", { as: payer });
    expect(first.status).toBe(200);
    expect(first.body.items.map((a: { community: { name: string } }) => a.community.name)).toEqual(["Alpha club", "Beta 創作者實驗室"]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(`/api/v1/me/billing?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { as: payer });
    expect(second.body.items.map((a: { community: { name: string } }) => a.community.name)).toEqual(["Gamma club"]);
    expect(second.body.nextCursor).toBeNull();
    expect((await call("/api/v1/me/billing?limit=abc", { as: payer })).status).toBe(400);
    const badCursor = await call("/api/v1/me/billing?cursor=zzz", { as: payer });
    expect([badCursor.status, badCursor.body.error.code]).toEqual([400, "validation_failed"]);
    // the Payments page pages the same way
    const page = (await loadPage(accountBillingLoader as unknown as Loader, `/settings/billing?cursor=${encodeURIComponent(first.body.nextCursor)}`, {}, payer)) as Awaited<ReturnType<typeof accountBillingLoader>>;
    expect(page.accounts.map((a) => a.community.name)).toEqual(["Gamma club"]);
    expect(pageText(AccountBilling as ComponentType<never>, "/settings/billing", page)).toContain(say("common.firstPage"));
  });

  it("Leave tells a member on a free trial that nothing was paid and the trial is given once — never that they paid", async () => {
    const c = await trialCommunity();
    const trying = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, trying.id, { status: "trialing", mrr: 0, trialEnd: new Date("2026-12-20T04:00:00Z"), currentPeriodEnd: new Date("2026-12-20T04:00:00Z") });
    const home = (await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, trying)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(home.paidPlan).toEqual({ tier: "vip", periodEnd: "2026-12-20T04:00:00.000Z", renewing: true, trialing: true });
    const { default: CommunityPage } = await import("../../app/routes/community");
    const text = pageText(CommunityPage as ComponentType<never>, `/c/${c.slug}`, home);
    expect(text).toContain("You are trying VIP free until");
    expect(text).toContain("a trial is given only once here");
    expect(text).not.toContain("You pay for");
    expect(pageText(CommunityPage as ComponentType<never>, `/c/${c.slug}`, home, "zh-Hant")).toContain("你正在免費試用 VIP");
    // a paying member still reads that they pay
    const payer = await addMember(c, { paidTier: "vip" });
    await storedSubscription(c.id, payer.id);
    const paying = (await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, payer)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(paying.paidPlan).toMatchObject({ trialing: false });
    expect(pageText(CommunityPage as ComponentType<never>, `/c/${c.slug}`, paying)).toContain("You pay for VIP here");
  });

  it("a banned user who never joined reads why they cannot buy, and is offered no trial", async () => {
    const c = await trialCommunity();
    const stranger = await createUser();
    // the contrast: before the ban the trial is theirs
    const before = (await loadPage(pricingLoader as unknown as Loader, pricingPath(c), { slug: c.slug }, stranger)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(before.trialEligible).toBe(true);
    expect(pageText(CommunityPricing as ComponentType<never>, pricingPath(c), before)).toContain(trialBadge);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: stranger.id, reason: "spam" } })).status).toBe(201);
    const page = (await loadPage(pricingLoader as unknown as Loader, pricingPath(c), { slug: c.slug }, stranger)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(page).toMatchObject({ checkoutRefusal: "banned", trialEligible: false });
    const text = pageText(CommunityPricing as ComponentType<never>, pricingPath(c), page);
    expect(text).toContain(say("billing.refusal.banned"));
    expect(say("billing.refusal.banned")).toMatch(/banned/);
    expect(text).not.toContain(trialBadge);
    const api = await call(`/api/v1/communities/${c.slug}/pricing`, { as: stranger });
    expect(api.body).toMatchObject({ checkoutRefusal: "banned", trialEligible: false });
  });

  it("with payments off, the pricing page offers no trial and a locked space asks for the tier from the admins, not 'Upgrade'", async () => {
    const c = await trialCommunity();
    const member = await addMember(c);
    const offPricing = (await withoutStripe(pricingLoader as unknown as Loader, pricingPath(c), { slug: c.slug }, member)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(offPricing.trialEligible).toBe(false);
    expect(pageText(CommunityPricing as ComponentType<never>, pricingPath(c), offPricing)).not.toContain(trialBadge);
    const visitor = (await withoutStripe(pricingLoader as unknown as Loader, pricingPath(c), { slug: c.slug }, null)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(pageText(CommunityPricing as ComponentType<never>, pricingPath(c), visitor)).not.toContain(trialBadge);
    // with payments on, the same member is offered it
    const on = (await loadPage(pricingLoader as unknown as Loader, pricingPath(c), { slug: c.slug }, member)) as Awaited<ReturnType<typeof pricingLoader>>;
    expect(pageText(CommunityPricing as ComponentType<never>, pricingPath(c), on)).toContain(trialBadge);
    // the community home's plans say the same: a trial line only where checkout would give one
    const { default: CommunityPage } = await import("../../app/routes/community");
    const trialLine = say("community.trial", { count: 14 });
    const homeOff = (await withoutStripe(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, member)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(homeOff.trialEligible).toBe(false);
    expect(pageText(CommunityPage as ComponentType<never>, `/c/${c.slug}`, homeOff)).not.toContain(trialLine);
    const homeOn = (await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, member)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(pageText(CommunityPage as ComponentType<never>, `/c/${c.slug}`, homeOn)).toContain(trialLine);
    const hadOne = await addMember(c);
    await storedSubscription(c.id, hadOne.id, { status: "canceled", mrr: 0 });
    const homeUsed = (await loadPage(communityLoader as unknown as Loader, `/c/${c.slug}`, { slug: c.slug }, hadOne)) as Awaited<ReturnType<typeof communityLoader>>;
    expect(pageText(CommunityPage as ComponentType<never>, `/c/${c.slug}`, homeUsed)).not.toContain(trialLine);

    const space = await call(`/api/v1/communities/${c.slug}/spaces`, { as: c.owner, body: { name: "VIP lounge", kind: "discussion", minTier: "vip" } });
    const spaceId = space.body.space.id as string;
    const spacePath = `/c/${c.slug}/s/${spaceId}`;
    const { default: SpacePage } = await import("../../app/routes/community-space");
    const off = (await withoutStripe(spaceLoader as unknown as Loader, spacePath, { slug: c.slug, spaceId }, member)) as { data: unknown };
    const offText = pageText(SpacePage as ComponentType<never>, spacePath, off.data);
    expect(offText).toContain(say("spaces.lockedBodyAskAdmin", { tier: "VIP" }));
    expect(offText).not.toContain(say("spaces.lockedBody", { tier: "VIP" }));
    expect(offText).not.toContain(say("spaces.upgradeTo", { tier: "VIP" }));
    const onSpace = (await loadPage(spaceLoader as unknown as Loader, spacePath, { slug: c.slug, spaceId }, member)) as { data: unknown };
    expect(pageText(SpacePage as ComponentType<never>, spacePath, onSpace.data)).toContain(say("spaces.lockedBody", { tier: "VIP" }));
  });
  it("the account's Payments page lists a community the payer left, says so, and its Manage billing opens that community's portal", async () => {
    const c = await trialCommunity();
    const payer = await addMember(c);
    const started = await call(`/api/v1/communities/${c.slug}/checkout`, { as: payer, body: { tier: "member", interval: "month" } });
    await payAt(started.body.url);
    await deliverAll((await checkoutAsStored(started.body.url.split("/checkout/")[1])).session.subscription);
    const path = "/settings/billing";
    const asMember = (await loadPage(accountBillingLoader as unknown as Loader, path, {}, payer)) as Awaited<ReturnType<typeof accountBillingLoader>>;
    expect(asMember.accounts).toMatchObject([{ community: { slug: c.slug }, member: true, plan: { tier: "member", status: "active" } }]);
    expect(pageText(AccountBilling as ComponentType<never>, path, asMember)).not.toContain(say("accountBilling.notMember"));
    expect(pageText(AccountBilling as ComponentType<never>, path, asMember)).toContain(say("billing.manageHelp"));

    expect((await call(`/api/v1/communities/${c.slug}/leave`, { method: "POST", as: payer })).status).toBeLessThan(300);
    const left = (await loadPage(accountBillingLoader as unknown as Loader, path, {}, payer)) as Awaited<ReturnType<typeof accountBillingLoader>>;
    expect(left.accounts).toMatchObject([{ community: { slug: c.slug }, member: false }]);
    const text = pageText(AccountBilling as ComponentType<never>, path, left);
    expect(text).toContain(say("accountBilling.notMember"));
    expect(text).toContain(say("billing.manage"));
    // a former member's portal cannot switch plans (ADR 042): the help says so
    expect(text).toContain(say("accountBilling.manageHelp"));
    expect(text).not.toContain(say("billing.manageHelp"));
    // read right after leaving: already set to cancel (billing's access listener), never "still renews"
    expect(text).not.toContain(say("accountBilling.renewsAfterLeaving"));
    expect(pageText(AccountBilling as ComponentType<never>, path, left, "zh-Hant")).toContain("目前不是成員");
    const portal = await postForm(accountBillingAction as unknown as Action, path, {}, payer, { intent: "portal", community: c.slug });
    expect(location(portal)).toMatch(new RegExp(`^${env.STRIPE_API_BASE}/`));
    // a slug where they have no account comes back to this page with the notice, not an error page
    const refused = await postForm(accountBillingAction as unknown as Action, path, {}, payer, { intent: "portal", community: "no-such-place" });
    expect(location(refused)).toBe(`${path}?billing_error=no_customer`);

    // someone with no payments reads what the page is for
    const none = (await loadPage(accountBillingLoader as unknown as Loader, path, {}, await createUser())) as Awaited<ReturnType<typeof accountBillingLoader>>;
    expect(pageText(AccountBilling as ComponentType<never>, path, none)).toContain(say("accountBilling.emptyTitle"));
    // signed out: the sign-in page
    expect(statusOf(await loadPage(accountBillingLoader as unknown as Loader, path, {}, null))).toBe(302);
  });
});
