// My data (issue 10): a member with posts and comments prepares their archive from the "my data"
// page, watches the progress bar move (the run's wrangler vars make an export step 3 pages of 3
// items, so the job takes a few steps through the local queue), downloads the file once it is
// ready, and finds their posts in it. Another member cannot download it. As the community's
// owner they also prepare and download the member list as CSV. Desktop and 375 px, and
// the zh-Hant page; axe on every page (the harness's `watch`).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { api } from "./api.mjs";

export default async function dataExportFlow({ browser, ORIGIN, step, shot, expectOk, watch }) {
  const stamp = Date.now().toString(36);
  const slug = `loom-${stamp}`;
  const member = { name: "Mei Lin", email: `mei-${stamp}@example.com`, password: "mei pass 12345678" };
  const other = { name: "Ola Berg", email: `ola-${stamp}@example.com`, password: "ola pass 12345678" };
  const ctx = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = watch(await ctx.newPage(), "export");
  let downloadUrl = "";

  await step("data export: a member with six posts and their comments", async () => {
    await api(ctx, ORIGIN, "POST", "/api/v1/auth/signup", member);
    await api(ctx, ORIGIN, "POST", "/api/v1/communities", { slug, name: "Loom & Thread", description: "Weavers.", visibility: "private" });
    const space = await api(ctx, ORIGIN, "POST", `/api/v1/communities/${slug}/spaces`, { name: "Warps", kind: "discussion", minTier: "free" });
    for (let i = 1; i <= 6; i++) {
      const { post } = await api(ctx, ORIGIN, "POST", `/api/v1/spaces/${space.space.id}/posts`, { title: `Draft ${i}`, body: `Twill pattern number ${i}.` });
      await api(ctx, ORIGIN, "POST", `/api/v1/posts/${post.id}/comments`, { body: `Note on pattern ${i}` });
    }
  });

  await step("data export: the my-data page explains the archive and starts preparing it, with a moving progress bar", async () => {
    await expectOk(page, await page.goto("/settings/data"));
    await page.getByText("We prepare it in the background").waitFor();
    await page.getByRole("button", { name: "Prepare my archive" }).click();
    const bar = page.getByRole("progressbar");
    await bar.waitFor({ timeout: 15_000 });
    await shot(page, "export-progress");
    const seen = new Set();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (await page.getByTestId("export-download").isVisible()) break;
      const now = await bar.getAttribute("aria-valuenow").catch(() => null);
      if (now !== null) seen.add(Number(now));
      await page.waitForTimeout(250);
    }
    await page.getByTestId("export-download").waitFor({ timeout: 5_000 });
    assert.ok([...seen].some((v) => v > 0 && v < 100), `the bar showed progress between 0 and 100 (saw ${[...seen].join(", ")})`);
    await page.getByText("Your file is ready.").waitFor();
    await shot(page, "export-ready");
  });

  await step("data export: the download is the member's archive with their posts and comments", async () => {
    const link = page.getByTestId("export-download");
    downloadUrl = (await link.getAttribute("href")) ?? "";
    assert.match(downloadUrl, /^\/api\/v1\/me\/exports\/exp_[a-z0-9]+\/download$/);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    assert.match(download.suggestedFilename(), /^enclave-export-\d{4}-\d{2}-\d{2}\.json$/);
    const archive = JSON.parse(await readFile(await download.path(), "utf8"));
    assert.equal(archive.format, "enclave-export/1");
    assert.equal(archive.profile.name, member.name);
    assert.equal(archive.posts.length, 6);
    assert.equal(archive.comments.length, 6);
    assert.deepEqual(archive.posts.map((p) => p.title).sort(), ["Draft 1", "Draft 2", "Draft 3", "Draft 4", "Draft 5", "Draft 6"]);
  });

  await step("data export: another member gets 404 for the same link", async () => {
    const otherCtx = await browser.newContext({ baseURL: ORIGIN, locale: "en-US" });
    await api(otherCtx, ORIGIN, "POST", "/api/v1/auth/signup", other);
    const res = await otherCtx.request.get(`${ORIGIN}${downloadUrl}`);
    assert.equal(res.status(), 404);
    await otherCtx.close();
  });

  await step("data export: at 375 px and in zh-Hant the ready archive reads well", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await expectOk(page, await page.reload());
    await page.getByTestId("export-download").waitFor();
    await shot(page, "export-ready-375");
    // the member switches their language: the same page in Traditional Chinese
    await api(ctx, ORIGIN, "PATCH", "/api/v1/me", { locale: "zh-Hant" });
    await expectOk(page, await page.reload());
    await page.getByText("你的檔案已準備好。").waitFor();
    await page.getByRole("link", { name: "下載" }).waitFor();
    await shot(page, "export-ready-zh");
  });

  await step("data export: the owner prepares the member list as CSV from the members page and downloads it", async () => {
    await api(ctx, ORIGIN, "PATCH", "/api/v1/me", { locale: "en" });
    await expectOk(page, await page.goto(`/c/${slug}/members`));
    await page.getByRole("heading", { name: "Export members" }).waitFor();
    await page.getByLabel("Format").selectOption("csv");
    await page.getByRole("button", { name: "Prepare member list" }).click();
    const link = page.getByTestId("export-download");
    await link.waitFor({ timeout: 60_000 });
    await shot(page, "member-export-ready-375");
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    assert.equal(download.suggestedFilename(), `${slug}-members.csv`);
    const csv = await readFile(await download.path(), "utf8");
    const lines = csv.trimEnd().split("\r\n");
    assert.match(lines[0], /^user_id,name,email,role,tier/);
    assert.equal(lines.length, 2, "the owner is the only member");
    assert.match(lines[1], new RegExp(`,Mei Lin,${member.email},owner,`));
  });

  await ctx.close();
}
