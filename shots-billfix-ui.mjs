// Screenshots of the billing pages changed for issue 14's tester findings (1, 5, 6, 8, 10, 15), against
// a running `npm start` (demo data). Two modes:
//   npx node shots-billfix-ui.mjs on  [port] [stand-in port]   — with the Stripe stand-in (npm start)
//   npx node shots-billfix-ui.mjs off [port]                   — with `npm start -- --no-payments`
// Shots go to /tmp/billfix-ui-shots/. Not part of the test suite.
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [mode = "on", port = "8871", siPort = "8872"] = process.argv.slice(2);
const ORIGIN = `http://127.0.0.1:${port}`;
const SI = `http://127.0.0.1:${siPort}`;
const out = "/tmp/billfix-ui-shots";
mkdirSync(out, { recursive: true });
const slug = "creator-lab";
const stamp = Date.now().toString(36);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function context(locale = "en-US", width = 375) {
  return browser.newContext({ baseURL: ORIGIN, locale, viewport: { width, height: 900 } });
}
async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(`${ORIGIN}${path}`, { method, data, headers: { Origin: ORIGIN } });
  const text = await res.text();
  if (!res.ok()) throw new Error(`${method} ${path} → ${res.status()} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}
const login = (ctx, email) => api(ctx, "POST", "/api/v1/auth/login", { email, password: "enclave-demo-2026" });
async function newcomer(ctx, name, invite = true) {
  const user = await api(ctx, "POST", "/api/v1/auth/signup", { name, email: `${name.toLowerCase()}-${stamp}@example.com`, password: "shots pass 12345" });
  if (invite) await api(ctx, "POST", "/api/v1/invites/welcome-demo/accept", {});
  return user;
}
/** Buys `tier` monthly through the API and pays it in the stand-in; the subscription id. */
async function buy(ctx, tier) {
  const { url } = await api(ctx, "POST", `/api/v1/communities/${slug}/checkout`, { tier, interval: "month" });
  const session = url.split("/").pop();
  const paid = await (await fetch(`${SI}/_stand-in/checkout/${session}/pay`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).json();
  await sleep(2500);
  return { session, sub: paid.result?.subscription?.id ?? paid.result?.subscription };
}
async function shot(page, name) {
  await page.screenshot({ path: `${out}/${mode}-${name}.png`, fullPage: true });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  console.log(`${name}${wide ? "  (SCROLLS SIDEWAYS)" : ""}`);
}

if (mode === "on") {
  // 15: past due — buy VIP, fail the renewal in the stand-in
  const late = await context();
  await newcomer(late, "Late");
  const { sub } = await buy(late, "vip");
  await fetch(`${SI}/_stand-in/subscriptions/${sub}/fail`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  await sleep(2500);
  const latePage = await late.newPage();
  await latePage.goto(`/c/${slug}/billing`);
  await shot(latePage, "plan-past-due-375");

  // 6: a paying member's Leave question
  const payer = await context();
  await newcomer(payer, "Payer");
  await buy(payer, "vip");
  const payerPage = await payer.newPage();
  await payerPage.goto(`/c/${slug}`);
  await payerPage.getByText("Leave community", { exact: true }).click();
  await shot(payerPage, "leave-paying-375");
  await payerPage.setViewportSize({ width: 1280, height: 900 });
  await shot(payerPage, "leave-paying-1280");

  // 8: the success page of a tier that opens no space (member tier), if it opens none
  const small = await context();
  await newcomer(small, "Small");
  const bought = await buy(small, "member");
  const smallPage = await small.newPage();
  await smallPage.goto(`/c/${slug}/billing/success?session_id=${bought.session}`);
  await smallPage.locator('[data-testid="checkout-done"]').waitFor({ timeout: 20_000 });
  await shot(smallPage, "success-member-375");

  // 5: a signed-in visitor cancels the checkout from the pricing page
  const visitor = await context("zh-TW");
  await newcomer(visitor, "Visitor", false);
  const visitorPage = await visitor.newPage();
  await visitorPage.goto(`/c/${slug}/pricing`);
  await visitorPage.locator('li[data-tier="vip"] button').first().click();
  await visitorPage.getByRole("button", { name: "Cancel" }).click();
  await visitorPage.waitForURL(`**/c/${slug}/billing/cancel`);
  await shot(visitorPage, "cancel-visitor-zh-375");

  // 10: the owner's plan page
  const owner = await context("zh-TW");
  await login(owner, "owner@demo.enclave.test");
  const ownerPage = await owner.newPage();
  await ownerPage.goto(`/c/${slug}/billing`);
  await shot(ownerPage, "plan-owner-zh-375");
} else {
  // 1: payments not configured — visitor, member, locked space, owner
  const anon = await context();
  const anonPage = await anon.newPage();
  await anonPage.goto(`/c/${slug}/pricing`);
  await shot(anonPage, "pricing-anon-375");
  const member = await context("zh-TW");
  await login(member, "member@demo.enclave.test");
  const memberPage = await member.newPage();
  await memberPage.goto(`/c/${slug}/billing`);
  await shot(memberPage, "plan-member-zh-375");
  await memberPage.goto(`/c/${slug}/s/spc_demo_vip`);
  await shot(memberPage, "locked-space-zh-375");
  await memberPage.goto(`/c/${slug}`);
  await shot(memberPage, "community-member-zh-375");
  await memberPage.goto(`/c/${slug}/pricing`);
  await shot(memberPage, "pricing-member-zh-375");
  const owner = await context();
  await login(owner, "owner@demo.enclave.test");
  const ownerPage = await owner.newPage();
  await ownerPage.goto(`/c/${slug}/pricing`);
  await shot(ownerPage, "pricing-owner-375");
  const billing = await api(owner, "GET", `/api/v1/communities/${slug}/billing`);
  console.log("GET billing configured:", billing.configured);
}
await browser.close();
