// Dead letters (issue 8): a new post's and a new comment's background work is made dead in the
// local D1 (no API can break the handlers of a running server); the community's owner finds it
// from settings, sees what failed in words, and sends the post's back; a platform operator sees
// the comment's across communities and sends it back; the lists end empty. Others get the 404 page,
// a signed-out visitor the login. Desktop and 375 px, axe on every page (the harness's `watch`).
import assert from "node:assert/strict";
import { api } from "./api.mjs";

export default async function deadLettersFlow({ browser, ORIGIN, step, shot, expectOk, watch, sql, query, OPERATOR_EMAIL }) {
  const stamp = Date.now().toString(36);
  const slug = `kiln-${stamp}`;
  const owner = { name: "Hana Wu", email: `hana-${stamp}@example.com`, password: "hana pass 123456" };
  const operator = { name: "Platform Ops", email: OPERATOR_EMAIL, password: "ops pass 12345678" };
  let postId = "";
  let commentId = "";

  const desktop = { baseURL: ORIGIN, locale: "en-US", viewport: { width: 1280, height: 900 } };
  const ctxOwner = await browser.newContext(desktop);
  const ctxOps = await browser.newContext(desktop);
  const ownerPage = watch(await ctxOwner.newPage(), "dl-owner");
  const opsPage = watch(await ctxOps.newPage(), "dl-operator");

  const deadCount = async () => (await api(ctxOwner, ORIGIN, "GET", `/api/v1/communities/${slug}/dead-letters`)).total;

  await step("dead letters: an owner's new post and comment finish their background work", async () => {
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/auth/signup", owner);
    await api(ctxOwner, ORIGIN, "POST", "/api/v1/communities", { slug, name: "Kiln & Glaze", description: "Potters who fire on Sundays.", visibility: "private" });
    const space = await api(ctxOwner, ORIGIN, "POST", `/api/v1/communities/${slug}/spaces`, { name: "Firings", kind: "discussion", minTier: "free" });
    postId = (await api(ctxOwner, ORIGIN, "POST", `/api/v1/spaces/${space.space.id}/posts`, { title: "Cone 6 schedule", body: "Slow cool from 1100." })).post.id;
    commentId = (await api(ctxOwner, ORIGIN, "POST", `/api/v1/posts/${postId}/comments`, { body: "Hold 15 minutes at peak." })).comment.id;
    await api(ctxOps, ORIGIN, "POST", "/api/v1/auth/signup", operator);
  });

  await step("dead letters: the post's and the comment's work is made dead after it ran (as five failed attempts would leave it)", async () => {
    // only rows the queue has finished: a row still running would be written over by its consumer
    const error = "search: D1_ERROR: no such table: search_docs: SQLITE_ERROR (made dead by the end-to-end run)";
    for (let i = 0; i < 20 && (await deadCount()) < 2; i++) {
      sql(
        `UPDATE domain_events SET status = 'dead', attempts = 5, last_error = '${error}', handled = '["mentions"]' ` +
          `WHERE status = 'done' AND ((kind = 'post.created' AND subject_id = '${postId}') OR (kind = 'comment.created' AND subject_id = '${commentId}'))`,
      );
      if ((await deadCount()) < 2) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(await deadCount(), 2, "both events are dead letters");
  });

  await step("dead letters: the owner finds them from settings, with a count, and reads what failed in words", async () => {
    await expectOk(ownerPage, await ownerPage.goto(`/c/${slug}/settings`));
    const link = ownerPage.getByRole("link", { name: /View background work/ });
    assert.match((await link.textContent()) ?? "", /2 failed/);
    await shot(ownerPage, "dead-letters-settings");
    await Promise.all([ownerPage.waitForURL(`${ORIGIN}/c/${slug}/settings/background-work`), link.click()]);
    await ownerPage.getByRole("heading", { level: 2, name: "Background work" }).waitFor();
    await ownerPage.getByText("2 pieces of background work could not be finished after five tries.").waitFor();
    const postRow = ownerPage.locator(`li[data-dead-letter]`).filter({ hasText: "Indexing and notifying for a new post" });
    const commentRow = ownerPage.locator(`li[data-dead-letter]`).filter({ hasText: "Indexing and notifying for a new comment" });
    await postRow.getByText("post.created", { exact: true }).waitFor();
    await postRow.getByText("Failed 5 times").waitFor();
    await postRow.getByText("Already done: mentions").waitFor();
    await postRow.getByText(/no such table: search_docs/).waitFor();
    assert.equal(await postRow.getByRole("link", { name: "Open the post" }).getAttribute("href"), `/c/${slug}/posts/${postId}`);
    assert.equal(await commentRow.getByRole("link", { name: "Open the comment" }).getAttribute("href"), `/c/${slug}/posts/${postId}#comment-${commentId}`);
    await shot(ownerPage, "dead-letters-community-desktop");
  });

  await step("dead letters: the community page holds at 375 px", async () => {
    await ownerPage.setViewportSize({ width: 375, height: 812 });
    await ownerPage.reload(); // the harness checks the width and axe again at this size
    await ownerPage.locator(`li[data-dead-letter]`).first().waitFor();
    await shot(ownerPage, "dead-letters-community-mobile");
    // and in Traditional Chinese, whose labels are as short as they should be
    await Promise.all([ownerPage.waitForURL(/\/background-work$/), ownerPage.getByRole("button", { name: "中文" }).click()]);
    await ownerPage.getByRole("heading", { level: 2, name: "背景工作" }).waitFor();
    await ownerPage.locator(`li[data-dead-letter]`).filter({ hasText: "為新貼文建立索引並發送通知" }).getByRole("button", { name: "再試一次" }).waitFor();
    await ownerPage.check();
    await shot(ownerPage, "dead-letters-community-mobile-zh");
    await Promise.all([ownerPage.waitForURL(/\/background-work$/), ownerPage.getByRole("button", { name: "English" }).click()]);
    await ownerPage.getByRole("heading", { level: 2, name: "Background work" }).waitFor();
    await ownerPage.setViewportSize(desktop.viewport);
  });

  await step("dead letters: Try again sends the post's work back; it leaves the list and is done", async () => {
    const postRow = ownerPage.locator(`li[data-dead-letter]`).filter({ hasText: "Indexing and notifying for a new post" });
    await Promise.all([ownerPage.waitForURL(/\/settings\/background-work\?retried=1$/), postRow.getByRole("button", { name: "Try again" }).click()]);
    await ownerPage.getByText("Sent back to be tried again.", { exact: false }).waitFor();
    assert.equal(await ownerPage.locator(`li[data-dead-letter]`).count(), 1);
    assert.equal(await ownerPage.getByText("Indexing and notifying for a new post").count(), 0);
    await ownerPage.getByText("Indexing and notifying for a new comment").waitFor();
    assert.equal(await deadCount(), 1);
    // the queue runs it again to the end: the handlers that had not finished run, mentions is not run twice
    const event = () => query(`SELECT status, handled FROM domain_events WHERE kind = 'post.created' AND subject_id = '${postId}'`)[0];
    for (let i = 0; i < 20 && event().status !== "done"; i++) await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual({ ...event(), handled: JSON.parse(event().handled) }, { status: "done", handled: ["mentions", "search", "followers"] });
  });

  await step("dead letters: the account menu links the platform page for an operator only", async () => {
    await expectOk(opsPage, await opsPage.goto("/"));
    await opsPage.getByRole("button", { name: /account menu/ }).or(opsPage.locator("summary[aria-label*='account menu']")).first().click();
    await opsPage.getByRole("link", { name: "Platform background work" }).waitFor();
    await expectOk(ownerPage, await ownerPage.goto("/"));
    assert.equal(await ownerPage.getByRole("link", { name: "Platform background work", includeHidden: true }).count(), 0);
  });

  await step("dead letters: the operator sees the comment's across communities, with its community, and sends it back", async () => {
    await Promise.all([opsPage.waitForURL(`${ORIGIN}/platform/dead-letters`), opsPage.getByRole("link", { name: "Platform background work" }).click()]);
    await opsPage.getByRole("heading", { level: 1, name: "Background work across all communities" }).waitFor();
    const row = opsPage.locator(`li[data-dead-letter]`).filter({ hasText: "Indexing and notifying for a new comment" });
    await row.getByRole("link", { name: "Kiln & Glaze" }).waitFor();
    await shot(opsPage, "dead-letters-platform-desktop");
    await opsPage.setViewportSize({ width: 375, height: 812 });
    await opsPage.reload();
    await row.waitFor();
    await shot(opsPage, "dead-letters-platform-mobile");
    await Promise.all([opsPage.waitForURL(/\/platform\/dead-letters\?retried=1$/), row.getByRole("button", { name: "Try again" }).click()]);
    await opsPage.getByText("Sent back to be tried again.", { exact: false }).waitFor();
    assert.equal(await opsPage.locator(`li[data-dead-letter]`).filter({ hasText: commentId }).count(), 0);
    await opsPage.setViewportSize(desktop.viewport);
  });

  await step("dead letters: with nothing left, the community page says what it is for and that nothing has failed", async () => {
    await expectOk(ownerPage, await ownerPage.goto(`/c/${slug}/settings/background-work`));
    await ownerPage.getByRole("heading", { name: "Nothing has failed" }).waitFor();
    await ownerPage.getByText("When search indexing, a notification or an email cannot be finished after five tries", { exact: false }).waitFor();
    await shot(ownerPage, "dead-letters-community-empty");
    await expectOk(ownerPage, await ownerPage.goto(`/c/${slug}/settings`));
    assert.doesNotMatch((await ownerPage.getByRole("link", { name: /View background work/ }).textContent()) ?? "", /failed/);
  });

  await step("dead letters: the platform page is a 404 for a non-operator and the login for a signed-out visitor", async () => {
    ownerPage.expectErrors(/status of 404/);
    const res = await ownerPage.goto("/platform/dead-letters");
    assert.equal(res?.status(), 404);
    await ownerPage.getByRole("heading", { name: "Page not found" }).waitFor();
    const ctxGuest = await browser.newContext(desktop);
    const guest = watch(await ctxGuest.newPage(), "dl-guest");
    await expectOk(guest, await guest.goto("/platform/dead-letters"));
    assert.equal(new URL(guest.url()).pathname, "/login");
    assert.equal(new URL(guest.url()).searchParams.get("next"), "/platform/dead-letters");
    await ctxGuest.close();
  });

  await ctxOwner.close();
  await ctxOps.close();
}
