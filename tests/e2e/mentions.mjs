// Mentions are identities (issue 9, part 1). Two members are called "Daniel Chen": the owner and a
// newcomer who took the same name. Mei types "@dan" in the composer, the suggestion list (asked of
// the server) offers both, she picks the newcomer, and only the newcomer is told "mentioned you";
// the stored body carries the newcomer's token, the page shows the name, and an edit keeps the
// same person. In a VIP space the owner hand-types "@Sofia Rossi", a free member: the post page
// says she cannot see the space and was not notified.
// Accounts and the community are set up through the API; everything under test goes through the UI.
import assert from "node:assert/strict";
import { api, eventually } from "./api.mjs";

export default async function mentionsFlow({ browser, ORIGIN, step, shot, expectOk, watch }) {
  const stamp = Date.now().toString(36);
  const slug = `namesakes-${stamp}`;
  const owner = { name: "Daniel Chen", email: `dchen-owner-${stamp}@example.com`, password: "owner pass 12345" };
  const newcomer = { name: "Daniel Chen", email: `dchen-new-${stamp}@example.com`, password: "newcomer pass 12345" };
  const mei = { name: "Mei Lin", email: `mei-m-${stamp}@example.com`, password: "mei pass 12345" };
  const sofia = { name: "Sofia Rossi", email: `sofia-${stamp}@example.com`, password: "sofia pass 12345" };
  const title = "Could you review the tasting menu?";
  const ids = {};
  let spaceId = "";
  let vipId = "";
  let postPath = "";

  const desktop = { baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } };
  const contexts = {};
  const pages = {};
  for (const who of ["owner", "newcomer", "mei", "sofia"]) {
    contexts[who] = await browser.newContext(desktop);
    pages[who] = watch(await contexts[who].newPage(), `mentions-${who}`);
  }
  const call = (who, method, path, data) => api(contexts[who], ORIGIN, method, path, data);

  await step("mentions: an owner and a newcomer both called Daniel Chen, Mei and Sofia are set up through the API", async () => {
    await call("owner", "POST", "/api/v1/auth/signup", owner);
    await call("owner", "POST", "/api/v1/communities", { slug, name: "Namesakes Tea Club", visibility: "public" });
    spaceId = (await call("owner", "POST", `/api/v1/communities/${slug}/spaces`, { name: "Menu", kind: "discussion", minTier: "free" })).space.id;
    vipId = (await call("owner", "POST", `/api/v1/communities/${slug}/spaces`, { name: "VIP tastings", kind: "discussion", minTier: "vip" })).space.id;
    for (const [who, user] of [["newcomer", newcomer], ["mei", mei], ["sofia", sofia]]) {
      await call(who, "POST", "/api/v1/auth/signup", user);
      await call(who, "POST", `/api/v1/communities/${slug}/join`);
    }
    for (const who of ["owner", "newcomer", "mei", "sofia"]) ids[who] = (await call(who, "GET", "/api/v1/me")).user.id;
    assert.notEqual(ids.owner, ids.newcomer);
  });

  await step("mentions: Mei types @dan, the suggestion list offers both Daniel Chens, she picks the newcomer and publishes", async () => {
    const page = pages.mei;
    await expectOk(page, await page.goto(`/c/${slug}/s/${spaceId}`));
    await page.waitForLoadState("networkidle"); // hydrated: typing reaches the suggestion hook
    await page.getByLabel("Title").fill(title);
    const body = page.getByRole("combobox", { name: "Post", exact: true });
    await body.fill("Hi ");
    await body.pressSequentially("@dan");
    const list = page.getByRole("listbox", { name: "Members to mention" });
    await list.getByRole("option", { name: "Daniel Chen" }).nth(1).waitFor();
    assert.equal(await list.getByRole("option").count(), 2, "both namesakes and nobody else");
    await shot(page, "60-mention-namesakes");
    await list.locator(`[role="option"][data-user-id="${ids.newcomer}"]`).click();
    await body.pressSequentially("could you review the menu?");
    assert.equal(await body.inputValue(), "Hi @Daniel Chen could you review the menu?");
    await Promise.all([page.waitForURL(/\/posts\//), page.getByRole("button", { name: "Publish post" }).click()]);
    postPath = new URL(page.url()).pathname;
    const article = page.locator("article", { has: page.locator("#post-title") });
    const text = await article.locator(".rich-text").innerText();
    assert.match(text, /Hi @Daniel Chen could you review the menu\?/, "the post shows the member's name");
    assert.doesNotMatch(text, /<@/, "no raw token on the page");
    const pill = article.locator(`.rich-text .mention[data-user-id="${ids.newcomer}"]`);
    assert.equal(await pill.innerText(), "@Daniel Chen", "the mention is the newcomer's");
    assert.equal(await article.locator(`.rich-text .mention[data-user-id="${ids.owner}"]`).count(), 0, "not the namesake's");
    const stored = await call("mei", "GET", `/api/v1/posts/${postPath.split("/").pop()}`);
    assert.match(stored.post.body, new RegExp(`<@${ids.newcomer}>`), "the picked member's token is stored");
    assert.doesNotMatch(stored.post.body, new RegExp(`<@${ids.owner}>`), "not the namesake's");
    await shot(page, "61-mention-posted");
  });

  await step("mentions: the newcomer — not the owner of the same name — is told Mei mentioned them", async () => {
    const mention = new RegExp(`^${mei.name} mentioned you in “${title.replace(/[?]/g, "\\?")}”`);
    const page = pages.newcomer;
    await expectOk(page, await page.goto("/notifications"));
    await eventually(page, () => page.getByRole("button", { name: mention }).waitFor({ timeout: 1000 }), 15);
    await expectOk(pages.owner, await pages.owner.goto("/notifications"));
    assert.equal(await pages.owner.getByRole("button", { name: mention }).count(), 0, "the namesake is not notified");
  });

  await step("mentions: Mei's edit form shows @Daniel Chen, and saving keeps the newcomer's mention", async () => {
    const page = pages.mei;
    await expectOk(page, await page.goto(`${postPath}?edit=1`));
    const body = page.getByRole("combobox", { name: "Post", exact: true });
    assert.equal(await body.inputValue(), "Hi @Daniel Chen could you review the menu?", "the token is shown as the name");
    await body.press("End");
    await body.pressSequentially(" Thanks!");
    await Promise.all([page.waitForURL(/saved=1/), page.getByRole("button", { name: "Save changes" }).click()]);
    const stored = await call("mei", "GET", `/api/v1/posts/${postPath.split("/").pop()}`);
    assert.match(stored.post.body, new RegExp(`^Hi <@${ids.newcomer}> could you review the menu\\? Thanks!$`));
  });

  await step("mentions: the owner hand-types @Sofia Rossi in the VIP space; the page says she can't see it and wasn't notified", async () => {
    const page = pages.owner;
    await expectOk(page, await page.goto(`/c/${slug}/s/${vipId}`));
    await page.waitForLoadState("networkidle");
    await page.getByLabel("Title").fill("Private tasting on Friday");
    await page.getByRole("combobox", { name: "Post", exact: true }).fill("@Sofia Rossi would you like to join?");
    await Promise.all([page.waitForURL(/\/posts\//), page.getByRole("button", { name: "Publish post" }).click()]);
    await page.getByText("Sofia Rossi can't see this space and wasn't notified.").waitFor();
    await shot(page, "62-mention-unreachable");
    await expectOk(pages.sofia, await pages.sofia.goto("/notifications"));
    assert.equal(await pages.sofia.getByRole("button", { name: /mentioned you/ }).count(), 0, "Sofia is not notified");
  });

  for (const ctx of Object.values(contexts)) await ctx.close();
}
