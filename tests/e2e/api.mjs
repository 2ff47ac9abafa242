// The flows set up accounts and communities through the public API with a browser context's own
// cookies (and the Origin the API's state-changing check wants); what is under test goes through the UI.
import assert from "node:assert/strict";

/** `method path` with a JSON body as `ctx`'s signed-in user; the parsed JSON answer, or null. Fails the step on a non-2xx. */
export async function api(ctx, ORIGIN, method, path, data) {
  const res = await ctx.request.fetch(`${ORIGIN}${path}`, { method, data, headers: { Origin: ORIGIN } });
  const text = await res.text();
  assert.ok(res.ok(), `${method} ${path} → ${res.status()} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Reload `page` until `check` passes: notifications are written by the spine a moment after the content. */
export async function eventually(page, check, tries = 10) {
  let last;
  for (let i = 0; i < tries; i++) {
    try {
      return await check();
    } catch (error) {
      last = error;
      await page.waitForTimeout(300);
      await page.reload();
    }
  }
  throw last;
}
