// Discussions: the owner opens a space; member A posts Markdown with an uploaded image and an
// @mention of member B; B finds the mention behind the bell, comments and reacts; A sees the reply
// notification and the reaction. A member below the VIP tier sees the VIP space locked.
// Accounts and the community are set up through the API; everything under test goes through the UI.
import assert from "node:assert/strict";
import { api, eventually } from "./api.mjs";
import { crc32, deflateSync } from "node:zlib";

// A small PNG drawn here (a green tea-coloured gradient) rather than stored as a fixture
function makePng(width, height) {
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = 60 + Math.round((x / width) * 80);
      row[2 + x * 3] = 120 + Math.round((y / height) * 90);
      row[3 + x * 3] = 70;
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}
const PNG = makePng(480, 240);

export default async function discussionsFlow({ browser, ORIGIN, step, axe, shot, expectOk, watch }) {
  const stamp = Date.now().toString(36);
  const slug = `oolong-${stamp}`;
  const owner = { name: "Lin Ya-ting", email: `owner-${stamp}@example.com`, password: "owner pass 12345" };
  const a = { name: "Mei Lin", email: `mei-d-${stamp}@example.com`, password: "mei pass 12345" };
  const b = { name: "Kai Chen", email: `kai-d-${stamp}@example.com`, password: "kai pass 12345" };
  const postTitle = "Cold-brewing high-mountain oolong";
  let spaceUrl = "";
  let postUrl = "";

  const ctxOwner = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ctxA = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ctxB = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 375, height: 812 } });
  const pageOwner = await ctxOwner.newPage();
  const pageA = await ctxA.newPage();
  const pageB = await ctxB.newPage();
  watch(pageOwner, "owner");
  watch(pageA, "A");
  watch(pageB, "B");

  await step("discussions: owner and two members are set up through the API", async () => {
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/auth/signup", owner);
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/communities", { slug, name: "Oolong Society", description: "Notes from the tea table.", visibility: "public" });
    for (const [ctx, user] of [
      [ctxA, a],
      [ctxB, b],
    ]) {
      await api(ctx, ORIGIN, "POST", "/api/v1/auth/signup", user);
      await api(ctx, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
    }
  });

  await step("owner creates a discussion space and a VIP space from the community home", async () => {
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}`));
    await pageOwner.getByText("No spaces yet").waitFor();
    for (const [name, description, tier] of [
      ["Brewing notes", "Recipes, ratios and what went wrong.", "free"],
      ["VIP lounge", "Tastings and early access for VIP members.", "vip"],
    ]) {
      const form = pageOwner.locator("details", { has: pageOwner.locator("summary", { hasText: "New space" }) });
      if (!(await form.evaluate((el) => el.open))) await form.locator("summary").click();
      await form.getByLabel("Space name").fill(name);
      await form.getByLabel("Description (optional)").fill(description);
      await form.getByLabel("Who can read it").selectOption(tier);
      await Promise.all([pageOwner.waitForURL(/space=created/), form.getByRole("button", { name: "Create space" }).click()]);
      await pageOwner.getByRole("link", { name, exact: true }).first().waitFor();
    }
    await pageOwner.getByText("The space is ready.").waitFor();
    await shot(pageOwner, "20-community-spaces-owner");
    await axe(pageOwner, "community home with spaces");
  });

  await step("a free member sees the VIP space locked with an upgrade prompt", async () => {
    await expectOk(pageA, await pageA.goto(`/c/${slug}`));
    const row = pageA.locator("li[data-space-id]", { has: pageA.getByRole("link", { name: "VIP lounge", exact: true }) });
    await row.getByRole("link", { name: "Upgrade to VIP" }).waitFor();
    // the locked space answers 403 with its upgrade prompt (as the API does), which the browser logs
    pageA.expectErrors(/status of 403 \(Forbidden\) .*\/s\/[^/]+\.data/);
    await Promise.all([pageA.waitForURL(/\/s\//), row.getByRole("link", { name: "VIP lounge", exact: true }).click()]);
    await pageA.getByRole("heading", { name: "VIP lounge needs the VIP tier" }).waitFor();
    // no price is published here, so no checkout button: the prompt leads to the plans (ADR 039)
    await pageA.getByRole("link", { name: "See all plans" }).waitFor();
    assert.equal(await pageA.getByText("Start a discussion…").count(), 0, "no composer in a locked space");
    assert.equal(await pageA.locator("article[data-post-id]").count(), 0, "no posts in a locked space");
    await shot(pageA, "21-space-locked");
  });

  await step("a private space is listed only for the members the owner picked", async () => {
    await expectOk(pageOwner, await pageOwner.goto(`/c/${slug}`));
    const form = pageOwner.locator("details", { has: pageOwner.locator("summary", { hasText: "New space" }) });
    await form.locator("summary").click();
    await form.getByLabel("Space name").fill("Hosts' corner");
    await form.getByLabel("Private space").check();
    await form.getByRole("group", { name: "Members of the private space" }).getByLabel(a.name).check();
    await Promise.all([pageOwner.waitForURL(/space=created/), form.getByRole("button", { name: "Create space" }).click()]);
    const row = pageOwner.locator("li[data-space-id]", { hasText: "Hosts' corner" });
    await row.getByText("Private").waitFor();
    await Promise.all([pageOwner.waitForURL(/\/settings$/), row.getByRole("link", { name: "Edit Hosts' corner" }).click()]);
    await pageOwner.locator("#members").getByText(a.name).waitFor();
    await shot(pageOwner, "21a-space-settings");
    await axe(pageOwner, "space settings");
    await expectOk(pageA, await pageA.goto(`/c/${slug}`));
    await pageA.getByRole("link", { name: "Hosts' corner", exact: true }).first().waitFor();
    await expectOk(pageB, await pageB.goto(`/c/${slug}`));
    await pageB.getByRole("link", { name: "Brewing notes", exact: true }).first().waitFor();
    assert.equal(await pageB.getByRole("link", { name: "Hosts' corner", exact: true }).count(), 0, "B is not in the private space");
  });

  await step("member A writes a post with Markdown, an uploaded image and an @mention", async () => {
    await expectOk(pageA, await pageA.goto(`/c/${slug}`));
    await Promise.all([pageA.waitForURL(/\/s\//), pageA.getByRole("link", { name: "Brewing notes", exact: true }).first().click()]);
    spaceUrl = pageA.url();
    await pageA.getByRole("heading", { name: "No posts here yet" }).waitFor();
    await shot(pageA, "22-space-empty");
    await axe(pageA, "space feed (empty, composer open)");
    await pageA.getByLabel("Title").fill(postTitle);
    const body = pageA.getByRole("combobox", { name: "Post", exact: true });
    await body.fill(`## Ratio\n\nUse **10 g per litre** and steep overnight. More in [the guide](https://example.com/cold-brew).\n\n@Ka`);
    // the editor suggests members after "@"
    await pageA.getByRole("option", { name: b.name }).waitFor();
    await shot(pageA, "23a-mention-suggestions");
    await pageA.getByRole("option", { name: b.name }).click();
    await body.pressSequentially("what do you think?\n");
    assert.match(await body.inputValue(), new RegExp(`@${b.name} what do you think\\?`));
    await pageA.locator('input[type="file"]').setInputFiles({ name: "leaf.png", mimeType: "image/png", buffer: PNG });
    await pageA.getByText("Image added to your text.").waitFor();
    assert.match(await body.inputValue(), /!\[\]\(\/api\/v1\/uploads\/[^)]+\)/, "the upload is in the Markdown");
    await pageA.getByRole("button", { name: "Preview" }).click();
    await pageA.locator(".rich-text h2", { hasText: "Ratio" }).waitFor();
    await pageA.locator(".rich-text strong", { hasText: "10 g per litre" }).waitFor();
    await shot(pageA, "23-composer-preview");
    await pageA.getByRole("button", { name: "Write" }).click();
    await Promise.all([pageA.waitForURL(/\/posts\//), pageA.getByRole("button", { name: "Publish post" }).click()]);
    postUrl = new URL(pageA.url()).pathname;
    await pageA.getByRole("heading", { level: 1, name: postTitle }).waitFor();
    const article = pageA.locator("article", { has: pageA.locator("#post-title") });
    await article.locator(".rich-text h2", { hasText: "Ratio" }).waitFor();
    await article.locator(".rich-text strong", { hasText: "10 g per litre" }).waitFor();
    assert.equal(await article.locator('.rich-text a[href="https://example.com/cold-brew"]').count(), 1, "the link is rendered");
    const img = article.locator('.rich-text img[src^="/api/v1/uploads/"]');
    await img.waitFor();
    await pageA.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    // the composer tied the image to this space: served privately, to its readers only (issue 10 §3)
    const served = await pageA.request.get(await img.getAttribute("src"));
    assert.equal(served.headers()["cache-control"], "private, max-age=300", "a space's image is cached privately");
    await shot(pageA, "24-post-desktop");
  });

  await step("member B sees the mention behind the bell and opens the post", async () => {
    await expectOk(pageB, await pageB.goto(`/c/${slug}`));
    const bell = pageB.getByTestId("notification-bell");
    await eventually(pageB, () => bell.and(pageB.getByRole("link", { name: /Notifications, 1 unread/ })).waitFor({ timeout: 1000 }));
    await pageB.waitForLoadState("networkidle"); // hydrated: the bell opens its panel instead of navigating
    await bell.click();
    const panel = pageB.getByRole("dialog", { name: "Notifications" });
    const mention = panel.getByRole("button", { name: new RegExp(`^${a.name} mentioned you in “${postTitle}”`) });
    await mention.waitFor();
    await shot(pageB, "25-bell-open-mobile");
    await axe(pageB, "notification panel");
    await Promise.all([pageB.waitForURL((url) => url.pathname === postUrl), mention.click()]);
    await pageB.getByRole("heading", { level: 1, name: postTitle }).waitFor();
    assert.equal(await pageB.getByRole("link", { name: /Notifications, \d+ unread/ }).count(), 0, "opening the notification marked it read");
  });

  await step("member B comments and reacts 👍 on the post", async () => {
    await pageB.getByRole("combobox", { name: "Write a comment" }).fill("Tried it last night — **sweeter** than hot brew!");
    // sent twice at once (a double click past the disabled button, a resubmit): one key, one comment
    const send = pageB.getByRole("button", { name: "Comment", exact: true });
    await Promise.all([
      pageB.waitForURL(/#comment-/),
      send.evaluate((button) => {
        button.form.requestSubmit(button);
        button.form.requestSubmit(button);
      }),
    ]);
    const comment = pageB.locator('article[id^="comment-"]', { hasText: "sweeter than hot brew" });
    await comment.waitFor();
    const bar = pageB.locator(`[data-reactions]`).first();
    await bar.getByRole("button", { name: "Add reaction" }).or(bar.locator("summary")).first().click();
    await bar.getByRole("button", { name: "Thumbs up" }).click();
    await bar.getByRole("button", { name: "Thumbs up: 1 reaction", pressed: true }).waitFor();
    await pageB.reload();
    await pageB.locator("[data-reactions]").first().getByRole("button", { name: "Thumbs up: 1 reaction", pressed: true }).waitFor();
    assert.equal(await comment.count(), 1, "the comment sent twice was stored once");
    await shot(pageB, "27-post-mobile");
    await axe(pageB, "post page (mobile)");
  });

  await step("member A sees the reply notification and the reaction count, and replies in the thread", async () => {
    await expectOk(pageA, await pageA.goto("/notifications"));
    const reply = pageA.getByRole("button", { name: new RegExp(`^${b.name} commented on your post “${postTitle}”`) });
    await eventually(pageA, () => reply.waitFor({ timeout: 1000 }));
    await shot(pageA, "26-notifications");
    await axe(pageA, "notifications");
    await Promise.all([pageA.waitForURL((url) => url.pathname === postUrl), reply.click()]);
    const postBar = pageA.locator("article", { has: pageA.locator("#post-title") }).locator("[data-reactions]");
    await postBar.getByRole("button", { name: "Thumbs up: 1 reaction", pressed: false }).waitFor();
    const comment = pageA.locator('article[id^="comment-"]', { hasText: "sweeter than hot brew" });
    // the reply form is not on the page until "Reply" opens it (it was most of the page's render time)
    assert.equal(await comment.getByRole("combobox").count(), 0, "no reply editor before Reply is opened");
    const replyLink = comment.getByRole("link", { name: `Reply to ${b.name}` });
    assert.equal(await replyLink.getAttribute("aria-expanded"), "false");
    await replyLink.click();
    assert.equal(await replyLink.getAttribute("aria-expanded"), "true");
    assert.equal(new URL(pageA.url()).search, "", "once hydrated, Reply opens in place without a request");
    await comment.getByRole("combobox", { name: `Reply to ${b.name}` }).fill("Glad it worked. Try 8 g for a lighter cup.");
    await Promise.all([pageA.waitForURL(/#comment-/), comment.getByRole("button", { name: "Post reply" }).click()]);
    const thread = pageA.locator("ol li", { has: comment });
    await thread.locator('ol article[id^="comment-"]', { hasText: "Try 8 g for a lighter cup" }).waitFor();
    await shot(pageA, "28-post-thread-desktop");
    await axe(pageA, "post page with a thread");
    assert.equal(await comment.getByRole("combobox").count(), 0, "posting the reply folded its form away");
  });

  await step("without JavaScript, Reply is a link the server answers with that comment's reply form open", async () => {
    const ctxPlain = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", javaScriptEnabled: false, storageState: await ctxA.storageState() });
    const page = await ctxPlain.newPage();
    await expectOk(page, await page.goto(postUrl));
    const comment = page.locator('article[id^="comment-"]', { hasText: "sweeter than hot brew" });
    assert.equal(await comment.locator("textarea").count(), 0, "closed until asked for");
    const replyLink = comment.getByRole("link", { name: `Reply to ${b.name}` });
    await Promise.all([page.waitForURL(/[?&]reply=cmt_/), replyLink.click()]);
    const box = comment.getByRole("combobox", { name: `Reply to ${b.name}` });
    await box.waitFor();
    assert.equal(await page.locator('article[id^="comment-"] textarea').count(), 1, "only that comment's form is open");
    await box.fill("Plain HTML reply: steep it 12 hours.");
    await Promise.all([page.waitForURL(/#comment-/), comment.getByRole("button", { name: "Post reply" }).click()]);
    await page.locator('article[id^="comment-"]', { hasText: "Plain HTML reply: steep it 12 hours." }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get("reply"), null, "the redirect after posting closes the form");
    await ctxPlain.close();
  });

  await step("the feed lists the post with its comments, and search finds it", async () => {
    await expectOk(pageA, await pageA.goto(spaceUrl));
    const card = pageA.locator("article[data-post-id]", { hasText: postTitle });
    await card.getByText("3 comments").waitFor();
    await shot(pageA, "29-space-feed-desktop");
    await axe(pageA, "space feed");
    await expectOk(pageB, await pageB.goto(spaceUrl));
    await pageB.locator("article[data-post-id]", { hasText: postTitle }).waitFor();
    await shot(pageB, "30-space-feed-mobile");
    await expectOk(pageA, await pageA.goto(`/c/${slug}/search?q=${encodeURIComponent("sweeter")}`));
    await pageA.locator(".search-snippet mark", { hasText: /sweeter/i }).first().waitFor();
    const hit = pageA.getByRole("link", { name: `Comment on “${postTitle}”` });
    await hit.waitFor();
    assert.match(await hit.getAttribute("href"), /#comment-/, "a comment hit links to its anchor");
    await shot(pageA, "31-search");
    await axe(pageA, "search");
    await expectOk(pageA, await pageA.goto(`/c/${slug}/search?q=${encodeURIComponent("zzzunfindable")}`));
    await pageA.getByRole("heading", { name: /Nothing found/ }).waitFor();
  });

  await ctxOwner.close();
  await ctxA.close();
  await ctxB.close();
}
