// Redirect targets taken from the request end on the app's own origin, whatever their spelling:
// the signed-in login page, the login form, the sign-up form and the language switcher, each with
// "/.//evil.example/phish" (which the URL parser normalises to "//evil.example/phish").
import assert from "node:assert/strict";

const HOSTILE = ["/.//evil.example/phish", "/%2e%2e//evil.example", "/\\evil.example", "//evil.example"];

export default async function redirectsFlow({ ORIGIN, step }) {
  const stamp = Date.now().toString(36);
  const person = { name: "Redirect Tester", email: `redir-${stamp}@example.com`, password: "long enough pass 9" };
  let cookie = "";

  /** A request the way a browser form sends it, not following the redirect. */
  const send = (path, { form, cookie: jar } = {}) =>
    fetch(`${ORIGIN}${path}`, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        Origin: ORIGIN,
        ...(jar ? { Cookie: jar } : {}),
        ...(form ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });

  const expectOnSite = (res, label) => {
    assert.ok(res.status >= 300 && res.status < 400, `${label}: expected a redirect, got ${res.status}`);
    const location = res.headers.get("Location");
    assert.ok(location, `${label}: no Location`);
    assert.equal(new URL(location, `${ORIGIN}/login`).origin, ORIGIN, `${label}: Location ${location} leaves the site`);
    assert.equal(location, "/", `${label}: Location ${location}`);
  };

  await step("sign-up form with a hostile next= lands on the site", async () => {
    for (const next of HOSTILE) {
      const res = await send(`/signup?next=${encodeURIComponent(next)}`, {
        form: { name: person.name, email: next === HOSTILE[0] ? person.email : `${stamp}-${HOSTILE.indexOf(next)}@example.com`, password: person.password, next },
      });
      expectOnSite(res, `signup next=${next}`);
      if (next === HOSTILE[0]) cookie = (res.headers.get("Set-Cookie") ?? "").split(";")[0];
    }
    assert.match(cookie, /^enclave_session=/);
  });

  await step("signed in, GET /login?next=/.//evil.example/phish answers Location: / (not //evil.example/phish)", async () => {
    for (const next of HOSTILE) expectOnSite(await send(`/login?next=${encodeURIComponent(next)}`, { cookie }), `login page next=${next}`);
    const fine = await send(`/login?next=${encodeURIComponent("/settings/./profile")}`, { cookie });
    assert.equal(fine.headers.get("Location"), "/settings/profile");
  });

  await step("the login form with a hostile next= sets the session and stays on the site", async () => {
    for (const next of HOSTILE) {
      const res = await send("/login", { form: { email: person.email, password: person.password, next } });
      expectOnSite(res, `login form next=${next}`);
      assert.match(res.headers.get("Set-Cookie") ?? "", /enclave_session=/);
    }
  });

  await step("the language switcher's redirectTo stays on the site", async () => {
    for (const redirectTo of HOSTILE) expectOnSite(await send("/lang", { form: { locale: "en", redirectTo }, cookie }), `lang redirectTo=${redirectTo}`);
  });

  await step("pages answer bad input with 4xx, never 500: JSON, plain text or broken multipart to a form, other methods 405 with Allow", async () => {
    const pages = ["/login", "/signup", "/forgot-password", "/reset-password", "/lang", "/communities/new", "/notifications", "/settings/profile", "/c/no-such/posts/x"];
    const raw = (path, init) => fetch(`${ORIGIN}${path}`, { redirect: "manual", ...init, headers: { Origin: ORIGIN, Cookie: cookie, ...init.headers } });
    for (const path of pages) {
      const json = await raw(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: "x" });
      assert.equal(json.status, 415, `POST JSON ${path}`);
      const text = await raw(path, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "hello" });
      assert.equal(text.status, 415, `POST text ${path}`);
      const broken = await raw(path, { method: "POST", headers: { "Content-Type": "multipart/form-data; boundary=x" }, body: "not multipart" });
      assert.equal(broken.status, 400, `POST broken multipart ${path}`);
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        const res = await raw(path, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("Allow"), "GET, HEAD, POST, OPTIONS", `${method} ${path} Allow`);
      }
      const options = await raw(path, { method: "OPTIONS" });
      assert.equal(options.status, 204, `OPTIONS ${path}`);
    }
    // and a real form still works: the switcher takes its urlencoded POST
    assert.equal((await send("/lang", { form: { locale: "en", redirectTo: "/" }, cookie })).status, 302);
  });
}
