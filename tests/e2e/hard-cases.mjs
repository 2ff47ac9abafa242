// The hard cases of issue 7 on a phone: a 190-character unbroken title, an 80-character unbroken
// name, long community, space and comment words; a reader in Honolulu and a first visit from
// Kiritimati (UTC+14); names in Arabic and ending in U+202E; the site icon and manifest; and lists
// whose API call fails; a post of every Markdown construct at its limit. Every page visited is checked by the harness's `watch` (axe, 375 px width,
// console errors including React #418).
import assert from "node:assert/strict";
import { api } from "./api.mjs";

export default async function hardCasesFlow({ browser, ORIGIN, step, shot, expectOk, watch, sql }) {
  const stamp = Date.now().toString(36);
  const slug = `long-${stamp}`;
  const title190 = ("Oolong" + "coldbrewed".repeat(20)).slice(0, 190);
  const longName = ("Wolfeschlegelsteinhausenbergerdorff" + "Z".repeat(80)).slice(0, 80);
  const communityName = ("Supercalifragilisticexpialidocious" + "Q".repeat(80)).slice(0, 80);
  const spaceName = ("Pneumonoultramicroscopicsilicovolcanoconiosis" + "S".repeat(80)).slice(0, 80);
  const longWord = "Tastingnotes".repeat(20);
  const arabic = { name: "ليلى حداد", email: `layla-${stamp}@example.com`, password: "layla pass 12345" };
  const owner = { name: longName, email: `long-${stamp}@example.com`, password: "long pass 123456" };
  let spaceId = "";
  let postId = "";
  let oldPostId = "";
  let inviteCode = "";

  const phone = { baseURL: ORIGIN, locale: "en-US", viewport: { width: 375, height: 812 } };
  const ctxOwner = await browser.newContext({ ...phone, timezoneId: "Pacific/Honolulu" });
  const ctxArabic = await browser.newContext({ ...phone, timezoneId: "Asia/Taipei" });
  const owner375 = watch(await ctxOwner.newPage(), "long-owner");
  const arabicPage = watch(await ctxArabic.newPage(), "arabic");

  await step("hard cases: a member with an 80-character name in Honolulu sets up long names through the API", async () => {
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/auth/signup", { ...owner, timezone: "Pacific/Honolulu" });
    await api(ctxOwner, ORIGIN, "PATCH", "/api/v1/me", { timezone: "Pacific/Honolulu" });
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/communities", { slug, name: communityName, description: longWord, visibility: "public" });
    const space = await api(ctxOwner, ORIGIN, "POST", `/api/v1/communities/${slug}/spaces`, { name: spaceName, kind: "discussion", minTier: "free" });
    spaceId = space.space.id;
    const post = await api(ctxOwner, ORIGIN, "POST", `/api/v1/spaces/${spaceId}/posts`, { title: title190, body: `${longWord}\n\n@${arabic.name}` });
    postId = post.post.id;
    const old = await api(ctxOwner, ORIGIN, "POST", `/api/v1/spaces/${spaceId}/posts`, { title: "Harvest notes from October", body: "Written a month ago." });
    oldPostId = old.post.id;
    await api(ctxArabic, ORIGIN, "POST", "/api/v1/auth/signup", arabic);
    await api(ctxArabic, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
    await api(ctxArabic, ORIGIN, "POST", `/api/v1/posts/${postId}/comments`, { body: `${longWord} and a reply from ${arabic.name}` });
    inviteCode = (await api(ctxOwner, ORIGIN, "POST", `/api/v1/communities/${slug}/invites`, { source: "instagram", maxUses: 5 })).code;
    assert.equal(title190.length, 190);
    assert.equal(longName.length, 80);
  });

  await step("hard cases: the members page shows a join at 2026-10-31T05:00Z as Oct 30 to a reader in Honolulu, on the server and after hydration", async () => {
    // no API moves a join date into the past: set it in the database the server reads
    sql(`UPDATE memberships SET joined_at = ${Date.parse("2026-10-31T05:00:00Z")} WHERE user_id = (SELECT id FROM users WHERE email = '${owner.email}')`);
    const res = await owner375.request.get(`/c/${slug}/members`);
    const html = await res.text();
    assert.match(html, /Joined Oct 30, 2026/, "the server writes the date in the reader's profile zone");
    assert.doesNotMatch(html, /Joined Oct 31, 2026/);
    await expectOk(owner375, await owner375.goto(`/c/${slug}/members`));
    await owner375.waitForLoadState("networkidle");
    await owner375.getByText("Joined Oct 30, 2026").first().waitFor();
    assert.equal(await owner375.getByText("Joined Oct 31, 2026").count(), 0);
  });

  await step("hard cases: every page fits 375 px with a 190-character title, 80-character names and long words", async () => {
    const pages = [
      "/",
      `/c/${slug}`,
      `/c/${slug}/s/${spaceId}`,
      `/c/${slug}/posts/${postId}`,
      `/c/${slug}/search?q=${encodeURIComponent("Oolong")}`,
      `/c/${slug}/search?q=${encodeURIComponent(longWord)}`,
      `/c/${slug}/members`,
      `/c/${slug}/invites`,
      `/c/${slug}/settings`,
      `/c/${slug}/s/${spaceId}/settings`,
      "/notifications",
      "/settings/profile",
      "/settings/data",
      "/communities/new",
    ];
    for (const path of pages) await expectOk(owner375, await owner375.goto(path)); // watch() asserts the width
    // the avatar file input is named by a real label (axe: critical when it was not)
    await expectOk(owner375, await owner375.goto("/settings/profile"));
    assert.equal(await owner375.getByLabel("Upload a photo").getAttribute("type"), "file");
    await owner375.goto(`/c/${slug}/s/${spaceId}`);
    await shot(owner375, "40-feed-long-title-mobile");
    await owner375.goto(`/c/${slug}/posts/${postId}`);
    await shot(owner375, "41-post-long-words-mobile");
    const arabicPages = ["/", `/c/${slug}`, "/notifications", `/c/${slug}/posts/${postId}`];
    for (const path of arabicPages) await expectOk(arabicPage, await arabicPage.goto(path));
    // and signed out: the landing page, the auth pages, a public community, the invite preview, the API docs
    const ctxGuest = await browser.newContext(phone);
    const guest = watch(await ctxGuest.newPage(), "guest");
    for (const path of ["/", "/login", "/signup", "/forgot-password", `/c/${slug}`, `/c/${slug}/s/${spaceId}`, `/invite/${inviteCode}`, "/docs/api"]) {
      await expectOk(guest, await guest.goto(path));
    }
    await ctxGuest.close();
  });

  await step("hard cases: names are isolated, so an Arabic name or one ending in U+202E does not reorder the text after it", async () => {
    // the comment author's name sits in a <bdi>, whose direction does not leak into the line
    await expectOk(owner375, await owner375.goto(`/c/${slug}/posts/${postId}`));
    const author = owner375.locator("bdi", { hasText: arabic.name }).first();
    await author.waitFor();
    const isolation = await author.evaluate((el) => getComputedStyle(el).unicodeBidi);
    assert.equal(isolation, "isolate");
    // a name that ends in RIGHT-TO-LEFT OVERRIDE, when the API accepts it, stays inside its <bdi>
    const mallory = { name: "Mallory\u202E", email: `mallory-${stamp}@example.com`, password: "mallory pass 123" };
    const ctxM = await browser.newContext(phone);
    const res = await ctxM.request.fetch(`${ORIGIN}/api/v1/auth/signup`, { method: "POST", data: mallory, headers: { Origin: ORIGIN } });
    if (res.ok()) {
      await api(ctxM, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
      await expectOk(owner375, await owner375.goto(`/c/${slug}/members`));
      const row = owner375.locator("li", { has: owner375.locator("bdi", { hasText: "Mallory" }) }).first();
      await row.waitFor();
      const name = row.locator("bdi", { hasText: "Mallory" }).first();
      assert.deepEqual(await name.evaluate((el) => [el.tagName, getComputedStyle(el).unicodeBidi]), ["BDI", "isolate"]);
      // the override ends with the <bdi>: the text after it in the same line is still in order
      const after = await name.evaluate((el) => el.nextSibling?.textContent ?? el.parentElement?.nextElementSibling?.textContent ?? "");
      assert.doesNotMatch(after, /\u202E/);
      await row.getByText(/^Joined /).waitFor();
      // and in a sentence: "Mallory‮ commented on your post" keeps its words in reading order
      await api(ctxM, ORIGIN, "POST", `/api/v1/posts/${postId}/comments`, { body: "Lovely." });
      await expectOk(owner375, await owner375.goto("/notifications"));
      const line = owner375.getByRole("button", { name: /commented on your post/ }).filter({ hasText: "Mallory" }).first();
      await line.waitFor();
      const [commented, your] = await line.evaluate((el) => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        const x = (word) => {
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.textContent.indexOf(word);
            if (at === -1 || node.parentElement.closest("bdi")) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + word.length);
            const box = range.getBoundingClientRect();
            return { top: Math.round(box.top), left: Math.round(box.left) };
          }
          return null;
        };
        const a = x("commented");
        walker.currentNode = el;
        return [a, x("your")];
      });
      // reading order: an earlier line, or the same line further left
      const before = commented.top < your.top || (commented.top === your.top && commented.left < your.left);
      assert.ok(before, `"commented" ${JSON.stringify(commented)} reads before "your" ${JSON.stringify(your)}`);
    } else {
      assert.equal(res.status(), 400, "a name the API refuses is refused with a 4xx, not a 500");
    }
    await ctxM.close();
  });

  await step("hard cases: a first visit with no cookie from Kiritimati (UTC+14) hydrates without React #418, then shows and remembers its zone", async () => {
    // 2026-10-31T12:00Z is 31 Oct in UTC and 1 Nov in Kiritimati: older than a week, so the feed shows the date
    sql(`UPDATE posts SET created_at = ${Date.parse("2026-10-31T12:00:00Z")} WHERE id = '${oldPostId}'`);
    const ctxK = await browser.newContext({ ...phone, timezoneId: "Pacific/Kiritimati" });
    const page = watch(await ctxK.newPage(), "kiritimati");
    const card = page.locator(`article[data-post-id="${oldPostId}"]`);
    // the first render (server and hydration) is in UTC; the harness fails the run on any #418
    await expectOk(page, await page.goto(`/c/${slug}/s/${spaceId}`));
    await page.waitForLoadState("networkidle");
    // after hydration the browser's own zone takes over and is sent as a cookie
    await card.getByText("Nov 1, 2026").waitFor();
    const cookies = await ctxK.cookies();
    assert.equal(cookies.find((c) => c.name === "tz")?.value, encodeURIComponent("Pacific/Kiritimati"), "the browser told the server its zone");
    // the next server render already writes Kiritimati's date
    const html = await (await page.request.get(`/c/${slug}/s/${spaceId}`)).text();
    assert.match(html, /Nov 1, 2026/);
    await expectOk(page, await page.goto(`/c/${slug}/s/${spaceId}`));
    await card.getByText("Nov 1, 2026").waitFor();
    await ctxK.close();
  });

  await step("hard cases: the site has an icon and a web app manifest, and a first visit logs no 404", async () => {
    const ctx = await browser.newContext(phone);
    const page = watch(await ctx.newPage(), "first-visit");
    const favicon = await page.request.get("/favicon.ico");
    assert.equal(favicon.status(), 200);
    assert.match(favicon.headers()["content-type"] ?? "", /^image\//);
    const svg = await page.request.get("/favicon.svg");
    assert.equal(svg.status(), 200);
    const manifest = await page.request.get("/manifest.webmanifest");
    assert.equal(manifest.status(), 200);
    const parsed = JSON.parse(await manifest.text());
    assert.equal(parsed.name, "Enclave");
    assert.ok(parsed.icons.length >= 2, "the manifest lists icons");
    for (const icon of parsed.icons) assert.equal((await page.request.get(icon.src)).status(), 200, `${icon.src} is served`);
    const failed = [];
    page.on("response", (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    await expectOk(page, await page.goto("/"));
    await page.waitForLoadState("networkidle");
    assert.equal(await page.locator('link[rel="manifest"]').getAttribute("href"), "/manifest.webmanifest");
    assert.deepEqual(failed, []);
    await ctx.close();
  });

  await step("hard cases: a malformed cursor on any page with a list is that page's 400, which says the link is malformed (not an empty state, not a network error)", async () => {
    const paths = [
      `/c/${slug}/posts/${postId}?cursor=not-a-cursor`,
      `/c/${slug}/s/${spaceId}?cursor=not-a-cursor`,
      `/c/${slug}/members?cursor=not-a-cursor`,
      `/c/${slug}/search?q=Oolong&cursor=not-a-cursor`,
      `/notifications?cursor=not-a-cursor`,
    ];
    for (const path of paths) {
      owner375.expectErrors(/status of 400 \(Bad Request\) .*cursor=not-a-cursor/);
      const res = await owner375.goto(path);
      assert.equal(res.status(), 400, `${path} answers 400`);
      await owner375.getByRole("heading", { name: "This link is not valid" }).waitFor();
      assert.equal(await owner375.getByText(/No comments yet|No posts here yet|Nothing found|could not be loaded/).count(), 0, `${path} shows no empty state`);
    }
    await shot(owner375, "42-malformed-link-mobile");
    // and in Traditional Chinese for a Chinese reader
    await api(ctxArabic, ORIGIN, "PATCH", "/api/v1/me", { locale: "zh-Hant" });
    arabicPage.expectErrors(/status of 400 \(Bad Request\) .*cursor=not-a-cursor/);
    assert.equal((await arabicPage.goto(`/c/${slug}/members?cursor=not-a-cursor`)).status(), 400);
    await arabicPage.getByRole("heading", { name: "這個連結無效" }).waitFor();
  });

  await step("hard cases: a post of every Markdown construct at its limit passes axe and fits 375 px; a comment's footnote reaches its own note", async () => {
    const level32List = Array.from({ length: 32 }, (_, i) => `${"  ".repeat(i)}- item ${i + 1}`).join("\n");
    const footnote = "A claim[^1] with a source.\n\n[^1]: The source.";
    const body = [
      "- [ ] buy milk\n- [x] done",
      `\`\`\`js\nconst line = ${JSON.stringify("x".repeat(100 - 15))};\n\`\`\``,
      `| ${Array.from({ length: 8 }, (_, i) => `Column heading ${i + 1}`).join(" | ")} |\n|${" --- |".repeat(8)}\n| ${Array.from({ length: 8 }, (_, i) => `cell ${i + 1} of a wide row`).join(" | ")} |`,
      level32List,
      `${">".repeat(32)} thirty-two quotes deep, still readable`,
      "An outside picture: ![a tea field](https://example.com/tea.png)",
      footnote,
    ].join("\n\n");
    const post = await api(ctxOwner, ORIGIN, "POST", `/api/v1/spaces/${spaceId}/posts`, { title: "Every Markdown construct", body });
    const mdPostId = post.post.id;
    // the API's html for one item is unscoped: its [1] links to its own note
    const { html } = await api(ctxOwner, ORIGIN, "GET", `/api/v1/posts/${mdPostId}`);
    assert.match(html, /<a href="#user-content-fn-1" id="user-content-fnref-1">/);
    assert.match(html, /<li id="user-content-fn-1" class="footnote-item">/);
    const comment = await api(ctxArabic, ORIGIN, "POST", `/api/v1/posts/${mdPostId}/comments`, { body: footnote });
    const commentId = comment.comment.id;

    await expectOk(owner375, await owner375.goto(`/c/${slug}/posts/${mdPostId}`)); // watch(): axe, 375 px, console
    await owner375.getByRole("checkbox", { name: "buy milk" }).waitFor();
    assert.equal(await owner375.getByRole("checkbox", { name: "done" }).isChecked(), true);
    // code and the table scroll on their own, and a keyboard can reach them
    for (const selector of ['.rich-text pre[tabindex="0"]', '.rich-text .table-scroll[tabindex="0"]']) {
      const [scrollWidth, clientWidth] = await owner375.locator(selector).first().evaluate((el) => [el.scrollWidth, el.clientWidth]);
      assert.ok(scrollWidth > clientWidth, `${selector} scrolls sideways (${scrollWidth} > ${clientWidth})`);
    }
    assert.ok((await owner375.evaluate(() => document.documentElement.scrollWidth)) <= 375);
    // the outside image is a link, not an <img> the CSP would block
    assert.equal(await owner375.locator('.rich-text img[src^="https://"]').count(), 0);
    assert.equal(await owner375.getByRole("link", { name: "a tea field" }).getAttribute("href"), "https://example.com/tea.png");
    await shot(owner375, "43-markdown-limits-mobile");

    // the comment's [1] links to the comment's note, not the post's; ids are unique on the page
    const article = owner375.locator(`article[id="comment-${commentId}"]`);
    const ref = article.locator("sup.footnote-ref a");
    assert.equal(await ref.getAttribute("href"), `#user-content-${commentId}-fn-1`);
    const ids = await owner375.evaluate(() => [...document.querySelectorAll("[id]")].map((el) => el.getAttribute("id")));
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(repeated, [], "no id is repeated on the page");
    await ref.click();
    const target = await owner375.evaluate(() => {
      const el = document.querySelector(":target");
      return [el?.id, el?.closest("article")?.id];
    });
    assert.deepEqual(target, [`user-content-${commentId}-fn-1`, `comment-${commentId}`]);
    await article.locator("a.footnote-backref").click();
    assert.equal(await owner375.evaluate(() => document.querySelector(":target")?.id), `user-content-${commentId}-fnref-1`);

    // a comment nested past the bound is refused in the reader's language (zh-Hant since the step before)
    await expectOk(arabicPage, await arabicPage.goto(`/c/${slug}/posts/${mdPostId}`));
    const box = arabicPage.getByLabel("寫下留言", { exact: true });
    await box.fill(`${">".repeat(33)} too deep`);
    await arabicPage.locator("form", { has: box }).getByRole("button", { name: "留言", exact: true }).click();
    await arabicPage.getByText("Markdown 最多只能巢狀 32 層（引言、清單、強調、連結、註腳、表格）。").waitFor();
  });

  await step("hard cases: the feed's \"new since your last visit\" divider stands between two lists and passes axe; avatar initials are whole characters", async () => {
    // a member whose name ends in an emoji: the initials were "م�" when they took half a surrogate pair
    const mariam = { name: "مريم כהן 🎉", email: `mariam-${stamp}@example.com`, password: "mariam pass 1234" };
    const ctxM = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1024, height: 800 } });
    await api(ctxM, ORIGIN, "POST", "/api/v1/auth/signup", mariam);
    await api(ctxM, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
    const page = watch(await ctxM.newPage(), "mariam");
    await expectOk(page, await page.goto(`/c/${slug}/s/${spaceId}`)); // the first visit marks everything seen
    assert.equal(await page.locator("header summary [data-initials]").getAttribute("data-initials"), "م🎉");
    await api(ctxOwner, ORIGIN, "POST", `/api/v1/spaces/${spaceId}/posts`, { title: "Second flush is in", body: "Written after Mariam's visit." });
    await expectOk(page, await page.goto(`/c/${slug}/s/${spaceId}`)); // watch(): axe runs on the page with the divider
    const divider = page.getByRole("separator", { name: "New since your last visit" });
    assert.equal(await divider.count(), 1);
    assert.equal(await divider.evaluate((el) => el.parentElement.tagName), "SECTION", "the divider is not inside the <ul>");
    const lists = page.locator('section[aria-labelledby="feed-heading"] > ul');
    assert.equal(await lists.count(), 2, "the new posts and the older ones are two lists");
    assert.equal(await lists.first().getByText("Second flush is in").count(), 1);
    assert.equal(await page.locator("ul > :not(li), ol > :not(li)").count(), 0, "every child of a list is a list item");
    await ctxM.close();
  });

  await step("hard cases: a signed-out visitor of a private community's post link on a phone gets a 404 with Sign in, and lands back on the post after signing in", async () => {
    const privateSlug = `${slug}-p`.slice(0, 40);
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/communities", { slug: privateSlug, name: "Members only", visibility: "private" });
    const space = await api(ctxOwner, ORIGIN, "POST", `/api/v1/communities/${privateSlug}/spaces`, { name: "Inside", kind: "discussion", minTier: "free" });
    const post = await api(ctxOwner, ORIGIN, "POST", `/api/v1/spaces/${space.space.id}/posts`, { title: "For members", body: "Hello, members." });
    const ctx = await browser.newContext(phone);
    const visitor = watch(await ctx.newPage(), "visitor");
    const link = `/c/${privateSlug}/posts/${post.post.id}`;
    visitor.expectErrors(/status of 404/);
    assert.equal((await visitor.goto(link)).status(), 404);
    await visitor.getByRole("heading", { name: "Page not found" }).waitFor();
    // followed by its address, not a click: a pointer left hovering where the link was would give
    // the login page's axe check a hover state to judge, which depends on the layout, not the page
    const signIn = await visitor.getByRole("link", { name: "Sign in" }).getAttribute("href");
    assert.equal(signIn, `/login?next=${encodeURIComponent(link)}`);
    await expectOk(visitor, await visitor.goto(signIn));
    await visitor.getByLabel("Email").fill(owner.email);
    await visitor.getByLabel("Password").fill(owner.password);
    await Promise.all([visitor.waitForURL(`${ORIGIN}${link}`), visitor.getByRole("button", { name: "Sign in" }).click()]);
    await visitor.getByRole("heading", { name: "For members" }).waitFor();
    await ctx.close();
  });

  await step("hard cases: header links, buttons and community tabs stay one whole line at 375, 640, 768, 800 and 1024 px", async () => {
    // the owner's signed-in context, a page of its own; a width is a new viewport on the loaded
    // page (the header is laid out by CSS alone, so a resize is what a load at that width shows)
    const ctxGuest = await browser.newContext({ baseURL: ORIGIN, locale: "en-US" });
    const member = watch(await ctxOwner.newPage(), "owner-widths");
    const guest = watch(await ctxGuest.newPage(), "guest-widths");
    // every line box of an item's text, by top edge: one line is one distinct top. Text that spills
    // past the item (or past the ancestor inside it that clips, as a truncated name does) overflows.
    // Absolutely placed text is left out: an unread badge sits on the bell's corner, sr-only text
    // is a 1 px box.
    const lineCounts = (page) =>
      page.evaluate(() => {
        const items = document.querySelectorAll('header.sticky :is(a, button, summary), nav[aria-label="Community sections"] a, nav[aria-label="Main"] a');
        return [...items]
          .filter((el) => el.getClientRects().length > 0 && el.textContent.trim() !== "")
          .map((el) => {
            const tops = new Set();
            let overflows = false;
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const parent = node.parentElement;
              if (!node.textContent.trim() || getComputedStyle(parent).position === "absolute") continue;
              let box = parent;
              while (box !== el && getComputedStyle(box).overflowX === "visible") box = box.parentElement;
              const limit = box.getBoundingClientRect();
              const range = document.createRange();
              range.selectNodeContents(node);
              for (const r of range.getClientRects()) {
                if (r.width === 0) continue;
                tops.add(Math.round(r.top));
                if (box === el && (r.left < limit.left - 1 || r.right > limit.right + 1)) overflows = true;
              }
            }
            return { text: el.textContent.trim().slice(0, 40), lines: tops.size, overflows };
          })
          .filter((item) => item.lines > 0); // only a badge or sr-only text: nothing in the line
      });
    const widths = [375, 640, 768, 800, 1024];
    // "/" last for each reader: the screenshot at each width is of the home page
    for (const [page, who, paths] of [
      [member, "owner", [`/c/${slug}`, "/"]],
      [guest, "guest", ["/"]],
    ]) {
      for (const path of paths) {
        await page.setViewportSize({ width: widths[0], height: 800 });
        await expectOk(page, await page.goto(path));
        for (const width of widths) {
          await page.setViewportSize({ width, height: 800 });
          await page.check(); // the harness's 375 px width check and axe, as after a load
          const items = await lineCounts(page);
          assert.ok(items.length >= 2, `${who} ${path} at ${width} px: header items found`);
          for (const item of items) {
            assert.equal(item.lines, 1, `${who} ${path} at ${width} px: "${item.text}" takes ${item.lines} lines`);
            assert.equal(item.overflows, false, `${who} ${path} at ${width} px: "${item.text}" spills out of its box`);
          }
          const row = await page.locator("header.sticky > div").first().evaluate((el) => [el.scrollWidth, el.clientWidth]);
          assert.ok(row[0] <= row[1], `${who} ${path} at ${width} px: the header row is ${row[0]} px in ${row[1]} px`);
          if (path === "/") await shot(page, `44-header-${who}-${width}`);
        }
      }
    }
    // at lg the main navigation is shown, each label whole (the member page is at 1024 px on "/")
    for (const name of ["Home", "New community", "API reference"]) {
      const link = member.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
      assert.ok(await link.isVisible(), `"${name}" is in the header at 1024 px`);
    }
    await member.close();
    await ctxGuest.close();
  });

  await ctxOwner.close();
  await ctxArabic.close();
}
