// Payments in the browser (issue 14) against the Stripe stand-in that run.mjs starts beside the
// server: the owner sets prices and publishes the pricing page; a member opens the VIP space
// (locked), clicks Upgrade, leaves the stand-in's checkout with Cancel (the cancel page says
// nothing was charged), upgrades again and pays: the success page waits for the webhook and then
// the VIP space opens. A signed-out visitor (繁體中文, a 375 px phone) reads the pricing page,
// signs up from it, comes back to the card and pays. The owner's revenue page counts both, and
// after a change of currency still charts the TWD earned. In 繁體中文 on a phone the owner reaches
// every tab, reads refused prices in Chinese, is offered nothing to buy, and an unknown checkout
// says it was not found. The owner's plan says every space by role; a visitor who cancels the
// checkout from the pricing page reads that nothing was charged and goes back to the plans; Leave
// asks a paying member first and says what happens to the plan.
// Accounts, the community and its VIP space are set up through the API; the rest goes through the UI.
import assert from "node:assert/strict";
import { api } from "./api.mjs";

export default async function billingFlow({ browser, ORIGIN, step, shot, expectOk, watch, fitsWidth, axe }) {
  const stamp = Date.now().toString(36);
  const slug = `pay-${stamp}`;
  const owner = { name: "Olivia Owner", email: `owner-pay-${stamp}@example.com`, password: "owner pass 12345" };
  const mem = { name: "Max Member", email: `max-pay-${stamp}@example.com`, password: "max pass 12345" };
  const visitor = { name: "小華", email: `hua-pay-${stamp}@example.com`, password: "hua pass 12345" };
  const ctxOwner = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ctxMember = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ctxVisitor = await browser.newContext({ baseURL: ORIGIN, locale: "zh-TW", viewport: { width: 375, height: 812 } });
  const pageOwner = watch(await ctxOwner.newPage(), "pay-owner");
  const pageMember = watch(await ctxMember.newPage(), "pay-member");
  const pageVisitor = watch(await ctxVisitor.newPage(), "pay-visitor");
  let vipSpace = "";
  /** The stand-in's test checkout page, plainly labelled, for `tier`. */
  const onCheckout = async (page, tierName) => {
    // the stand-in serves no favicon; Chromium asks for one on its page
    page.expectErrors(/favicon\.ico/);
    await page.getByText("Enclave test checkout — no real payment").waitFor({ timeout: 20_000 });
    await page.getByRole("heading", { name: tierName }).waitFor();
  };

  await step("billing: the owner opens a community with a VIP space; a member joins (API)", async () => {
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/auth/signup", owner);
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/communities", { slug, name: "Pay Club", visibility: "public", description: "Tea tastings every week." });
    const space = await api(ctxOwner, ORIGIN, "POST", `/api/v1/communities/${slug}/spaces`, { name: "VIP lounge", kind: "discussion", minTier: "vip" });
    vipSpace = space.space.id;
    await api(ctxMember, ORIGIN, "POST", "/api/v1/auth/signup", mem);
    await api(ctxMember, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
  });

  await step("billing: the owner sets monthly and yearly prices in TWD and publishes the pricing page", async () => {
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/settings`));
    await pageOwner.getByRole("link", { name: "Open billing settings" }).first().click();
    await pageOwner.waitForURL(`**/c/${slug}/settings/billing`);
    await pageOwner.getByLabel("Currency").selectOption("twd");
    await pageOwner.locator('input[name="member_month"]').fill("100");
    await pageOwner.locator('input[name="vip_month"]').fill("300");
    await pageOwner.locator('input[name="vip_year"]').fill("3000");
    await pageOwner.getByRole("button", { name: "Save and publish prices" }).click();
    await pageOwner.getByText("Prices saved and published to Stripe.").waitFor({ timeout: 20_000 });
    assert.equal(await pageOwner.locator('input[name="vip_month"]').inputValue(), "300");
    await pageOwner.getByRole("button", { name: "Publish pricing page" }).click();
    await pageOwner.getByText("The pricing page is public now.").waitFor();
    await pageOwner.getByRole("link", { name: `${ORIGIN}/c/${slug}/pricing` }).waitFor();
    await shot(pageOwner, "90-billing-settings");
  });

  await step("billing: the member's VIP space is locked with an Upgrade button; Cancel on the checkout says nothing was charged", async () => {
    await expectOk(pageMember, await pageMember.goto(`/c/${slug}`));
    pageMember.expectErrors(/status of 403/); // the locked space answers 403, as the API does
    await pageMember.goto(`/c/${slug}/s/${vipSpace}`);
    await pageMember.getByRole("heading", { name: "VIP lounge needs the VIP tier" }).waitFor();
    await shot(pageMember, "91-billing-locked-space");
    await pageMember.getByRole("button", { name: "Upgrade to VIP" }).click();
    await onCheckout(pageMember, "VIP");
    await pageMember.getByRole("button", { name: "Cancel" }).click();
    await pageMember.waitForURL(`**/c/${slug}/billing/cancel`);
    await pageMember.getByText("You left the checkout, so nothing was charged and your plan is unchanged.").waitFor();
  });

  await step("billing: the member upgrades and pays; the success page waits for the webhook, then the VIP space opens", async () => {
    pageMember.expectErrors(/status of 403/);
    await pageMember.goto(`/c/${slug}/s/${vipSpace}`);
    await pageMember.getByRole("button", { name: "Upgrade to VIP" }).click();
    await onCheckout(pageMember, "VIP");
    await pageMember.getByRole("button", { name: "Pay" }).click();
    await pageMember.waitForURL(new RegExp(`/c/${slug}/billing/success\\?session_id=`));
    await pageMember.locator('[data-testid="checkout-done"]').waitFor({ timeout: 60_000 });
    await shot(pageMember, "92-billing-success");
    await pageMember.getByRole("link", { name: "VIP lounge" }).click();
    await pageMember.waitForURL(`**/c/${slug}/s/${vipSpace}`);
    assert.equal(await pageMember.getByRole("heading", { name: "VIP lounge needs the VIP tier" }).count(), 0, "the VIP space is open");
    await expectOk(pageMember, await pageMember.goto(`/c/${slug}/billing`));
    await pageMember.locator('[data-testid="plan-status"]', { hasText: "Active" }).waitFor();
    assert.equal(await pageMember.locator('[data-testid="plan-tier"]').innerText(), "VIP");
    await shot(pageMember, "93-billing-plan");
    // Manage billing opens the (stand-in's) customer portal, which lists the subscription and leads back
    await pageMember.getByRole("button", { name: "Manage billing" }).click();
    await pageMember.getByRole("heading", { name: "Your subscriptions" }).waitFor({ timeout: 20_000 });
    await pageMember.getByRole("link", { name: "Back" }).click();
    await pageMember.waitForURL(`**/c/${slug}/billing`);
  });

  await step("billing: a signed-out visitor reads the pricing page on a phone in 繁體中文, signs up from it and pays", async () => {
    await expectOk(pageVisitor, await pageVisitor.goto(`/c/${slug}/pricing`));
    const vip = pageVisitor.locator('li[data-tier="vip"]');
    // money carries its ISO code in every language: zh-Hant would write TWD as a bare "$" (Intl's home style)
    await vip.getByText(/^TWD\s300$/).waitFor();
    assert.equal(await pageVisitor.getByText(/^\$/).count(), 0, "no amount reads as a bare $");
    await pageVisitor.getByRole("button", { name: "年付" }).click();
    await vip.getByText(/^TWD\s3,000$/).waitFor();
    await shot(pageVisitor, "94-billing-pricing-zh-mobile");
    await fitsWidth(pageVisitor, "the pricing page on a phone");
    await axe(pageVisitor, "pricing page");
    await vip.getByRole("link", { name: "加入並訂閱" }).click();
    await pageVisitor.waitForURL(/\/signup\?next=/);
    await pageVisitor.locator('input[name="name"]').fill(visitor.name);
    await pageVisitor.locator('input[name="email"]').fill(visitor.email);
    await pageVisitor.locator('input[name="password"]').fill(visitor.password);
    await pageVisitor.getByRole("button", { name: "建立帳號" }).click();
    // signed up, they go straight on to the checkout of the card they picked (no second click)
    await onCheckout(pageVisitor, "VIP");
    await pageVisitor.getByText("per year").waitFor();
    await pageVisitor.getByRole("button", { name: "Pay" }).click();
    await pageVisitor.waitForURL(new RegExp(`/c/${slug}/billing/success\\?session_id=`));
    await pageVisitor.locator('[data-testid="checkout-done"]').waitFor({ timeout: 60_000 });
    await pageVisitor.getByRole("link", { name: "VIP lounge" }).waitFor();
  });

  await step("billing: the owner's revenue page counts the two subscribers and the monthly revenue", async () => {
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/revenue`));
    assert.equal(await pageOwner.locator('[data-testid="revenue-active"]').innerText(), "2");
    // 300 a month and 3,000 a year (250 a month)
    assert.match(await pageOwner.locator('[data-testid="mrr-vip-twd"]').innerText(), /550/);
    await pageOwner.getByRole("img", { name: /Monthly recurring revenue in TWD by month/ }).waitFor();
    await shot(pageOwner, "95-billing-revenue");
    // the owner's pages fit a phone too
    await pageOwner.setViewportSize({ width: 375, height: 812 });
    for (const path of [`/c/${slug}/revenue`, `/c/${slug}/settings/billing`, `/c/${slug}/billing`]) {
      await expectOk(pageOwner, await pageOwner.goto(path));
      await fitsWidth(pageOwner, `${path} on a phone`);
    }
    await shot(pageOwner, "96-billing-settings-mobile");
  });

  await step("billing: the owner changes the currency to USD; the revenue chart still shows the TWD earned, labelled TWD, not zero", async () => {
    await pageOwner.setViewportSize({ width: 1280, height: 900 });
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/settings/billing`));
    await pageOwner.getByLabel("Currency").selectOption("usd");
    for (const [input, value] of [["member_month", "4"], ["member_year", ""], ["vip_month", "10"], ["vip_year", ""]]) await pageOwner.locator(`input[name="${input}"]`).fill(value);
    await pageOwner.getByRole("button", { name: "Save and publish prices" }).click();
    await pageOwner.getByText("Prices saved and published to Stripe.").waitFor({ timeout: 20_000 });
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/revenue`));
    const twd = pageOwner.locator('[data-testid="revenue-chart-twd"]');
    await twd.getByRole("heading", { name: "MRR in TWD" }).waitFor();
    // this month's TWD 550 (300 + 3,000 / 12), in the currency it was earned in
    await twd.getByRole("img", { name: /in TWD by month: .*TWD\s550$/ }).waitFor();
    await shot(pageOwner, "97-billing-revenue-two-currencies");
  });

  await step("billing: in 繁體中文 on a phone the owner reaches every tab, reads refused prices in Chinese, is offered nothing to buy, and an unknown checkout says so", async () => {
    await pageOwner.setViewportSize({ width: 375, height: 812 });
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}`));
    await pageOwner.getByRole("button", { name: "中文", exact: true }).click();
    await pageOwner.getByRole("link", { name: "設定", exact: true }).waitFor();
    // every tab lies inside the phone's width (before, 設定 was cut off at the edge of a scrolling row)
    const tabs = await pageOwner.getByRole("navigation", { name: "社群頁面" }).getByRole("link").evaluateAll((links) =>
      links.map((a) => ({ text: a.textContent, left: a.getBoundingClientRect().left, right: a.getBoundingClientRect().right })),
    );
    assert.deepEqual(tabs.map((x) => x.text), ["首頁", "搜尋", "成員", "訊息", "邀請", "方案", "營收", "設定"]);
    for (const tab of tabs) assert.ok(tab.left >= 0 && tab.right <= 375, `the ${tab.text} tab is inside the phone's width (${Math.round(tab.left)}–${Math.round(tab.right)})`);
    await shot(pageOwner, "98-billing-tabs-zh-mobile");

    // refused prices: each input says why in Chinese, and the list names the inputs in Chinese
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/settings/billing`));
    const issues = pageOwner.locator('[data-testid="billing-issues"]');
    /** Submits `fields` and waits for the refusal that says `expected`; none of its text is English. */
    const refuse = async (fields, expected) => {
      pageOwner.expectErrors(/status of 400/);
      for (const [input, value] of Object.entries(fields)) await pageOwner.locator(`input[name="${input}"]`).fill(value);
      await pageOwner.locator('button[value="billing"]').click();
      await issues.filter({ hasText: expected }).waitFor();
      const text = await issues.innerText();
      assert.equal(text.replace(/\b(USD|VIP|Stripe)\b/g, "").match(/[A-Za-z]{3,}/), null, `no English in: ${text}`);
    };
    await refuse({ vip_month: "0.3" }, "VIP，月費：Stripe 以 USD 收費的最低金額是 0.5，請至少輸入這個金額。");
    await shot(pageOwner, "99-billing-refused-zh-mobile");
    await refuse({ vip_month: "10", vip_trialDays: "999" }, "VIP，免費試用：請輸入 730 或以下。");

    // the owner already has every space: no Subscribe on the pricing or plan page
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/pricing`));
    await pageOwner.getByText("你是擁有者，已可進入所有空間，不需購買。").waitFor();
    assert.equal(await pageOwner.getByRole("button", { name: /訂閱/ }).count(), 0, "no Subscribe for the owner");
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/billing`));
    await pageOwner.getByText("你是擁有者，已可進入所有空間，不需購買。").waitFor();
    assert.equal(await pageOwner.getByRole("button", { name: /升級/ }).count(), 0, "no Upgrade for the owner");
    // every space by role, not "Tier Free" with the Free card marked as the owner's plan (finding 10)
    assert.equal(await pageOwner.locator('[data-testid="plan-tier"]').innerText(), "以擁有者身分可進入所有空間");
    assert.equal(await pageOwner.locator("li[data-tier]").getByText("目前方案").count(), 0, "no card marked as the owner's plan");
    await shot(pageOwner, "99b-billing-owner-plan-zh-mobile");

    // a checkout that is not the reader's: titled as not found, with the way back
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}/billing/success?session_id=cs_test_not_theirs`));
    assert.match(await pageOwner.title(), /^找不到這筆結帳 · /);
    await pageOwner.locator('[data-testid="checkout-unknown"]').waitFor();
    await pageOwner.getByRole("link", { name: "回到社群" }).click();
    await pageOwner.waitForURL(`**/c/${slug}`);
  });

  await step("billing: a signed-in visitor who cancels the checkout from the pricing page reads that nothing was charged and goes back to the plans", async () => {
    const ctxStranger = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 375, height: 812 } });
    const pageStranger = watch(await ctxStranger.newPage(), "pay-stranger");
    await api(ctxStranger, ORIGIN, "POST", "/api/v1/auth/signup", { name: "Sam Stranger", email: `sam-pay-${stamp}@example.com`, password: "sam pass 12345" });
    await expectOk(pageStranger, await pageStranger.goto(`/c/${slug}/pricing`));
    await pageStranger.locator('li[data-tier="vip"]').getByRole("button", { name: "Subscribe to VIP" }).click();
    await onCheckout(pageStranger, "VIP");
    await pageStranger.getByRole("button", { name: "Cancel" }).click();
    // before: the 404 page, since they are not a member (finding 5)
    await pageStranger.waitForURL(`**/c/${slug}/billing/cancel`);
    await pageStranger.getByText("You left the checkout, so nothing was charged and you have not joined.").waitFor();
    await shot(pageStranger, "99c-billing-cancel-visitor-mobile");
    await fitsWidth(pageStranger, "the visitor's cancel page on a phone");
    await pageStranger.getByRole("link", { name: "Back to the plans" }).click();
    await pageStranger.waitForURL(`**/c/${slug}/pricing`);
    await ctxStranger.close();
  });

  await step("billing: Leave asks first and tells a paying member the plan stops renewing and access ends now, with the way to the plan", async () => {
    await pageMember.setViewportSize({ width: 375, height: 812 });
    await expectOk(pageMember, await pageMember.goto(`/c/${slug}`));
    // one click no longer leaves (finding 6): the question opens first
    await pageMember.getByText("Leave community", { exact: true }).click();
    await pageMember.getByText("Leave Pay Club? You lose access to its spaces right away.").waitFor();
    const note = pageMember.locator('[data-testid="leave-paid-plan"]');
    assert.match(await note.innerText(), /^You pay for VIP here\. Leaving ends that access now, not on .+ when the period you paid for ends; the plan stops renewing, so you are not charged again\./);
    await note.getByRole("link", { name: "See your plan" }).waitFor();
    await shot(pageMember, "99d-billing-leave-paying-mobile");
    await fitsWidth(pageMember, "the Leave question on a phone");
    await pageMember.getByRole("button", { name: "Leave", exact: true }).click();
    await pageMember.waitForURL(`${ORIGIN}/`);
  });

  await step("billing: after leaving, the account's Payments page still lists the plan and opens its portal for receipts", async () => {
    await expectOk(pageMember, await pageMember.goto("/settings/billing"));
    const card = pageMember.locator('[data-testid="billing-accounts"] li').filter({ hasText: "Pay Club" });
    await card.getByText("Not a member now").waitFor();
    await shot(pageMember, "99e-billing-account-payments-mobile");
    await fitsWidth(pageMember, "the account's Payments page on a phone");
    await card.getByRole("button", { name: "Manage billing for Pay Club" }).click();
    await pageMember.getByText("Enclave test billing portal", { exact: false }).first().waitFor();
  });

  await ctxOwner.close();
  await ctxMember.close();
  await ctxVisitor.close();
}
