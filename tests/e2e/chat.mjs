// Chat channels in the browser (issue 12): Mei (English, desktop) and Hsiao-ming (繁體中文, a
// 375 px phone) sit in one chat space. Mei's message reaches him live; Enter sends and
// Shift+Enter breaks the line, and an Enter that commits an input method's word sends nothing;
// Mei goes offline, writes two messages (greyed, queued), comes back, and both arrive at his
// phone once each, in order; his page speaks Chinese and fits the phone with a long word, emoji
// and CJK in it. Accounts and the space are set up through the API; everything under test goes
// through the UI. Then she reacts to his reply and deletes her first message: his phone shows both.
import assert from "node:assert/strict";
import { api } from "./api.mjs";

export default async function chatFlow({ browser, ORIGIN, step, shot, expectOk, watch, fitsWidth }) {
  const stamp = Date.now().toString(36);
  const slug = `lounge-${stamp}`;
  const mei = { name: "Mei Lin", email: `mei-chat-${stamp}@example.com`, password: "mei pass 12345" };
  const ming = { name: "小明", email: `ming-chat-${stamp}@example.com`, password: "ming pass 12345", locale: "zh-Hant" };
  const ctxMei = await browser.newContext({ baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ctxMing = await browser.newContext({ baseURL: ORIGIN, locale: "zh-TW", viewport: { width: 375, height: 812 } });
  const pageMei = watch(await ctxMei.newPage(), "chat-mei");
  const pageMing = watch(await ctxMing.newPage(), "chat-ming");
  let path = "";

  // what a reader sees in the channel: the text of each stored message, in order
  const bodies = (page) => page.locator('[role="log"] li[data-seq] .chat-body').allInnerTexts();
  const composer = (page) => page.locator("#chat-composer");
  const live = (page) => page.locator('[data-connection="live"]').waitFor({ state: "attached" });

  await step("chat: Mei opens a community with a chat space, Hsiao-ming joins (API)", async () => {
    await api(ctxMei, ORIGIN, "POST", "/api/v1/auth/signup", mei);
    await api(ctxMei, ORIGIN, "POST", "/api/v1/communities", { slug, name: "Lounge Club", visibility: "public" });
    const { space } = await api(ctxMei, ORIGIN, "POST", `/api/v1/communities/${slug}/spaces`, { name: "💬 聊天室 Lounge", kind: "chat", minTier: "free" });
    path = `/c/${slug}/s/${space.id}`;
    ming.id = (await api(ctxMing, ORIGIN, "POST", "/api/v1/auth/signup", ming)).user.id;
    await api(ctxMing, ORIGIN, "POST", `/api/v1/communities/${slug}/join`);
  });

  await step("chat: both open the channel; Mei's message appears on Hsiao-ming's phone live, without a reload", async () => {
    await expectOk(pageMei, await pageMei.goto(path));
    await expectOk(pageMing, await pageMing.goto(path));
    await Promise.all([live(pageMei), live(pageMing)]);
    await composer(pageMei).fill("Hello from Mei 👋");
    await composer(pageMei).press("Enter");
    await pageMing.locator('[role="log"] li[data-seq]', { hasText: "Hello from Mei 👋" }).waitFor();
    assert.equal(await composer(pageMei).inputValue(), "", "Enter sent and emptied the composer");
    await pageMei.locator("[data-pending]").waitFor({ state: "detached" });
  });

  await step("chat: Shift+Enter breaks the line, Enter sends; an Enter that commits an IME word sends nothing", async () => {
    const box = composer(pageMei);
    await box.pressSequentially("first line");
    await box.press("Shift+Enter");
    await box.pressSequentially("second line");
    assert.equal(await box.inputValue(), "first line\nsecond line", "Shift+Enter added a line, sent nothing");
    // a Chinese input method: the Enter that picks 你好 arrives while composing (isComposing)
    await box.evaluate((el) => {
      el.dispatchEvent(new CompositionEvent("compositionstart", { bubbles: true, data: "" }));
      el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", bubbles: true, cancelable: true, isComposing: true }));
      el.dispatchEvent(new CompositionEvent("compositionend", { bubbles: true, data: "你好" }));
    });
    await pageMei.waitForTimeout(300);
    assert.equal(await box.inputValue(), "first line\nsecond line", "nothing was sent while composing");
    assert.equal(await pageMei.locator("[data-pending]").count(), 0);
    await box.press("Enter");
    const twoLines = pageMing.locator('[role="log"] li[data-seq]', { hasText: "second line" });
    await twoLines.waitFor();
    assert.match(await twoLines.locator(".chat-body").innerText(), /first line\nsecond line/, "one message of two lines");
  });

  await step("chat: Mei goes offline and writes two messages; they wait greyed, then arrive once each, in order, when she is back", async () => {
    await ctxMei.setOffline(true);
    await pageMei.locator('[data-connection="offline"]').waitFor();
    await pageMei.getByText("You're offline. What you write is kept and sent when you're back.").waitFor();
    for (const text of ["queued one 第一則", "queued two 第二則"]) {
      await composer(pageMei).fill(text);
      await composer(pageMei).press("Enter");
    }
    const pending = pageMei.locator("[data-pending]");
    assert.equal(await pending.count(), 2, "both wait in the queue");
    await pending.first().getByText("Not sent yet: it goes as soon as you're connected.").waitFor();
    await shot(pageMei, "70-chat-offline-queue");
    await pageMing.waitForTimeout(500);
    assert.ok(!(await bodies(pageMing)).some((b) => b.startsWith("queued")), "nothing reached the other side while offline");

    await ctxMei.setOffline(false);
    await live(pageMei);
    await pending.first().waitFor({ state: "detached" });
    const arrived = pageMing.locator('[role="log"] li[data-seq]', { hasText: "queued two 第二則" });
    await arrived.waitFor();
    await pageMing.waitForTimeout(500); // a duplicate would come right behind
    const seen = await bodies(pageMing);
    assert.deepEqual(
      seen.filter((b) => b.startsWith("queued")),
      ["queued one 第一則", "queued two 第二則"],
      `once each, in order: ${JSON.stringify(seen)}`,
    );
    assert.deepEqual((await bodies(pageMei)).slice(-2), ["queued one 第一則", "queued two 第二則"], "Mei's page shows them stored, in order");
  });

  await step("chat: Hsiao-ming's phone speaks Chinese, replies to Mei, and fits 375 px with a long word, emoji and CJK", async () => {
    await pageMing.getByRole("button", { name: "傳送" }).waitFor();
    await pageMing.getByText("按 Enter 傳送，Shift+Enter 換行。").waitFor();
    await pageMing.getByRole("button", { name: "回覆 Mei Lin" }).first().click();
    await pageMing.getByText("正在回覆").waitFor();
    const long = `${"長".repeat(3)}Pneumonoultramicroscopicsilicovolcanoconiosis${"x".repeat(80)} 🎉🎉 繁體中文測試`;
    await composer(pageMing).fill(long);
    await composer(pageMing).press("Enter");
    const reply = pageMei.locator('[role="log"] li[data-seq]', { hasText: "Pneumonoultramicroscopic" });
    await reply.getByText("Reply to").waitFor();
    await pageMing.locator('[role="log"] li[data-seq]', { hasText: "Pneumonoultramicroscopic" }).waitFor();
    await fitsWidth(pageMing, "chat on a phone after a long word");
    await shot(pageMing, "71-chat-zh-mobile");
    await shot(pageMei, "72-chat-desktop");
  });

  await step("chat: Mei reacts to the reply and deletes her first message; the phone shows both live", async () => {
    const reply = pageMei.locator('[role="log"] li[data-seq]', { hasText: "Pneumonoultramicroscopic" });
    await reply.hover();
    await reply.getByLabel("React to 小明's message").click();
    await reply.getByRole("button", { name: "Celebrate" }).click();
    const hello = pageMei.locator('[role="log"] li[data-seq="1"]');
    await hello.hover();
    await hello.getByLabel("More actions for Mei Lin's message").click();
    await hello.getByRole("button", { name: "Delete" }).click();
    await hello.getByRole("group", { name: "Delete this message?" }).getByRole("button", { name: "Delete" }).click();
    const onPhone = pageMing.locator('[role="log"] li[data-seq]', { hasText: "Pneumonoultramicroscopic" });
    await onPhone.getByRole("button", { name: "慶祝：1 個回應" }).waitFor();
    await pageMing.locator('[role="log"] li[data-seq="1"]').getByText("訊息已刪除").waitFor();
    await onPhone.getByText("回覆 Mei Lin: 訊息已刪除").waitFor();
    assert.equal(await pageMing.getByText("Hello from Mei").count(), 0, "the deleted text is gone from the phone, the quote in the reply included");
  });

  await step("chat: Hsiao-ming, removed while his freshly opened page is idle, sees it within a second (not Chromium's 2 s close wait)", async () => {
    // a fresh socket that has received nothing, so has sent nothing but the ping on open (ADR 029)
    await pageMing.reload();
    await live(pageMing);
    const started = Date.now();
    await api(ctxMei, ORIGIN, "DELETE", `/api/v1/communities/${slug}/members/${ming.id}`);
    await pageMing.locator('[data-connection="revoked"]').waitFor({ state: "attached", timeout: 5_000 });
    const took = Date.now() - started;
    assert.ok(took < 1_000, `the close reached the page ${took} ms after the removal`);
  });

  await ctxMei.close();
  await ctxMing.close();
}
