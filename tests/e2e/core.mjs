// The first flow: sign-up → verify → community → invite → second user joins → language switch,
// tier prices, 404 page and my-data, with axe checks on the main pages.
import assert from "node:assert/strict";

export default async function coreFlow({ browser, ORIGIN, step, axe, shot, expectOk, watch }) {
  const stamp = Date.now().toString(36);
  const a = { name: "Mei Lin", email: `mei-${stamp}@example.com`, password: "correct horse 42" };
  const b = { name: "Kai Chen", email: `kai-${stamp}@example.com`, password: "another good one 7" };
  const slug = `tea-${stamp}`;
  const communityName = "Taipei Tea Circle";
  let inviteUrl = "";

  const ctxA = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 }, permissions: ["clipboard-read", "clipboard-write"] });
  const pageA = await ctxA.newPage();
  watch(pageA, "A");

  await step("landing page explains Enclave and passes axe", async () => {
    await expectOk(pageA, await pageA.goto("/"));
    assert.equal(await pageA.getAttribute("html", "lang"), "en");
    await pageA.getByRole("link", { name: "Create your free account" }).waitFor();
    await shot(pageA, "01-landing");
    await axe(pageA, "landing");
  });

  await step("user A signs up", async () => {
    await expectOk(pageA, await pageA.goto("/signup"));
    await axe(pageA, "signup");
    await pageA.getByLabel("Name").fill(a.name);
    await pageA.getByLabel("Email").fill(a.email);
    await pageA.getByLabel("Password").fill(a.password);
    await Promise.all([pageA.waitForURL(`${ORIGIN}/`), pageA.getByRole("button", { name: "Create account" }).click()]);
    await pageA.getByText("Check your email to verify your address.").waitFor();
    await shot(pageA, "02-signed-up");
  });

  await step("user A verifies the email from the dev outbox", async () => {
    await expectOk(pageA, await pageA.goto("/dev/outbox"));
    const mail = pageA.locator(`li[data-mail-to="${a.email}"]`).first();
    await mail.waitFor();
    await shot(pageA, "03-outbox");
    const link = mail.locator('a[href*="/verify-email?token="]').first();
    await Promise.all([pageA.waitForURL(/\/verify-email\?status=/), link.click()]);
    await pageA.getByRole("heading", { name: "Your email is verified" }).waitFor();
    assert.equal(await pageA.getByText("Check your email to verify your address.").count(), 0, "the verify banner is still shown");
  });

  await step("user A creates a community", async () => {
    await expectOk(pageA, await pageA.goto("/communities/new"));
    await pageA.getByLabel("Community name").fill(communityName);
    await pageA.getByLabel("Web address").fill(slug);
    await pageA.getByLabel("Description").fill("Slow mornings, good oolong, and the people who love both.");
    await Promise.all([pageA.waitForURL(`${ORIGIN}/c/${slug}`), pageA.getByRole("button", { name: "Create community" }).click()]);
    await pageA.getByRole("heading", { level: 1, name: communityName }).waitFor();
    await shot(pageA, "04-community-home-owner");
    await axe(pageA, "community home");
  });

  await step("user A creates an Instagram invite and copies its link", async () => {
    await expectOk(pageA, await pageA.goto(`/c/${slug}/invites`));
    await pageA.getByLabel("Where you will share it").selectOption("instagram");
    await pageA.getByLabel("Maximum uses").fill("25");
    await Promise.all([pageA.waitForURL(/\/invites\?created=/), pageA.getByRole("button", { name: "Create invite link" }).click()]);
    const shown = (await pageA.getByTestId("new-invite-url").textContent())?.trim() ?? "";
    assert.match(shown, new RegExp(`^${ORIGIN}/invite/[A-Za-z0-9_-]+$`));
    await pageA.getByTestId("new-invite-url").locator("xpath=..").getByRole("button", { name: "Copy link" }).click();
    await pageA.getByRole("button", { name: "Copied" }).first().waitFor();
    inviteUrl = await pageA.evaluate(() => navigator.clipboard.readText());
    assert.equal(inviteUrl, shown, "the clipboard holds the invite URL");
    const row = pageA.locator(`[data-invite-code]`).first();
    await row.getByText("Instagram").waitFor();
    await shot(pageA, "05-invites");
  });

  await step("an invite that ends on a day works to the end of that day in its creator's time zone", async () => {
    const tz = await pageA.request.patch("/api/v1/me", { data: { timezone: "Asia/Taipei" } });
    assert.equal(tz.status(), 200, "the time zone is saved");
    await expectOk(pageA, await pageA.goto(`/c/${slug}/invites`));
    await pageA.getByText("Asia/Taipei").first().waitFor(); // the hint names the zone the day ends in
    const year = new Date().getUTCFullYear() + 1;
    await pageA.getByLabel("Expires on").fill(`${year}-12-31`);
    await Promise.all([pageA.waitForURL(/\/invites\?created=/), pageA.getByRole("button", { name: "Create invite link" }).click()]);
    const code = new URL(pageA.url()).searchParams.get("created");
    const list = await (await pageA.request.get(`/api/v1/communities/${slug}/invites?limit=100`)).json();
    const invite = list.items.find((i) => i.code === code);
    assert.equal(invite?.expiresAt, `${year}-12-31T15:59:59.000Z`, "23:59:59 in Taipei is 15:59:59 UTC");
    await pageA.locator(`[data-invite-code="${code}"]`).getByText(`Expires Dec 31, ${year}`).waitFor();
  });

  const ctxB = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 375, height: 812 } });
  const pageB = await ctxB.newPage();
  watch(pageB, "B");

  await step("user B opens the invite link and sees the preview", async () => {
    await expectOk(pageB, await pageB.goto(inviteUrl));
    await pageB.getByRole("heading", { level: 1, name: communityName }).waitFor();
    await pageB.getByRole("link", { name: "Sign up to join" }).waitFor();
    await shot(pageB, "06-invite-preview-mobile");
    await axe(pageB, "invite preview");
  });

  await step("user B signs up from the invite and accepts it", async () => {
    await Promise.all([pageB.waitForURL(/\/signup\?next=/), pageB.getByRole("link", { name: "Sign up to join" }).click()]);
    await pageB.getByLabel("Name").fill(b.name);
    await pageB.getByLabel("Email").fill(b.email);
    await pageB.getByLabel("Password").fill(b.password);
    await Promise.all([pageB.waitForURL(/\/invite\//), pageB.getByRole("button", { name: "Create account" }).click()]);
    await Promise.all([pageB.waitForURL(new RegExp(`/c/${slug}`)), pageB.getByRole("button", { name: "Accept invitation" }).click()]);
    await pageB.getByRole("heading", { level: 1, name: communityName }).waitFor();
    await pageB.getByText(`Welcome to ${communityName}!`).waitFor();
    await shot(pageB, "07-community-home-member-mobile");
  });

  await step("user B switches to 中文 and sees Traditional Chinese", async () => {
    await Promise.all([pageB.waitForURL(new RegExp(`/c/${slug}`)), pageB.getByRole("button", { name: "中文" }).click()]);
    await pageB.waitForFunction(() => document.documentElement.lang === "zh-Hant");
    assert.equal(await pageB.getAttribute("html", "lang"), "zh-Hant");
    await pageB.getByRole("heading", { name: "關於社群" }).waitFor();
    await pageB.getByRole("heading", { name: "會員方案" }).waitFor();
    // the choice is saved on the account: a fresh load stays in Chinese
    await pageB.reload();
    assert.equal(await pageB.getAttribute("html", "lang"), "zh-Hant");
    await shot(pageB, "08-community-home-zh-mobile");
  });

  await step("a form error from the API reads in Chinese for a Chinese reader", async () => {
    await expectOk(pageB, await pageB.goto("/communities/new"));
    await pageB.getByLabel("社群名稱").fill("管理員俱樂部");
    await pageB.getByLabel("社群網址").fill("admin");
    await pageB.getByRole("button", { name: "建立社群" }).click();
    await pageB.getByText("這個網址已保留，請換一個。").waitFor();
    assert.equal(await pageB.getByText("This slug is reserved.").count(), 0, "the API's English message is not shown");
  });

  await step("members page lists both people and passes axe", async () => {
    await expectOk(pageA, await pageA.goto(`/c/${slug}/members`));
    await pageA.getByText(b.name).first().waitFor();
    await pageA.getByText("via Instagram").first().waitFor();
    await shot(pageA, "09-members");
    await axe(pageA, "members");
  });

  await step("owner prices VIP in yen and members see JPY 1,200 (zero-decimal currency, shown by its code)", async () => {
    // prices live in the billing settings, synced to the run's Stripe stand-in (ADR 037, 039)
    await expectOk(pageA, await pageA.goto(`/c/${slug}/settings/billing`));
    await pageA.getByLabel("Currency").selectOption("jpy");
    // the price fields are labelled in the currency just chosen, before saving: 1200 is typed as yen
    await pageA.getByLabel("Monthly price (JPY)").first().waitFor();
    await pageA.locator('input[name="vip_month"]').fill("1200");
    await pageA.locator('input[name="vip_year"]').fill("12000");
    await Promise.all([pageA.waitForURL(/saved=billing/), pageA.getByRole("button", { name: "Save and publish prices" }).click()]);
    await expectOk(pageA, await pageA.goto(`/c/${slug}`));
    const card = pageA.locator("li", { has: pageA.getByRole("heading", { name: "VIP" }) });
    // amounts carry the currency's code, never an ambiguous symbol (app/lib/billing.ts moneyText);
    // Intl puts a no-break space after it
    await card.getByText(/JPY\s1,200\b/).waitFor();
    await card.getByText(/JPY\s12,000\b/).waitFor();
  });

  await step("an unknown URL answers a 404 page", async () => {
    pageB.expectErrors(/status of 404/);
    const res = await pageB.goto("/no/such/page");
    assert.equal(res.status(), 404);
    await pageB.getByRole("heading", { level: 1, name: "找不到這個頁面" }).waitFor();
  });

  await step("my-data page shows consents and passes axe", async () => {
    await expectOk(pageB, await pageB.goto("/settings/data"));
    await pageB.getByRole("heading", { level: 1, name: "我的資料" }).waitFor();
    await shot(pageB, "10-my-data-zh-mobile");
    await axe(pageB, "my data (zh-Hant)");
    await expectOk(pageA, await pageA.goto("/settings/data"));
    await axe(pageA, "my data");
  });

}
