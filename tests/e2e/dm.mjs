// Direct messages in the browser (issue 13): Mei (English, desktop) starts a DM with Hsiao-ming
// (繁體中文, a 375 px phone) from the member list and writes; his inbox lists it with an unread
// badge; he opens it, sees her next message arrive live and replies, which she sees live; back in
// his inbox the badge is gone (his read position, mirrored to D1). A member who lets nobody message
// them refuses a new conversation with a clear message. Accounts are set up through the API;
// everything under test goes through the UI.
import assert from "node:assert/strict";
import { api } from "./api.mjs";

export default async function dmFlow({ browser, ORIGIN, step, shot, expectOk, watch, fitsWidth, axe }) {
  const stamp = Date.now().toString(36);
  const slug = `dm-${stamp}`;
  const mei = { name: "Mei Lin", email: `mei-dm-${stamp}@example.com`, password: "mei pass 12345" };
  const ming = { name: "小明", email: `ming-dm-${stamp}@example.com`, password: "ming pass 12345", locale: "zh-Hant" };
  const ctxMei = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ctxMing = await browser.newContext({ baseURL: ORIGIN, locale: "zh-TW", viewport: { width: 375, height: 812 } });
  const pageMei = watch(await ctxMei.newPage(), "dm-mei");
  const pageMing = watch(await ctxMing.newPage(), "dm-ming");
  const live = (page) => page.locator('[data-connection="live"]').waitFor({ state: "attached" });
  const message = (page, text) => page.locator('[role="log"] li[data-seq]', { hasText: text });
  const send = async (page, text) => {
    await page.locator("#chat-composer").fill(text);
    await page.locator("#chat-composer").press("Enter");
  };
  let conversationPath = "";

  await step("dm: Mei opens a community, Hsiao-ming joins (API)", async () => {
    await api(ctxMei, ORIGIN, "POST", "/api/v1/auth/signup", mei);
    await api(ctxMei, ORIGIN, "POST", "/api/v1/communities", { slug, name: "DM Club", visibility: "public" });
    await api(ctxMing, ORIGIN, "POST", "/api/v1/auth/signup", ming);
    await api(ctxMing, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
  });

  await step("dm: Mei starts a conversation with 小明 from the member list and writes", async () => {
    await expectOk(pageMei, await pageMei.goto(`/c/${slug}/members`));
    await pageMei.getByRole("button", { name: "Message 小明" }).click();
    await pageMei.waitForURL(new RegExp(`/c/${slug}/messages/dm_`));
    conversationPath = new URL(pageMei.url()).pathname;
    assert.equal(await pageMei.locator('[data-testid="dm-title"]').innerText(), "小明");
    await live(pageMei);
    await send(pageMei, "Hi 小明, tea on Friday?");
    await message(pageMei, "tea on Friday").waitFor();
  });

  await step("dm: 小明's inbox lists the conversation with 1 unread, and the Messages tab counts it", async () => {
    await expectOk(pageMing, await pageMing.goto(`/c/${slug}/messages`));
    const row = pageMing.locator('[data-testid="dm-row"]', { hasText: "Mei Lin" });
    await row.locator('[data-testid="dm-unread"]', { hasText: "1 則未讀" }).waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /tea on Friday/);
    await pageMing.locator(`nav a[href="/c/${slug}/messages"]`, { hasText: "訊息（1）" }).waitFor();
    await shot(pageMing, "85-dm-inbox-zh-mobile");
    await fitsWidth(pageMing, "the DM inbox on a phone");
    await axe(pageMing, "DM inbox");
  });

  await step("dm: 小明 opens it, sees Mei's next message live and replies; Mei sees the reply live", async () => {
    await pageMing.locator('[data-testid="dm-row"]', { hasText: "Mei Lin" }).click();
    await pageMing.waitForURL(`**${conversationPath}`);
    await live(pageMing);
    await message(pageMing, "tea on Friday").waitFor();
    await send(pageMei, "The place by the river");
    await message(pageMing, "by the river").waitFor();
    await send(pageMing, "好啊，週五見！");
    await message(pageMei, "週五見").waitFor();
    await shot(pageMing, "86-dm-conversation-zh-mobile");
    await fitsWidth(pageMing, "a DM conversation on a phone");
  });

  await step("dm: back in 小明's inbox the badge is gone (he read it)", async () => {
    // D1 has the new position once the channel's forward ran (≤ 0.5 s)
    await pageMing.waitForTimeout(1_500);
    await expectOk(pageMing, await pageMing.goto(`/c/${slug}/messages`));
    await pageMing.locator('[data-testid="dm-row"]', { hasText: "Mei Lin" }).waitFor();
    assert.equal(await pageMing.locator('[data-testid="dm-unread"]').count(), 0, "no unread badge after reading");
  });

  await step("dm: 小明 lets nobody message him; a new group with him is refused with a clear message", async () => {
    // the member list's Message and Block fit a phone's row
    await expectOk(pageMing, await pageMing.goto(`/c/${slug}/members`));
    await pageMing.getByRole("button", { name: "傳訊息給 Mei Lin" }).waitFor();
    await shot(pageMing, "88-dm-member-row-zh-mobile");
    // Block asks first, and the question fits the phone's width
    await pageMing.locator('summary[aria-label="封鎖 Mei Lin"]').click();
    const blockQuestion = pageMing.locator("details[open] form", { hasText: "要封鎖 Mei Lin 嗎？" });
    await blockQuestion.waitFor();
    await shot(pageMing, "89-dm-block-confirm-zh-mobile");
    const box = await blockQuestion.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the block question fits a phone's width: ${JSON.stringify(box)}`);
    await pageMing.keyboard.press("Escape");
    // "New message" on a phone: the panel spans the screen and the search box has focus
    await expectOk(pageMing, await pageMing.goto(`/c/${slug}/messages`));
    await pageMing.locator("summary", { hasText: "新訊息" }).click();
    const panel = pageMing.locator('[role="dialog"]');
    await panel.waitFor();
    const panelBox = await panel.boundingBox();
    assert.ok(panelBox && panelBox.x >= 0 && panelBox.x + panelBox.width <= 375, `the New message panel fits a phone: ${JSON.stringify(panelBox)}`);
    assert.equal(await pageMing.evaluate(() => document.activeElement?.getAttribute("name")), "filter", "the search box has focus");
    await shot(pageMing, "90-dm-new-message-zh-mobile");
    await pageMing.locator("summary", { hasText: "新訊息" }).click();
    await expectOk(pageMing, await pageMing.goto(`/c/${slug}/messages`));
    await pageMing.getByLabel("誰可以傳訊息給我").selectOption("nobody");
    await pageMing.locator('button[value="dmPolicy"]').click();
    await pageMing.getByText("已儲存").first().waitFor();
    await shot(pageMing, "87-dm-settings-zh-mobile");
    // a third member makes the set new: the policy judges new conversations only (ADR 034)
    const lee = { name: "Lee", email: `lee-dm-${stamp}@example.com`, password: "lee pass 12345" };
    const ctxLee = await browser.newContext({ baseURL: ORIGIN, locale: "en-US" });
    const pageLee = watch(await ctxLee.newPage(), "dm-lee");
    await api(ctxLee, ORIGIN, "POST", "/api/v1/auth/signup", lee);
    await api(ctxLee, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
    await expectOk(pageLee, await pageLee.goto(`/c/${slug}/members`));
    // the refused form answers 403, which Chromium logs: expected here
    pageLee.expectErrors(/status of 403/);
    await pageLee.getByRole("button", { name: "Message 小明" }).click();
    await pageLee.locator('[data-testid="dm-refusal"]', { hasText: "You cannot message one of these members." }).waitFor();
    assert.match(pageLee.url(), new RegExp(`/c/${slug}/members`));
    // Block asks first, says what it does, and then the blocked member is listed in the inbox's settings
    await pageLee.locator('summary[aria-label="Block 小明"]').click();
    const question = pageLee.locator("details[open]", { hasText: "Block 小明? You will no longer see their messages" });
    await question.waitFor();
    await question.locator('button[value="dmBlock"]').click();
    await pageLee.getByText("Blocked. They are listed under Messages").waitFor();
    await expectOk(pageLee, await pageLee.goto(`/c/${slug}/messages`));
    await pageLee.getByRole("button", { name: "Unblock" }).waitFor();
    await ctxLee.close();
  });

  await ctxMei.close();
  await ctxMing.close();
}
