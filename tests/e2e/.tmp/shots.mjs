import { chromium } from "playwright-core";
const O = "http://127.0.0.1:8787";
const out = "/tmp/shots";
import fs from "node:fs"; fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
const stamp = Date.now().toString(36);
const errors = [];
async function session(name, email) {
  const ctx = await browser.newContext({ baseURL: O, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto("/signup");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("password123");
  await Promise.all([page.waitForURL(O + "/"), page.getByRole("button", { name: "Create account" }).click()]);
  return { ctx, page };
}
const snap = async (page, name, widths = [1280, 375]) => {
  for (const w of widths) {
    await page.setViewportSize({ width: w, height: w > 500 ? 900 : 812 });
    await page.screenshot({ path: `${out}/${name}-${w}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
};
const anon = await (await browser.newContext({ baseURL: O })).newPage();
for (const [p, n] of [["/signup", "signup"], ["/login", "login"], ["/forgot-password", "forgot"], ["/nope", "404"], ["/invite/doesnotexist", "invite-bad"], ["/docs/api", "docs"]]) { await anon.goto(p); await snap(anon, n); }
const { page } = await session("王小明", `wang-${stamp}@example.com`);
await snap(page, "home-empty");
await page.goto("/communities/new"); await snap(page, "new-community");
await page.getByLabel("Community name").fill("Design Guild");
await page.getByLabel("Web address").fill(`guild-${stamp}`);
await page.getByLabel("Public").check();
await Promise.all([page.waitForURL(/\/c\//), page.getByRole("button", { name: "Create community" }).click()]);
await page.goto(`/c/guild-${stamp}/settings`); await snap(page, "settings");
await page.goto("/"); await snap(page, "home-list");
await page.goto("/settings/profile"); await snap(page, "profile");
await page.goto("/settings/data"); await snap(page, "data");
await page.goto("/dev/outbox"); await snap(page, "outbox");
await page.goto("/docs/api"); await snap(page, "docs-signed-in", [1280]);
await page.goto("/communities/new");
await page.getByLabel("Community name").fill("x");
await page.getByLabel("Web address").fill("ab");
await page.getByRole("button", { name: "Create community" }).click();
await page.waitForTimeout(800); await snap(page, "new-community-errors");
// zh
await page.goto(`/c/guild-${stamp}`);
await page.getByRole("button", { name: "中文" }).click(); await page.waitForTimeout(800);
await snap(page, "community-zh");
await page.goto("/settings/profile"); await snap(page, "profile-zh");
await page.goto(`/c/guild-${stamp}/invites`); await snap(page, "invites-zh");
// anon on public community
await anon.goto(`/c/guild-${stamp}`); await snap(anon, "public-community-anon");
console.log("errors:", errors);
await browser.close();
