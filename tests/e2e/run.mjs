// End-to-end: build, migrate a throwaway D1, start `wrangler dev` on :8799, and drive Chromium
// through sign-up → verify → community → invite → second user joins → language switch, with axe
// checks on the main pages. Prints "N passed, M failed"; exits non-zero on any failure.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import AxeBuilderModule from "@axe-core/playwright";

const AxeBuilder = AxeBuilderModule.default ?? AxeBuilderModule;
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shots = join(root, "tests", "e2e", "screenshots");
const PORT = 8799;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

mkdirSync(shots, { recursive: true });
const persist = mkdtempSync(join(tmpdir(), "enclave-e2e-"));
let server = null;
let browser = null;

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${res.status}`);
}

function stopServer() {
  if (!server || server.exitCode !== null) return;
  try {
    process.kill(-server.pid, "SIGTERM"); // the whole group: npx → wrangler → workerd
  } catch {
    server.kill("SIGTERM");
  }
}

async function waitForServer(ms = 60_000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`wrangler dev exited early (${server.exitCode})`);
    try {
      const res = await fetch(`${ORIGIN}/api/v1/health`);
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`server did not answer in time (${last})`);
}

const results = [];
let blocked = null;
async function step(name, fn) {
  if (blocked) {
    results.push({ name, ok: false, error: `skipped: "${blocked}" failed` });
    console.log(`✗ ${name} (skipped after a failure)`);
    return;
  }
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false, error });
    blocked = name;
    console.log(`✗ ${name}\n  ${String(error?.stack ?? error).split("\n").slice(0, 6).join("\n  ")}`);
  }
}

const axeFindings = [];
async function axe(page, label) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) axeFindings.push(`${label}: [${v.impact}] ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  assert.equal(bad.length, 0, `axe found serious/critical issues on ${label}:\n${bad.map((v) => `  ${v.id}: ${v.help} → ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`).join("\n")}`);
}

const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

async function expectOk(page, response) {
  assert.ok(response, "no response");
  assert.ok(response.status() < 400, `HTTP ${response.status()} for ${response.url()}`);
}

try {
  console.log("building…");
  run("npx", ["react-router", "build"]);
  console.log(`migrating a fresh D1 in ${persist}…`);
  run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist]);
  server = spawn(
    "npx",
    ["wrangler", "dev", "--local", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", persist, "--var", "DEV_MODE:true", "--var", `APP_ORIGIN:${ORIGIN}`],
    { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let serverLog = "";
  server.stdout.on("data", (d) => (serverLog += d));
  server.stderr.on("data", (d) => (serverLog += d));
  await waitForServer().catch((error) => {
    console.log(serverLog.slice(-3000));
    throw error;
  });

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const stamp = Date.now().toString(36);
  const a = { name: "Mei Lin", email: `mei-${stamp}@example.com`, password: "correct horse 42" };
  const b = { name: "Kai Chen", email: `kai-${stamp}@example.com`, password: "another good one 7" };
  const slug = `tea-${stamp}`;
  const communityName = "Taipei Tea Circle";
  let inviteUrl = "";

  const ctxA = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 }, permissions: ["clipboard-read", "clipboard-write"] });
  const pageA = await ctxA.newPage();
  const consoleErrors = [];
  pageA.on("pageerror", (e) => consoleErrors.push(e.message));

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

  const ctxB = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 375, height: 812 } });
  const pageB = await ctxB.newPage();
  pageB.on("pageerror", (e) => consoleErrors.push(e.message));

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

  await step("members page lists both people and passes axe", async () => {
    await expectOk(pageA, await pageA.goto(`/c/${slug}/members`));
    await pageA.getByText(b.name).first().waitFor();
    await pageA.getByText("via Instagram").first().waitFor();
    await shot(pageA, "09-members");
    await axe(pageA, "members");
  });

  await step("owner prices VIP in yen and members see ¥1,200 (zero-decimal currency)", async () => {
    await expectOk(pageA, await pageA.goto(`/c/${slug}/settings`));
    const vip = pageA.locator("form", { has: pageA.locator('input[name="key"][value="vip"]') });
    await vip.getByLabel("Currency").selectOption("JPY");
    await vip.getByLabel("Price per month").fill("1200");
    await vip.getByLabel("Price per year").fill("12000");
    await Promise.all([pageA.waitForURL(/saved=tier/), vip.getByRole("button", { name: "Save tier" }).click()]);
    await expectOk(pageA, await pageA.goto(`/c/${slug}`));
    const card = pageA.locator("li", { has: pageA.getByRole("heading", { name: "VIP" }) });
    await card.getByText("¥1,200").waitFor();
    await card.getByText("¥12,000").waitFor();
  });

  await step("an unknown URL answers a 404 page", async () => {
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

  await step("no script errors in the browser", async () => {
    assert.deepEqual(consoleErrors, []);
  });
} catch (error) {
  results.push({ name: "setup", ok: false, error });
  console.log(`✗ setup: ${error?.stack ?? error}`);
} finally {
  await browser?.close().catch(() => {});
  stopServer();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(persist, { recursive: true, force: true });
}

if (axeFindings.length) console.log(`axe findings:\n  ${axeFindings.join("\n  ")}`);
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
